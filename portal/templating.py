"""Helpers every template can use."""

from flask import request, url_for


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 row', '2 rows'; the plural form when adding an s would be wrong."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def page_url(page: int) -> str:
    """This page's URL at another page number, keeping its filters."""
    args = request.args.to_dict(flat=False)
    args["page"] = [page]
    return url_for(request.endpoint, **(request.view_args or {}), **args)
