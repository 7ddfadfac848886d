"""Two-step sign-in pages: the second step after a password or a district sign-in, setting up an
authenticator app, recovery codes, and the staff reset for a lost device.

Between the two steps the browser holds only a note in its signed cookie session (who, since when, where to go
next), never a server-side session row: nothing but this page accepts it."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from portal.accounts import two_factor
from portal.accounts.browser import home, sign_in_browser
from portal.accounts.models import User
from portal.accounts.signin_forms import ActionForm, ConfirmAppForm, TwoStepForm
from portal.extensions import db, limiter
from portal.permissions import require_staff, signed_in_user
from portal.security import is_safe_next

bp = Blueprint("two_step", __name__)

PENDING = "two_step_pending"
WRONG_CODE = "That code is not right or was already used. Enter the newest code your app shows for this portal."
# Pages that need a second factor set up first, for the roles TWO_FACTOR_REQUIRED_ROLES names.
PROTECTED_BLUEPRINTS = {"reviews", "staff_reviews"}


def complete_first_step(user: User, *, next_url: str | None, method: str):
    """After a correct password or a district sign-in: ask for the second step when the person has an
    authenticator app, otherwise sign in (and send those whose role requires an app to set one up).
    The caller commits."""
    next_url = next_url if is_safe_next(next_url) else None
    if two_factor.is_enrolled(user):
        session.clear()
        session[PENDING] = {"user_id": user.id, "at": int(time.time()), "next": next_url, "method": method}
        return redirect(url_for("two_step.verify"))
    sign_in_browser(user)
    if two_factor.must_enrol(user):
        flash("Your role requires two-step sign-in. Set up an authenticator app to continue.", "info")
        return redirect(url_for("two_step.setup", next=next_url or ""))
    return redirect(next_url or home(user))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        return None
    return db.session.get(User, pending.get("user_id"))


def _code_limit_key() -> str:
    # Counted per account, so guessing codes from many addresses is slowed down too.
    pending = session.get(PENDING) or {}
    user_id = pending.get("user_id") or (current_user.id if current_user.is_authenticated else request.remote_addr)
    return f"two-step:{user_id}"


def _code_limit():
    return limiter.limit(
        lambda: current_app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_code_limit_key,
        deduct_when=lambda response: response.status_code != 302,
    )


@bp.route("/sign-in/two-step", methods=["GET", "POST"])
@_code_limit()
def verify():
    user = _pending_user()
    if user is None or not user.is_active:
        session.pop(PENDING, None)
        flash("Your sign-in took too long or has ended. Please sign in again.", "info")
        return redirect(url_for("accounts.sign_in"))
    form = TwoStepForm()
    if form.validate_on_submit():
        method = two_factor.verify_second_step(user=user, code=form.code.data)
        if method:
            next_url = session[PENDING].get("next")
            sign_in_browser(user)
            db.session.commit()
            if method == "recovery_code":
                left = two_factor.remaining_recovery_codes(user)
                flash(f"You used a recovery code; {left} left. If you lost your device, set up a new app "
                      "from your sign-in methods page.", "info")
            return redirect(next_url if is_safe_next(next_url) else home(user))
        db.session.commit()
        form.code.errors.append(WRONG_CODE)
    return render_template("accounts/two_step.html", form=form)


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
@_code_limit()
def setup():
    user = signed_in_user()
    if two_factor.is_enrolled(user):
        return render_template("accounts/two_step_status.html", left=two_factor.remaining_recovery_codes(user),
                               is_required=two_factor.is_required(user), form=ActionForm())
    app = two_factor.start_enrolment(user=user)
    form = ConfirmAppForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        codes = two_factor.confirm_enrolment(user=user, code=form.code.data)
        db.session.commit()
        if codes:
            next_url = form.next.data if is_safe_next(form.next.data) else None
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=next_url, is_new=True)
        form.code.errors.append(WRONG_CODE)
    db.session.commit()  # the new secret must outlive this request: the person is scanning it now
    uri = two_factor.provisioning_uri(user, app)
    return render_template("accounts/two_step_setup.html", form=form, qr_code=two_factor.qr_code_data_uri(uri),
                           secret=two_factor.grouped_secret(app), is_required=two_factor.is_required(user))


@bp.post("/account/two-step/recovery-codes")
@login_required
def new_recovery_codes():
    user = signed_in_user()
    if not ActionForm().validate_on_submit() or not two_factor.is_enrolled(user):
        return redirect(url_for("two_step.setup"))
    codes = two_factor.replace_recovery_codes(user=user)
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes, next_url=None, is_new=False)


@bp.post("/staff/people/<int:user_id>/two-step/reset")
@require_staff
def reset(user_id: int):
    """Staff remove a person's authenticator app (lost device). The person page links a form to this."""
    person = db.get_or_404(User, user_id)
    staff = signed_in_user()
    if not ActionForm().validate_on_submit():
        flash("The form had expired. Please try again.", "error")
    elif person.id == staff.id:
        flash("You cannot reset your own two-step sign-in. Ask another staff member.", "error")
    else:
        had_app = two_factor.reset(user=person, actor=staff)
        db.session.commit()
        what = "was reset" if had_app else "was not set up; nothing to reset"
        flash(f"Two-step sign-in for {person.name} {what}. They have been signed out everywhere.", "success")
    return redirect(_person_page(person))


def _person_page(person: User) -> str:
    # The person page belongs to account administration (branch acct-a); without it, People is the way back.
    if "staff_accounts.person" in current_app.view_functions:
        return url_for("staff_accounts.person", user_id=person.id)
    return url_for("accounts.people")


def _is_protected_page() -> bool:
    return request.blueprint in PROTECTED_BLUEPRINTS or request.path.startswith("/staff/")


@bp.before_app_request
def require_two_step_set_up():
    """Staff and review pages wait until a person whose role requires two-step sign-in has set it up."""
    # The page is checked first: static files and public pages must not load the user (nor need the database).
    if not _is_protected_page() or not current_user.is_authenticated:
        return None
    if not two_factor.must_enrol_before_this_page(signed_in_user()):
        return None
    flash("Your role requires two-step sign-in. Set up an authenticator app to open that page.", "info")
    return redirect(url_for("two_step.setup", next=request.full_path.rstrip("?") if request.method == "GET" else ""))
