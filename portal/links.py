"""Absolute links for mail and issued credentials."""

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """A link to one of the portal's pages, always built from the configured PORTAL_URL.

    Never from the request's Host header: a client chooses that header, and a mailed link or a signed
    credential must point at the real portal whoever triggered it."""
    base = urlsplit(current_app.config["PORTAL_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def public_link(path: str) -> str:
    """The absolute address of one of the portal's own pages given by its path ("/submissions/3"), built with
    public_url from the endpoint the path names, so a path that is not a page raises instead of mailing a dead link."""
    endpoint, values = current_app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    return public_url(endpoint, **values)
