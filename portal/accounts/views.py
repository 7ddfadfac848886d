from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_url, login_user, logout_user

from portal.accounts import links, services
from portal.accounts.browser import home
from portal.accounts.forms import (
    ButtonForm,
    ChangeEmailForm,
    ChangePasswordForm,
    CreateAccountForm,
    PeopleSearchForm,
    SignInForm,
    SignUpForm,
)
from portal.accounts.models import User
from portal.accounts.two_step_views import complete_first_step
from portal.audit import utcnow
from portal.csvfile import csv_response, to_csv
from portal.extensions import db, limiter, login_manager
from portal.pagination import newest_first
from portal.permissions import require_staff, signed_in_user
from portal.security import is_safe_next

bp = Blueprint("accounts", __name__)

PEOPLE_PER_PAGE = 50
SIGN_IN_FAILED = "That email and password do not match an account. Check them and try again."
STATUS_ENDPOINT = "accounts.session_status"


@login_manager.user_loader
def load_user(token: str):
    try:
        user = services.load_session_user(token)
    except services.SessionIdle:
        g.idle_session_token = token
        return None
    # Asking how long is left must not count as using the session.
    if user is not None and request.endpoint != STATUS_ENDPOINT and services.session_needs_touch(user):
        g.touch_session_token = token
        user.session_seen_at = utcnow()
    return user


@bp.after_app_request
def _record_session_use(response):
    """Write the session's last use, or end an idle session, in a transaction of its own: whatever the view
    left uncommitted is discarded anyway when the request ends."""
    touch, idle = g.pop("touch_session_token", None), g.pop("idle_session_token", None)
    if touch or idle:
        db.session.rollback()
        if touch:
            services.touch_session(touch)
        if idle:
            services.end_session(idle)
        db.session.commit()
    return response


@bp.app_context_processor
def _idle_session_settings():
    """What the idle-session warning (static/js/idle.js) needs to know, on every page of a signed-in user."""
    if not current_user.is_authenticated or current_user.session_seen_at is None:  # no server session
        return {"idle_session": None}
    return {"idle_session": {
        "seconds_left": services.session_seconds_left(current_user),
        "warn_seconds": int(current_app.config["SESSION_IDLE_WARNING"].total_seconds()),
    }}


@login_manager.unauthorized_handler
def _ask_to_sign_in():
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="You have been signed out. Your text is still here; sign in again to save it.",
                       signed_in=False), 401
    target = login_url("accounts.sign_in", next_url=request.url)
    if g.get("idle_session_token"):
        return redirect(target + "&expired=1")
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(target)


def account_key() -> str:
    # The limiter keys attempts by the account named in the form, so guessing one account's
    # password from many addresses is slowed down too.
    return "account:" + services.normalize_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failures count against the sign-in and password-check limits: a school behind one address
    # signs in many people, and a successful attempt ends with a redirect.
    return response.status_code != 302


def support_contact() -> str:
    return current_app.config["SUPPORT_CONTACT"] or "your program staff"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=account_key,
    deduct_when=_failed,
)
def sign_in():
    form = SignInForm(next=request.args.get("next", ""), email=request.args.get("email", ""))
    deactivated = False
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountDeactivated:
            user, deactivated = None, True
        if user:
            response = complete_first_step(user, next_url=form.next.data, method="password")
            db.session.commit()
            return response
        db.session.commit()
        if not deactivated:
            form.password.errors.append(SIGN_IN_FAILED)
    return render_template(
        "accounts/sign_in.html", form=form, deactivated=deactivated, contact=support_contact(),
        expired=request.args.get("expired") == "1",
    )


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_UP_LIMIT_PER_ADDRESS"], methods=["POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            links.sign_up(
                email=form.email.data, name=form.name.data, password=form.password.data,
                organization=form.organization.data,
            )
        except services.AccountError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            # The same page whether or not the address already had an account (its owner gets a mail).
            session["signed_up_email"] = services.normalize_email(form.email.data)
            return redirect(url_for("accounts.signed_up"))
    return render_template("accounts/sign_up.html", form=form)


@bp.get("/sign-up/check-your-email")
def signed_up():
    return render_template("accounts/signed_up.html", email=session.get("signed_up_email", ""))


@bp.post("/sign-out")
@login_required
def sign_out():
    services.sign_out(user=signed_in_user())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


# ---------- The account page ----------


def _password_check_limit():
    return limiter.shared_limit(
        lambda: current_app.config["PASSWORD_CHECK_LIMIT"], scope="password-check", methods=["POST"],
        key_func=lambda: f"password-check:{getattr(current_user, 'id', '')}", deduct_when=_failed,
    )


@bp.get("/account")
@login_required
def account():
    return render_template("accounts/account.html", email_form=ChangeEmailForm(), button=ButtonForm())


@bp.post("/account/email")
@login_required
@_password_check_limit()
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            links.request_email_change(user=signed_in_user(), password=form.password.data, new_email=form.email.data)
        except services.AccountError as error:
            db.session.commit()  # keeps the audit entry of a wrong password
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"We sent a link to {services.normalize_email(form.email.data)}. Your address changes when you "
                  "follow it. We also told your current address.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", email_form=form, button=ButtonForm()), 422


@bp.post("/account/email/resend")
@login_required
@limiter.limit(lambda: current_app.config["LINK_LIMIT_PER_ACCOUNT"], key_func=lambda: f"confirm:{current_user.id}")
def resend_confirmation():
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("accounts.account"))
    user = signed_in_user()
    if not user.is_email_confirmed:
        links.send_confirmation(user=user)
        db.session.commit()
        flash(f"A new link is on its way to {user.email}. Earlier links no longer work.", "success")
    next_url = request.form.get("next", "")
    return redirect(next_url if is_safe_next(next_url) else url_for("accounts.account"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@_password_check_limit()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                user=signed_in_user(), current_password=form.current_password.data, new_password=form.new_password.data
            )
        except services.AccountError as error:
            db.session.commit()  # keeps the audit entry of a wrong password
            form[error.field].errors.append(str(error))
        else:
            login_user(signed_in_user())
            db.session.commit()
            flash("Your password has been changed. Other browsers have been signed out.", "success")
            return redirect(home(signed_in_user()))
    return render_template("accounts/change_password.html", form=form)


# ---------- Idle sessions (WCAG 2.2.1: warn, and let the person extend) ----------


@bp.get("/session/status")
def session_status():
    """How long this browser's session has left; reading it does not count as using the session."""
    seconds = services.session_seconds_left(current_user) if current_user.is_authenticated else 0
    return jsonify(signed_in=current_user.is_authenticated, seconds_left=seconds), 200, {"Cache-Control": "no-store"}


@bp.post("/session/extend")
def extend_session():
    if not current_user.is_authenticated:
        return jsonify(signed_in=False, seconds_left=0), 401
    current_user.session_seen_at = services.touch_session(current_user.session_token)
    g.pop("touch_session_token", None)
    db.session.commit()
    return jsonify(signed_in=True, seconds_left=services.session_seconds_left(current_user))


@bp.route("/staff/people", methods=["GET", "POST"])
@require_staff
def people():
    form = CreateAccountForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data, name=form.name.data, password=form.password.data,
                organization=form.organization.data, roles=form.selected_roles(), actor=signed_in_user(),
            )
        except services.AccountError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Account created for {user.name} ({', '.join(user.roles) or 'no roles'}).", "success")
            return redirect(url_for("accounts.people"))
    search = PeopleSearchForm(request.args)
    search.validate()
    page = newest_first(
        services.people_query(text=search.q.data if not search.q.errors else "", role=search.role.data or ""),
        User.id,
        lambda row: row[0].id,
        before=request.args.get("before", type=int),
        after=request.args.get("after", type=int),
        per_page=PEOPLE_PER_PAGE,
    )
    is_searching = bool(search.q.data or search.role.data)
    export_args = {k: v for k, v in request.args.items() if k in ("q", "role") and v}
    return render_template("accounts/people.html", form=form, search=search, page=page, is_searching=is_searching,
                           export_args=export_args)


@bp.get("/staff/people.csv")
@require_staff
def people_csv():
    """Everyone matching the same search as the page, newest first, every page of it."""
    search = PeopleSearchForm(request.args)
    search.validate()
    query = services.people_query(text=search.q.data if not search.q.errors else "", role=search.role.data or "")
    people = db.session.scalars(query.order_by(User.id.desc())).yield_per(500)
    lines = ([u.id, u.name, u.email, u.organization.name if u.organization else "", ", ".join(u.roles),
              u.created_at.strftime("%Y-%m-%d")] for u in people)
    return csv_response(to_csv(["Id", "Name", "Email", "Organization", "Roles", "Created"], lines), "people.csv")
