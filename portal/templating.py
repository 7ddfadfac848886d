"""Helpers every template can use."""

from flask import request, url_for


def page_url(page: int) -> str:
    """This page's URL at another page number, keeping its filters."""
    args = request.args.to_dict(flat=False)
    args["page"] = [page]
    return url_for(request.endpoint, **(request.view_args or {}), **args)
