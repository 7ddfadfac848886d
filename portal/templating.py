"""Helpers every template can use."""

from flask import request, url_for

from portal.text import plural  # noqa: F401 -- the one plural helper, also a template global

URL_MARKER = 918_273_645_546_372_819  # a number no real URL of the portal contains


def url_pattern(endpoint: str, name: str, **values) -> str:
    """The URL of `endpoint` with {} where its integer argument `name` goes, for str.format per row: a table
    calls url_for once rather than once a row (which costs more than the rest of the row)."""
    url = url_for(endpoint, **values, **{name: URL_MARKER})
    return url.replace("{", "{{").replace("}", "}}").replace(str(URL_MARKER), "{}")


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
