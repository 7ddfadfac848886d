"""When a cohort's cached dashboard figures go stale: found in one place, the session's flush, which sees every
change the portal makes through the ORM (a membership, a cohort or milestone edited, a version's state, a review
confirmed, a credential issued or revoked, a member renamed or moved to another organization, a credential's title
or requirements or a stack's title changed by loading the stack), and maps it to the cohorts concerned in one
statement (a deleted cohort's name: one of its own). Statements that bypass the flush (a bulk UPDATE or DELETE)
report themselves: submissions.services.transition's conditional UPDATE sends state_changed,
members.remove_member calls figures_changed()."""

from sqlalchemy import String, cast, event, inspect, literal, or_, select
from sqlalchemy.orm import Session

from portal import cache
from portal.accounts.models import Organization, User
from portal.badges.models import IssuedCredential
from portal.cache import ProcessCache
from portal.catalog.models import Credential, Requirements, Stack
from portal.cohorts.models import Cohort, Membership, Milestone, cohort_credentials
from portal.extensions import db
from portal.reviews.models import Review
from portal.submissions.models import Submission, Version
from portal.submissions.services import state_changed

# Scope: the cohort id. A value holds the figures' HTML (about 30 KB for a large cohort): a few hundred at most.
FIGURES = ProcessCache("cohort-figures", max_entries=256)
_REPORTED = "cohort_figures_reported"  # session.info: (kind, id) already reported in this transaction


def figures_changed(*, cohort_ids=(), user_ids=(), version_ids=(), organization_ids=(), credential_ids=(),
                    stack_ids=()) -> None:
    """The figures of these cohorts, of every cohort of these people (members, authors of these versions, people
    of these organizations), of every cohort working toward these credentials, and of every cohort of these stacks
    (the dashboard's heading names its stack), change in this transaction:
    one statement, none for what this transaction already reported (deciding a version reports it three times:
    review, state, credential)."""
    reported = db.session.info.setdefault(_REPORTED, set())
    given = {"cohort": cohort_ids, "user": user_ids, "version": version_ids, "organization": organization_ids,
             "credential": credential_ids, "stack": stack_ids}
    new = {kind: {i for i in ids if i is not None and (kind, i) not in reported} for kind, ids in given.items()}
    reported.update((kind, i) for kind, ids in new.items() for i in ids)
    people = [Membership.user_id.in_(new["user"])] if new["user"] else []
    if new["version"]:
        authors = select(Submission.educator_id).join(Version).where(Version.id.in_(new["version"]))
        people.append(Membership.user_id.in_(authors))
    if new["organization"]:
        people.append(Membership.user_id.in_(select(User.id).where(User.organization_id.in_(new["organization"]))))
    cohorts = [Cohort.id.in_(new["cohort"])] if new["cohort"] else []
    if new["credential"]:
        working_toward = select(cohort_credentials.c.cohort_id).where(
            cohort_credentials.c.credential_id.in_(new["credential"])
        )
        cohorts.append(Cohort.id.in_(working_toward))
    if new["stack"]:
        cohorts.append(Cohort.stack_id.in_(new["stack"]))
    if people:
        cohorts.append(Cohort.id.in_(select(Membership.cohort_id).where(or_(*people))))
    if cohorts:
        name = literal(f"{FIGURES.name}:") + cast(Cohort.id, String)
        cache.changed_all(select(name).where(or_(*cohorts)).distinct())


@event.listens_for(Session, "after_transaction_end")
def _forget_reported(session: Session, transaction) -> None:
    # The transaction that reported them is over; after a savepoint (rolled back, perhaps) report again. The
    # flush's own inner transactions keep them.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_REPORTED, None)


def _changed(obj, *keys: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in keys)


class _Touched:
    """What a flush changed that the figures show, sorted by how it leads to cohorts."""

    def __init__(self):
        self.cohort_ids, self.user_ids, self.version_ids, self.organization_ids, self.credential_ids = (
            set(), set(), set(), set(), set()
        )
        self.stack_ids, self.deleted_cohort_ids = set(), set()

    def note(self, obj, how: str) -> None:  # how: "new", "dirty" or "deleted"
        if isinstance(obj, Membership) and (how != "dirty" or _changed(obj, "district_role", "cohort_id")):
            self.cohort_ids.add(obj.cohort_id)
        elif isinstance(obj, Cohort) and how == "deleted":
            self.deleted_cohort_ids.add(obj.id)  # its row is gone: no query finds its name any more
        elif isinstance(obj, Cohort):
            self.cohort_ids.add(obj.id)  # a new one too: its id may be a deleted cohort's
        elif isinstance(obj, Milestone):
            self.cohort_ids.add(obj.cohort_id)
        elif isinstance(obj, Submission) and how != "dirty":
            self.user_ids.add(obj.educator_id)
        elif isinstance(obj, Version) and (
            how != "dirty" or _changed(obj, "state", "number", "submitted_at", "decided_at")
        ):
            self.version_ids.add(obj.id)
        elif isinstance(obj, Review) and (
            _changed(obj, "confirmed_at") if how == "dirty" else obj.confirmed_at is not None
        ):
            self.version_ids.add(obj.version_id)
        elif isinstance(obj, IssuedCredential) and (how != "dirty" or _changed(obj, "revoked_at", "earner_id")):
            if obj.version_id is None:  # a stack's certificate
                self.user_ids.add(obj.earner_id)
            else:
                self.version_ids.add(obj.version_id)
        elif isinstance(obj, User) and how == "dirty" and _changed(obj, "name", "organization_id"):
            self.user_ids.add(obj.id)
        elif isinstance(obj, Organization) and how == "dirty" and _changed(obj, "name"):
            self.organization_ids.add(obj.id)
        elif isinstance(obj, Credential) and how == "dirty" and _changed(obj, "title", "position"):
            self.credential_ids.add(obj.id)  # a stack loaded again: the figures name credentials ...
        elif isinstance(obj, Requirements) and how == "new":
            self.credential_ids.add(obj.credential_id)  # ... and their parts ...
        elif isinstance(obj, Stack) and how == "dirty" and _changed(obj, "title"):
            self.stack_ids.add(obj.id)  # ... and the heading its stack

    def apply(self) -> None:
        for cohort_id in self.deleted_cohort_ids:  # rare: one statement each
            cache.changed(f"{FIGURES.name}:{cohort_id}")
        figures_changed(cohort_ids=self.cohort_ids, user_ids=self.user_ids, version_ids=self.version_ids,
                        organization_ids=self.organization_ids, credential_ids=self.credential_ids,
                        stack_ids=self.stack_ids)


@state_changed.connect
def _note_state_change(version: Version, **_) -> None:
    figures_changed(version_ids=[version.id])


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, _context) -> None:
    # After the flush new rows have their ids, and new, dirty and deleted still list what it wrote.
    touched = _Touched()
    for how, objects in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            touched.note(obj, how)
    touched.apply()
