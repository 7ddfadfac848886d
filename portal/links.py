"""Absolute links for mail and issued credentials."""

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException


def public_url(endpoint: str, **values) -> str:
    """A link to one of the portal's pages, always built from the configured PORTAL_URL.

    Never from the request's Host header: a client chooses that header, and a mailed link or a signed
    credential must point at the real portal whoever triggered it."""
    base = urlsplit(current_app.config["PORTAL_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def public_link(path: str) -> str:
    """The absolute address of one of the portal's own pages given by its path ("/submissions/3?tab=files#part-2"),
    built with public_url from the endpoint the path names (query and fragment kept). A path no page answers is
    still joined to PORTAL_URL, so a notice is never lost for its link."""
    parts = urlsplit(path)
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return current_app.config["PORTAL_URL"].rstrip("/") + path
    url = public_url(endpoint, **values)
    return url + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
