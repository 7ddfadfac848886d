"""Helpers every template can use."""

from flask import current_app, request, url_for
from markupsafe import Markup

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


def earned_by(count: int, id: str | None = None) -> Markup:
    """How many people hold a credential, as the catalog and public pages say it: a number, never names.
    A function rather than an imported macro: importing a macro costs every page that shows a count."""
    if count == 0:
        sentence = "Nobody has earned it yet."
    elif count == 1:
        sentence = "Earned by 1 person."
    else:
        sentence = f"Earned by {count} people."
    attribute = Markup(' id="{}"').format(id) if id else ""
    return Markup('<p class="earned-count"{}>{}</p>').format(attribute, sentence)


def fixed_url(endpoint: str, **values) -> str:
    """url_for for the links every page repeats (the stylesheet, the header's and footer's links): built once per
    app and script root, then looked up. Only for arguments written in the template, never for data: each
    distinct call is kept for the life of the process."""
    # A template passes its arguments in the order written, so they need no sorting to make the key.
    key = (request.root_path, endpoint, *values.items()) if values else (request.root_path, endpoint)
    known = current_app.extensions.setdefault("fixed_urls", {})
    try:
        return known[key]
    except KeyError:
        url = known[key] = url_for(endpoint, **values)
        return url
