"""How a browser becomes signed in: shared by the password, reset, district and two-step pages."""

from flask import session, url_for
from flask_login import current_user, login_user

from portal.accounts import services
from portal.accounts.models import User


def home(user: User | None = None) -> str:
    """Where each role's work is: staff on the overview, a reviewer on the queue, an educator on My work."""
    if user is not None and user.is_staff:
        return url_for("staff.overview")
    if user is not None and user.is_reviewer:
        return url_for("reviews.queue")
    return url_for("submissions.dashboard")


def sign_in_browser(user: User) -> None:
    """The one way a browser becomes signed in: a new session id, a server-side session, then Flask-Login.
    A session this browser held before ends on the server; any earlier cookie state (a pending step) is dropped."""
    if current_user.is_authenticated:
        services.end_session(current_user.session_token)
    session.clear()
    services.start_session(user)
    login_user(user)
