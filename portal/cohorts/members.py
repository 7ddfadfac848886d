"""Cohort membership: importing a roster (staged, previewed, confirmed), adding and removing members by hand."""

import csv
import io
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from portal import audit
from portal.accounts.models import User
from portal.accounts.services import get_or_create_organization, reviewers_changed
from portal.audit import utcnow
from portal.cohorts import roster
from portal.cohorts.freshness import figures_changed
from portal.cohorts.invitations import has_password, invite, unusable_password
from portal.cohorts.models import Cohort, Invitation, Membership, ProfileAnswer, RosterImport
from portal.cohorts.profile import active_fields
from portal.cohorts.roster import Action, RosterPlan
from portal.extensions import db
from portal.links import public_url
from portal.notifications.services import queue_email

IMPORT_LIFETIME = timedelta(hours=24)


class MemberError(ValueError):
    """A member that cannot be added; .reasons lists why."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


# ---------- roster imports ----------

def stage_import(*, cohort: Cohort, actor, filename: str, text: str, create_organizations: bool) -> RosterImport:
    """Keep an uploaded roster server-side until its preview is confirmed. Writes no account or membership."""
    staged = RosterImport(
        token=secrets.token_urlsafe(24), cohort_id=cohort.id, created_by_id=actor.id, filename=filename[:200],
        csv_text=text, create_organizations=create_organizations,
    )
    db.session.add(staged)
    db.session.flush()
    return staged


def find_import(*, cohort: Cohort, token: str, actor) -> RosterImport | None:
    """The actor's own unconfirmed import of this cohort from the last 24 hours, or None."""
    return db.session.scalar(select(RosterImport).where(
        RosterImport.token == token, RosterImport.cohort_id == cohort.id, RosterImport.created_by_id == actor.id,
        RosterImport.confirmed_at.is_(None), RosterImport.created_at > utcnow() - IMPORT_LIFETIME,
    ))


def preview_import(*, cohort: Cohort, staged: RosterImport) -> RosterPlan:
    return roster.plan_roster(
        cohort=cohort, text=staged.csv_text, create_organizations=staged.create_organizations, fields=active_fields()
    )


def confirm_import(*, cohort: Cohort, staged: RosterImport, actor) -> RosterPlan:
    """Import the staged roster: planned again against the database as it is now, so a change made since the
    preview is not undone. Bad rows are skipped. The stored CSV is then cleared (it holds personal data).
    Queues an invitation for every new account and a notice for every existing account added.
    The import is claimed with a conditional UPDATE first, so a double-clicked confirm imports once; the
    second raises MemberError."""
    claimed = db.session.execute(
        update(RosterImport).where(RosterImport.id == staged.id, RosterImport.confirmed_at.is_(None))
        .values(confirmed_at=utcnow()).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise MemberError(["This roster has already been imported."])
    plan = preview_import(cohort=cohort, staged=staged)
    if not plan.file_errors:
        apply_plan(cohort=cohort, plan=plan, actor=actor)
    staged.csv_text = ""
    audit.record(
        "cohort.roster_import", actor=actor, subject=cohort, filename=staged.filename,
        **{action.value: plan.count(action) for action in Action}, skipped=len(plan.problems),
    )
    return plan


def purge_stale_imports() -> int:
    """Delete imports never confirmed within their lifetime, and confirmed ones (their text is already gone)."""
    result = db.session.execute(delete(RosterImport).where(
        (RosterImport.confirmed_at.is_not(None)) | (RosterImport.created_at <= utcnow() - IMPORT_LIFETIME)
    ))
    return result.rowcount or 0


def apply_plan(*, cohort: Cohort, plan: RosterPlan, actor) -> None:
    fields = {f.key: f for f in active_fields()}
    orgs = {roster.org_key(name): get_or_create_organization(name) for name in plan.new_organizations}
    invited, added, renamed = [], [], False
    for planned in plan.rows:
        if planned.action == Action.UNCHANGED:
            continue
        row = planned.row
        org = planned.organization or orgs[roster.org_key(row.organization)]
        user = planned.user or _create_invited_user(row, org, actor)
        renamed = renamed or (planned.user is not None and user.name != row.name)
        user.name, user.organization = row.name, org
        _set_membership(cohort, user, row.role, actor, planned.action)
        for key, choice in planned.new_answers.items():
            db.session.add(ProfileAnswer(user_id=user.id, field_id=fields[key].id, value=choice))
        if planned.action == Action.NEW_ACCOUNT:
            invited.append(user)
        elif planned.action == Action.NEW_MEMBERSHIP:
            added.append(user)
    db.session.flush()
    if renamed:  # a renamed member may be a reviewer too; a roster import is rare enough not to look
        reviewers_changed()
    for user in invited:
        invite(user=user, cohort=cohort, actor=actor)
    for user in added:
        _tell_added(user, cohort)


def _create_invited_user(row, org, actor) -> User:
    user = User(email=row.email, name=row.name, organization=org, password_hash=unusable_password(), is_educator=True)
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=actor, subject=user, roles=["educator"], via="cohort roster")
    return user


def _set_membership(cohort: Cohort, user: User, role: str, actor, action: Action) -> None:
    if action in (Action.NEW_ACCOUNT, Action.NEW_MEMBERSHIP):
        db.session.add(Membership(cohort_id=cohort.id, user=user, district_role=role))
        audit.record("cohort.member_add", actor=actor, subject=cohort, user=user.id)
        return
    membership = db.session.scalar(
        select(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id == user.id)
    )
    membership.district_role = role


def _tell_added(user: User, cohort: Cohort) -> None:
    link = public_url("cohorts.mine")
    queue_email(
        to=user.email, subject=f"You have been added to {cohort.name}", kind="cohort.member_added",
        body=f"Hello {user.name},\n\nYou have been added to the cohort “{cohort.name}” on the Micro-credential "
             f"Portal. See its milestones and your next steps here:\n\n{link}\n",
    )


# ---------- members by hand ----------

def add_member(
    *, cohort: Cohort, email: str, name: str, organization: str, role: str, create_organization: bool, actor
) -> roster.PlannedRow:
    """Add one person, by the same rules as a roster row. Raises MemberError with the reasons it cannot."""
    plan = roster.plan_roster(
        cohort=cohort, text=_one_row_csv(email, name, organization, role),
        create_organizations=create_organization, fields=[],
    )
    if plan.problems:
        raise MemberError(plan.problems[0].reasons)
    planned = plan.rows[0]
    if planned.action in (Action.CHANGED, Action.UNCHANGED):
        raise MemberError([f"{planned.user.name} is already a member of this cohort."])
    apply_plan(cohort=cohort, plan=plan, actor=actor)
    return planned


def _one_row_csv(*values: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(roster.KNOWN_COLUMNS)
    writer.writerow(values)
    return buffer.getvalue()


def roster_query(cohort: Cohort):
    """The cohort's members by name, for a paginated list."""
    return (
        select(Membership).join(User, User.id == Membership.user_id)
        .where(Membership.cohort_id == cohort.id).order_by(User.name, User.id)
    )


def find_membership(cohort: Cohort, user_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id == user_id)
    )


def remove_member(*, cohort: Cohort, user: User, actor) -> None:
    """Take the person out of the cohort. Their account, submissions and answers stay."""
    db.session.execute(delete(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id == user.id))
    figures_changed(cohort_ids=[cohort.id])  # the DELETE bypasses the flush, where cohorts see changes
    audit.record("cohort.member_remove", actor=actor, subject=cohort, user=user.id)


def resend_invitation(*, cohort: Cohort, user: User, actor) -> Invitation:
    """A fresh link for a member who has not set a password yet; the earlier links stop working."""
    if has_password(user):
        raise MemberError([f"{user.name} has already set a password."])
    return invite(user=user, cohort=cohort, actor=actor)
