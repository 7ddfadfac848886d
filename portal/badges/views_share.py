"""The earner's side of an issued credential: its page with the share panel, the downloads, the
public-page switch, and the badge images every issued credential points at."""

from hashlib import sha256
from io import BytesIO

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.badges import services, sharing
from portal.badges.models import IssuedCredential
from portal.badges.share_forms import ShareForm, VisibilityForm
from portal.badges.views import bp
from portal.catalog.services import get_credential_or_404, get_stack_or_404
from portal.extensions import db
from portal.permissions import signed_in_user
from portal.security import is_safe_next

BADGE_MAX_AGE = 24 * 3600


@bp.get("/badges/<stack_slug>.png", defaults={"credential_slug": None})
@bp.get("/badges/<stack_slug>/<credential_slug>.png")
def image(stack_slug: str, credential_slug: str | None):
    """The badge image: public, since every issued credential names it as its achievement's image."""
    if credential_slug is None:
        stack, credential = get_stack_or_404(stack_slug), None
    else:
        credential = get_credential_or_404(stack_slug, credential_slug)
        stack = credential.stack
    png = sharing.badge_image(stack=stack, credential=credential)
    return send_file(BytesIO(png), mimetype="image/png", max_age=BADGE_MAX_AGE, etag=sha256(png).hexdigest())


@bp.get("/my/credentials")
@login_required
def mine():
    return render_template("badges/mine.html", issued_list=sharing.list_for_earner(current_user))


@bp.get("/my/credentials/<int:issued_id>")
@login_required
def earned(issued_id: int):
    issued = _load(issued_id, permissions.can_view_issued_credential)
    page = render_template("badges/earned.html", issued=issued, results=sharing.results(issued),
                           share=sharing.share_context(issued, url_for("badges.earned", issued_id=issued.id)))
    return page, {"Content-Security-Policy": sharing.SHARE_PAGE_POLICY}


@bp.get("/my/credentials/<int:issued_id>/credential.json")
@login_required
def download_json(issued_id: int):
    return _send(sharing.credential_json(_load(issued_id, permissions.can_share_credential)))


@bp.get("/my/credentials/<int:issued_id>/badge.png")
@login_required
def download_png(issued_id: int):
    return _send(sharing.baked_badge(_load(issued_id, permissions.can_share_credential)))


@bp.get("/my/credentials/<int:issued_id>/certificate.pdf")
@login_required
def download_pdf(issued_id: int):
    return _send(sharing.certificate(_load(issued_id, permissions.can_share_credential)))


@bp.post("/my/credentials/<int:issued_id>/visibility")
@login_required
def visibility(issued_id: int):
    issued = _load(issued_id, permissions.can_share_credential)
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    public = form.public.data == "1"
    services.set_public(earner=signed_in_user(), issued=issued, public=public)
    db.session.commit()
    if public:
        flash("Your public page is now visible: anyone with its link can see and check this credential.", "success")
    else:
        flash("Your public page is now hidden: its link shows “Not shared”. Files you downloaded still verify.",
              "success")
    return redirect(_back(form, issued) + "#share")


@bp.post("/my/credentials/<int:issued_id>/copy-link")
@login_required
def copy_link(issued_id: int):
    """Copying the link first makes the page visible, so the link never lands on "Not shared"."""
    issued, form = _make_public(issued_id)
    copied = " and the link is copied" if form.copied.data == "1" else ": copy the link below"
    flash(f"Your public page is now visible{copied}. Anyone with the link can see and check this credential.",
          "success")
    return redirect(_back(form, issued) + "#share")


@bp.post("/my/credentials/<int:issued_id>/linkedin")
@login_required
def linkedin(issued_id: int):
    """Make the page visible, then hand over to LinkedIn's add-to-profile form (its certUrl is the page)."""
    issued, _form = _make_public(issued_id)
    flash("Your public page was made visible so that the link on LinkedIn works.", "success")
    return redirect(sharing.linkedin_url(issued), code=303)


def _make_public(issued_id: int) -> tuple[IssuedCredential, ShareForm]:
    issued = _load(issued_id, permissions.can_share_credential)
    form = ShareForm()
    if not form.validate_on_submit():
        abort(400)
    if not issued.is_public:
        services.set_public(earner=signed_in_user(), issued=issued, public=True)
        db.session.commit()
    return issued, form


def _load(issued_id: int, allowed) -> IssuedCredential:
    issued = db.get_or_404(IssuedCredential, issued_id)
    if not allowed(current_user, issued):
        abort(404)
    return issued


def _back(form: ShareForm, issued: IssuedCredential) -> str:
    target = form.next.data
    return target if is_safe_next(target) else url_for("badges.earned", issued_id=issued.id)


def _send(download: sharing.Download):
    response = send_file(BytesIO(download.body), mimetype=download.media_type, as_attachment=True,
                         download_name=download.name)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
