"""Pages behind mailed one-time links: "Forgot your password?", choosing a new password, confirming an address.

The link's token is in its URL. Following it stores the token in this browser's session and redirects to a
page without it, so the token never reaches another site (Referer), the history or a log of that page. The
redirect itself says no-referrer; the form pages say same-origin, which keeps the Referer that Flask-WTF's
CSRF check needs over HTTPS while still sending nothing to other sites.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.accounts import links, services
from portal.accounts.forms import ButtonForm, ForgotPasswordForm, ResetPasswordForm
from portal.accounts.models import TokenPurpose
from portal.accounts.two_step_views import complete_first_step
from portal.accounts.views import account_key
from portal.extensions import db, limiter

bp = Blueprint("account_links", __name__)

LINK_SESSION_KEYS = {TokenPurpose.PASSWORD_RESET: "reset_token", TokenPurpose.CONFIRM_EMAIL: "confirm_token"}
LINK_PAGES = {
    TokenPurpose.PASSWORD_RESET: "account_links.reset_password", TokenPurpose.CONFIRM_EMAIL: "account_links.confirm",
}


def _follow_link(token: str, purpose: str):
    try:
        links.find_link(token, purpose)
    except links.LinkError:
        return _link_problem(purpose)
    session[LINK_SESSION_KEYS[purpose]] = token
    return redirect(url_for(LINK_PAGES[purpose]))


def _link_problem(purpose: str):
    session.pop(LINK_SESSION_KEYS[purpose], None)
    return render_template("accounts/link_problem.html", purpose=purpose), 410


def _open_link(purpose: str):
    """The link this browser followed, or None when it no longer works."""
    token = session.get(LINK_SESSION_KEYS[purpose])
    try:
        return token, links.find_link(token or "", purpose)
    except links.LinkError:
        return token, None


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LINK_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LINK_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=account_key)
def forgot_password():
    form = ForgotPasswordForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        links.request_password_reset(email=form.email.data)
        db.session.commit()
        session["reset_asked_for"] = services.normalize_email(form.email.data)
        return redirect(url_for("account_links.reset_sent"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.get("/password/forgot/sent")
def reset_sent():
    return render_template("accounts/reset_sent.html", email=session.get("reset_asked_for", ""))


@bp.get("/password/reset/<token>")
def reset_link(token: str):
    return _follow_link(token, TokenPurpose.PASSWORD_RESET)


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    token, link = _open_link(TokenPurpose.PASSWORD_RESET)
    if link is None:
        return _link_problem(TokenPurpose.PASSWORD_RESET)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = links.reset_password(token=token, password=form.password.data)
        except services.AccountError as error:
            form.password.errors.append(str(error))
        except links.LinkError:
            db.session.rollback()
            return _link_problem(TokenPurpose.PASSWORD_RESET)
        else:
            # A mailed link is a first step only: an account with an authenticator app is asked for its code.
            response = complete_first_step(user, next_url=None, method="password reset")
            db.session.commit()
            flash("Your new password is set. Other browsers have been signed out.", "success")
            return response
    return render_template("accounts/reset_password.html", form=form, link=link)


@bp.get("/email/confirm/<token>")
def confirm_link(token: str):
    return _follow_link(token, TokenPurpose.CONFIRM_EMAIL)


@bp.route("/email/confirm", methods=["GET", "POST"])
def confirm():
    token, link = _open_link(TokenPurpose.CONFIRM_EMAIL)
    if link is None:
        return _link_problem(TokenPurpose.CONFIRM_EMAIL)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            user = links.confirm_email(token=token)
        except links.LinkError:
            db.session.rollback()
            return _link_problem(TokenPurpose.CONFIRM_EMAIL)
        db.session.commit()
        session.pop(LINK_SESSION_KEYS[TokenPurpose.CONFIRM_EMAIL], None)
        flash(f"Thank you: {user.email} is confirmed.", "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("accounts.account"))
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/confirm_email.html", form=form, link=link)


@bp.after_request
def _link_pages_policy(response):
    if request.endpoint in ("account_links.reset_link", "account_links.confirm_link"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    elif request.endpoint in ("account_links.reset_password", "account_links.confirm"):
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
    return response
