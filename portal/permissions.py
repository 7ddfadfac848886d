"""Who may do what: every access rule of the portal, as small predicates (also available in templates)."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def can_view_submission(user, submission) -> bool:
    """The author and staff see a submission. (Assigned reviewers are added with review routing.)"""
    if not user.is_authenticated:
        return False
    if submission.educator_id == user.id:
        return True
    return user.is_staff


def can_edit_submission(user, submission) -> bool:
    """Only the author writes, and only while the current version is a draft."""
    return bool(
        user.is_authenticated and submission.educator_id == user.id and submission.current_version.is_editable
    )


def can_withdraw_submission(user, submission) -> bool:
    return bool(
        user.is_authenticated and submission.educator_id == user.id and submission.current_version.is_withdrawable
    )


def require_staff(view):
    """Signed-in staff only; anyone else signed in gets 403, anonymous users are sent to sign in."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_staff(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def require_staff_hidden(view):
    """Signed-in staff only; anyone else signed in gets 404, as if the page did not exist (account pages name
    people, so their addresses are not confirmed to others)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_staff(current_user):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def signed_in_user():
    """The real User behind current_user, for services and the ORM (which cannot take Flask-Login's proxy)."""
    return current_user._get_current_object()


def can_review(user, assignment) -> bool:
    """Only the reviewer an assignment belongs to sees it; anyone else gets 404."""
    return bool(user.is_authenticated and user.is_reviewer and assignment.reviewer_id == user.id)


def is_reviewer(user) -> bool:
    return bool(user.is_authenticated and user.is_reviewer)


def require_reviewer(view):
    """Signed-in reviewers only; anyone else signed in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_reviewer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


TEMPLATE_PREDICATES = {
    "is_staff": is_staff,
    "can_view_submission": can_view_submission,
    "can_edit_submission": can_edit_submission,
    "can_withdraw_submission": can_withdraw_submission,
    "can_review": can_review,
    "is_reviewer": is_reviewer,
}
