"""Staff pages for one person's account: details, roles, password reset link, deactivation."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from portal.accounts import links
from portal.accounts.forms import ButtonForm, RolesForm
from portal.accounts.models import User
from portal.accounts.services import AccountError
from portal.extensions import db
from portal.permissions import require_staff_or_404, signed_in_user
from portal.reviews import services as reviews
from portal.staff import accounts as admin

bp = Blueprint("staff_accounts", __name__, url_prefix="/staff/people")


def _person(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/<int:user_id>")
@require_staff_or_404
def person(user_id: int):
    user = _person(user_id)
    return _render(user, RolesForm(data={role: True for role in user.roles}))


def _render(user: User, roles_form: RolesForm, status: int = 200):
    profile = reviews.reviewer_profile(user) if user.is_reviewer else None
    return render_template(
        "accounts/person.html", person=user, roles_form=roles_form, button=ButtonForm(), profile=profile,
        reviewer_gaps=reviews.reviewer_gaps(profile) if profile is not None else [],
        submissions=admin.person_submissions(user), assignments=admin.person_assignments(user),
        history=admin.person_history(user),
    ), status


@bp.post("/<int:user_id>/roles")
@require_staff_or_404
def set_roles(user_id: int):
    user = _person(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        admin.set_roles(staff=signed_in_user(), user=user, roles=form.selected_roles())
    except AccountError as error:
        db.session.rollback()
        form.staff.errors.append(str(error))
        return _render(_person(user_id), form, 422)
    db.session.commit()
    flash(f"Roles of {user.name}: {', '.join(user.roles) or 'none'}.", "success")
    return redirect(url_for("staff_accounts.person", user_id=user.id))


def _act(user_id: int, action, done: str):
    user = _person(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        action(staff=signed_in_user(), user=user)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done.format(name=user.name, email=user.email), "success")
    return redirect(url_for("staff_accounts.person", user_id=user_id))


@bp.post("/<int:user_id>/send-reset")
@require_staff_or_404
def send_reset(user_id: int):
    return _act(user_id, links.send_reset_by_staff, "A password reset link is on its way to {email}.")


@bp.post("/<int:user_id>/deactivate")
@require_staff_or_404
def deactivate(user_id: int):
    return _act(user_id, admin.deactivate,
                "{name}'s account is deactivated: signed out everywhere; open reviews were given to others.")


@bp.post("/<int:user_id>/reactivate")
@require_staff_or_404
def reactivate(user_id: int):
    return _act(user_id, admin.reactivate, "{name}'s account is active again.")
