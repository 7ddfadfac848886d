"""Absolute addresses of what the portal publishes about issued credentials, all from PORTAL_URL."""

from urllib.parse import quote, urlsplit

from flask import current_app

from portal.links import public_url


def public_page_url(issued) -> str:
    """The credential's public verification page, at its unguessable share token."""
    return public_url("badges.public", token=issued.share_token)


def issuer_did() -> str:
    """did:web of the portal's public address: the host, its port percent-encoded, then any path segments."""
    base = urlsplit(current_app.config["PORTAL_URL"])
    segments = [quote(base.netloc, safe="")] + [quote(s, safe="") for s in base.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def verification_method(key_id: str) -> str:
    return f"{issuer_did()}#{key_id}"


def status_list_url() -> str:
    return public_url("badges.status_list")


def credential_page_url(credential) -> str:
    return public_url("catalog.credential", stack_slug=credential.stack.slug, credential_slug=credential.slug)


def stack_page_url(stack) -> str:
    return public_url("catalog.stack", slug=stack.slug)


def achievement_image_url(*, credential=None, stack=None) -> str:
    """The badge image of a credential or stack. One plain image for now; the rendered badges replace it."""
    return public_url("static", filename="badges/badge.png")
