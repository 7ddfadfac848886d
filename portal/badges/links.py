"""Absolute addresses of what the portal publishes about issued credentials."""

from portal.links import public_url


def public_page_url(issued) -> str:
    """The credential's public verification page, at its unguessable share token."""
    return public_url("badges.public", token=issued.share_token)
