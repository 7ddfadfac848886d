"""Staff managing accounts: roles, deactivation and reactivation, and what the person page shows.

Every change is audited. The portal always keeps one active staff account: the last one can neither lose
the staff role nor be deactivated. A deactivated account's work is kept; its sessions end at once and its
open review assignments go to other reviewers.
"""

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import audit
from portal.accounts import links
from portal.accounts.forms import ROLE_CHOICES
from portal.accounts.models import User
from portal.accounts.services import AccountError, end_all_sessions, reviewers_changed
from portal.audit import AuditEvent, utcnow
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions.models import Submission, Version

HISTORY_LIMIT = 50
LIST_LIMIT = 100


def _other_active_staff(user: User) -> list[int]:
    query = select(User.id).where(User.is_staff, User.deactivated_at.is_(None), User.id != user.id)
    if db.engine.dialect.name == "postgresql":
        # Two staff demoting each other at once must not both succeed and leave nobody.
        query = query.with_for_update()
    return list(db.session.scalars(query))


def _keep_one_staff(user: User, doing: str) -> None:
    if user.is_staff and user.is_active and not _other_active_staff(user):
        raise AccountError(f"You cannot {doing} the last active staff account. Give someone else the staff role first.")


def set_roles(*, staff: User, user: User, roles) -> None:
    """Give the account exactly these roles. A new reviewer is made ready for work at once; one who stops
    being a reviewer gives back their open assignments, which are routed again."""
    roles = [role for role in ROLE_CHOICES if role in set(roles)]
    if "staff" not in roles:
        _keep_one_staff(user, "remove the staff role from")
    before = user.roles
    user.is_educator, user.is_reviewer, user.is_staff = ("educator" in roles, "reviewer" in roles, "staff" in roles)
    db.session.flush()
    audit.record("account.roles", actor=staff, subject=user, roles=roles, before=before)
    if user.is_reviewer != ("reviewer" in before):
        reviewers_changed()
    if user.is_reviewer and "reviewer" not in before and user.is_active:
        reviews.prepare_reviewer(user=user, actor=staff)
    if "reviewer" in before and not user.is_reviewer:
        reviews.release_reviewer(reviewer=user, actor=staff)


def deactivate(*, staff: User, user: User) -> int:
    """Switch the account off: every session ends, open links stop working, open review assignments are
    released and routed again. Returns how many assignments were released."""
    if user.id == staff.id:
        raise AccountError("You cannot deactivate your own account. Ask another staff member.")
    if not user.is_active:
        raise AccountError("This account is already deactivated.")
    _keep_one_staff(user, "deactivate")
    user.deactivated_at = utcnow()
    end_all_sessions(user)
    links.void_all_links(user)
    db.session.flush()
    audit.record("account.deactivate", actor=staff, subject=user)
    return reviews.release_reviewer(reviewer=user, actor=staff)


def reactivate(*, staff: User, user: User) -> None:
    """Switch the account back on; a reviewer can receive work again at once."""
    if user.is_active:
        raise AccountError("This account is already active.")
    user.deactivated_at = None
    db.session.flush()
    audit.record("account.reactivate", actor=staff, subject=user)
    if user.is_reviewer:
        reviews.prepare_reviewer(user=user, actor=staff)


def person_submissions(user: User) -> list[Submission]:
    """The person's newest submissions, with what the page shows loaded up front (no query per row)."""
    return list(db.session.scalars(
        select(Submission)
        .where(Submission.educator_id == user.id)
        .options(joinedload(Submission.credential), selectinload(Submission.versions))
        .order_by(Submission.id.desc())
        .limit(LIST_LIMIT)
    ))


def person_assignments(user: User) -> list[Assignment]:
    """The person's newest review assignments, with their submission and credential."""
    return list(db.session.scalars(
        select(Assignment)
        .where(Assignment.reviewer_id == user.id)
        .options(joinedload(Assignment.version).joinedload(Version.submission).joinedload(Submission.credential))
        .order_by(Assignment.assigned_at.desc())
        .limit(LIST_LIMIT)
    ))


def person_history(user: User) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit entries about the account or by it, with the actor's name."""
    rows = db.session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            ((AuditEvent.subject_type == User.__tablename__) & (AuditEvent.subject_id == user.id))
            | (AuditEvent.actor_id == user.id)
        )
        .order_by(AuditEvent.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return [(event, name) for event, name in rows]
