from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import services
from portal.accounts.forms import ChangePasswordForm, CreateAccountForm, PeopleSearchForm, SignInForm, SignUpForm
from portal.accounts.models import User
from portal.csvfile import csv_response, to_csv
from portal.extensions import db, limiter, login_manager
from portal.pagination import newest_first
from portal.permissions import require_staff, signed_in_user
from portal.security import is_safe_next

bp = Blueprint("accounts", __name__)

PEOPLE_PER_PAGE = 50
SIGN_IN_FAILED = "That email and password do not match an account. Check them and try again."


@login_manager.user_loader
def load_user(token: str):
    return services.load_session_user(token)


def _account_key() -> str:
    # The limiter keys attempts by the account named in the form, so guessing one account's
    # password from many addresses is slowed down too.
    return "account:" + services.normalize_email(request.form.get("email", ""))


def _home() -> str:
    return url_for("submissions.dashboard")


def _sign_in(user: User) -> None:
    session.clear()
    services.start_session(user)
    login_user(user)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
    deduct_when=lambda response: response.status_code != 302,
)
def sign_in():
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            _sign_in(user)
            db.session.commit()
            return redirect(form.next.data if is_safe_next(form.next.data) else _home())
        db.session.commit()
        form.password.errors.append(SIGN_IN_FAILED)
    return render_template("accounts/sign_in.html", form=form)


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data, name=form.name.data, password=form.password.data,
                organization=form.organization.data,
            )
        except services.AccountError as error:
            form[error.field].errors.append(str(error))
        else:
            _sign_in(user)
            db.session.commit()
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("catalog.index"))
    return render_template("accounts/sign_up.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out():
    services.end_session(current_user.session_token)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                user=signed_in_user(), current_password=form.current_password.data, new_password=form.new_password.data
            )
        except services.AccountError as error:
            form[error.field].errors.append(str(error))
        else:
            login_user(signed_in_user())
            db.session.commit()
            flash("Your password has been changed. Other browsers have been signed out.", "success")
            return redirect(_home())
    return render_template("accounts/change_password.html", form=form)


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
