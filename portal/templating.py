"""Helpers every template can use."""

from flask import request, url_for

from portal.text import plural  # noqa: F401 -- the one plural helper, also a template global


def page_url(page: int) -> str:
    """This page's URL at another page number, keeping its filters."""
    args = request.args.to_dict(flat=False)
    args["page"] = [page]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def list_url(**cursor) -> str:
    """This list's URL at another keyset cursor (before= or after=), keeping its filters."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("before", "after", "page")}
    args.update({name: [value] for name, value in cursor.items()})
    return url_for(request.endpoint, **(request.view_args or {}), **args)
