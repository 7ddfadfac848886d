"""The public verification page. PLACEHOLDER: only so that 'badges.public' links can be built; the public
page (another branch) replaces this whole file."""

from flask import abort

from portal.badges.views import bp


@bp.get("/credentials/<token>")
def public(token: str):
    abort(404)
