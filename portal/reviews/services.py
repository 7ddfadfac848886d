"""Reviewing: recording results, confirming, deciding, adjudicating, declining and reassigning.

A version is decided when the reviews it needs are confirmed: by the one reviewer, by two who agree on
every part, or by staff adjudicating two who disagree. Earned only when every part is Yes.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit, cache
from portal.accounts.models import User
from portal.accounts.services import reviewers_changed
from portal.audit import utcnow
from portal.badges import notices as badge_notices
from portal.badges import services as badges
from portal.badges.keys import IssuerKeyMissing
from portal.catalog.cached import CATALOG
from portal.catalog.models import Stack
from portal.extensions import db
from portal.limits import too_long_message
from portal.notifications import services as notifications
from portal.reviews import routing
from portal.reviews.models import Assignment, AssignmentState, PartResult, Result, Review, ReviewerProfile
from portal.submissions import services as submissions
from portal.submissions.models import State, Version
from portal.text import plural


class ReviewError(Exception):
    """An action this assignment or version no longer allows; the message is for the person who tried."""


@dataclass(frozen=True)
class ResultProblem:
    part_key: str
    message: str
    field_id: str  # the control to fix: the first radio button, or the feedback box


class ResultsIncomplete(ReviewError):
    def __init__(self, problems: list[ResultProblem]):
        super().__init__(f"{plural(len(problems), 'part')} to fix before confirming")
        self.problems = problems


def outcome(results: dict[str, str | None]) -> State:
    """The one rule: earned only when every part is Yes."""
    return State.EARNED if results and all(r == Result.YES for r in results.values()) else State.NOT_YET


def oversize_feedback(version: Version, entries: dict[str, tuple[str | None, str]]) -> list[ResultProblem]:
    """Feedback over the hard size limit (TEXT_MAX_CHARS): such results are not stored at all."""
    return _oversize(version.requirements.parts, entries)


def _oversize(parts, entries: dict[str, tuple[str | None, str]]) -> list[ResultProblem]:
    problems = []
    for number, part in enumerate(parts, start=1):
        message = too_long_message(entries.get(part.key, (None, ""))[1], f"The feedback for Part {number}")
        if message:
            problems.append(ResultProblem(part.key, message, f"{part.key}-feedback"))
    return problems


def check_results(version: Version, entries: dict[str, tuple[str | None, str]]) -> list[ResultProblem]:
    problems = oversize_feedback(version, entries)
    too_long = {problem.part_key for problem in problems}
    for number, part in enumerate(version.requirements.parts, start=1):
        result, feedback = entries.get(part.key, (None, ""))
        if part.key in too_long:
            continue
        if result not in (Result.YES, Result.NOT_YET):
            problems.append(ResultProblem(part.key, f"Part {number}: choose Yes or Not yet.", f"{part.key}-result-0"))
        elif result == Result.NOT_YET and not feedback.strip():
            message = f"Part {number}: explain what is missing, so the educator can act on it."
            problems.append(ResultProblem(part.key, message, f"{part.key}-feedback"))
    return problems


def _review_for(assignment: Assignment) -> Review:
    if assignment.review is None:
        assignment.review = Review(
            version_id=assignment.version_id, reviewer_id=assignment.reviewer_id, assignment=assignment
        )
        db.session.add(assignment.review)
    return assignment.review


def _store(review: Review, version: Version, entries: dict[str, tuple[str | None, str]]) -> None:
    for part in version.requirements.parts:
        result, feedback = entries.get(part.key, (None, ""))
        row = review.result_for(part.key)
        if row is None:
            row = PartResult(part_key=part.key)
            review.results.append(row)
        row.result, row.feedback = result or None, feedback.strip()


def _start_review(version: Version, actor) -> None:
    if version.state == State.SUBMITTED:
        submissions.transition(version.submission, State.IN_REVIEW, actor=actor, version=version)


def _lock_version(version: Version) -> None:
    """Read the version's state again, locked. Everything that reviews or decides a version queues here, one
    transaction at a time: a second reviewer confirming at the same moment then sees the first one's review,
    and a second tab sees it closed. (SQLite has one writer at a time anyway.)"""
    db.session.refresh(version, ["state"], with_for_update=db.engine.dialect.name == "postgresql")


_REVIEW_STATES = (
    select(Version.state, Assignment.state, Assignment.reviewer_id)
    .join(Version, Version.id == Assignment.version_id)
    .where(Assignment.id == bindparam("assignment_id"))
)


def _lock_for_review(assignment: Assignment) -> None:
    """_lock_version for a review, in one statement: the version locked, its state and the assignment's read
    again (another tab may have confirmed it, staff may have reassigned it)."""
    query = _REVIEW_STATES
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=Version)
    version_state, state, reviewer_id = db.session.execute(query, {"assignment_id": assignment.id}).one()
    set_committed_value(assignment.version, "state", version_state)
    set_committed_value(assignment, "state", state)
    set_committed_value(assignment, "reviewer_id", reviewer_id)


def save_review(*, reviewer, assignment: Assignment, entries: dict[str, tuple[str | None, str]]) -> Review:
    """Keep the reviewer's results so far; the first save starts the review (the educator can no longer withdraw).
    Feedback over the hard size limit raises ResultsIncomplete before anything is stored."""
    version = assignment.version
    too_long = oversize_feedback(version, entries)
    if too_long:
        raise ResultsIncomplete(too_long)
    _lock_for_review(assignment)
    _require_open(reviewer, assignment)
    _start_review(version, reviewer)
    review = _review_for(assignment)
    _store(review, version, entries)
    db.session.flush()
    return review


_TARGET = (
    select(Assignment.id, Assignment.reviewer_id, Assignment.state, Assignment.version_id, Version.state,
           Version.submission_id, Version.requirements_id, Review.id,
           cache.generation_column(CATALOG),  # the parts come from the catalog cache: its generation along
           PartResult.part_key)
    .join(Version, Version.id == Assignment.version_id)
    .outerjoin(Review, Review.assignment_id == Assignment.id)
    .outerjoin(PartResult, PartResult.review_id == Review.id)
    .where(Assignment.id == bindparam("assignment_id"))
)
_TARGET_LOCKED = _TARGET.with_for_update(of=Version)


@dataclass(frozen=True)
class ReviewTarget:
    """An assignment as saving needs it, read with its version locked (see _lock_version)."""

    id: int
    reviewer_id: int
    state: str
    version_id: int
    version_state: str
    submission_id: int
    requirements_id: int
    review_id: int | None
    stored_parts: frozenset[str]  # the parts that have a result row already

    @property
    def is_open(self) -> bool:
        return self.state == AssignmentState.OPEN


def lock_review_target(assignment_id: int) -> ReviewTarget | None:
    """One statement: the assignment, its version's state (locked on PostgreSQL) and its review's parts."""
    query = _TARGET_LOCKED if db.engine.dialect.name == "postgresql" else _TARGET
    rows = db.session.connection().execute(query, {"assignment_id": assignment_id}).all()
    if not rows:
        return None
    cache.note_generation(CATALOG, rows[0][-2])
    stored = frozenset(row[-1] for row in rows if row[-1] is not None)
    return ReviewTarget(*rows[0][:-2], stored)


_UPDATE_RESULT = (
    update(PartResult.__table__)
    .where(PartResult.review_id == bindparam("review"), PartResult.part_key == bindparam("key"))
    .values(result=bindparam("chosen"), feedback=bindparam("text"))
)
_INSERT_RESULT = insert(PartResult.__table__).values(
    review_id=bindparam("review"), part_key=bindparam("key"), result=bindparam("chosen"),
    feedback=bindparam("text"),
)


def save_results(*, reviewer, target: ReviewTarget, parts, entries: dict[str, tuple[str | None, str]]) -> None:
    """save_review in plain statements, for the scoring page's save button: what the version and assignment
    allow checked on `target` (read locked), then one UPDATE of the stored results (an INSERT for the first).
    The first save starts the review as save_review does, through the objects (once per review)."""
    too_long = _oversize(parts, entries)
    if too_long:
        raise ResultsIncomplete(too_long)
    refusal = _refusal(reviewer, target.reviewer_id, target.is_open, target.version_state)
    if refusal:
        raise ReviewError(refusal)
    review_id = target.review_id
    if target.version_state == State.SUBMITTED or review_id is None:
        assignment = db.session.get(Assignment, target.id)
        _start_review(assignment.version, reviewer)
        review = _review_for(assignment)
        db.session.flush()
        review_id = review.id
    values = _result_rows(review_id, parts, entries)
    stored = [v for v in values if v["key"] in target.stored_parts]
    new = [v for v in values if v["key"] not in target.stored_parts]
    connection = db.session.connection()
    if stored:
        connection.execute(_UPDATE_RESULT, stored)
    if new:
        connection.execute(_INSERT_RESULT, new)


# On the table, not the model: an ORM-enabled UPDATE costs more to prepare than to run.
_ASSIGNMENTS = Assignment.__table__
_CLOSE_DONE = (
    update(_ASSIGNMENTS)
    .where(_ASSIGNMENTS.c.id == bindparam("assignment_id"), _ASSIGNMENTS.c.state == AssignmentState.OPEN)
    .values(state=AssignmentState.DONE, closed_at=bindparam("now"))
)


def confirm_review(*, reviewer, assignment: Assignment, entries: dict[str, tuple[str | None, str]]) -> Review:
    """Record the final results once. Refused when a part lacks a result or a Not yet lacks feedback, and when
    this assignment was already confirmed (another tab) or taken away. May decide the version."""
    problems = check_results(assignment.version, entries)
    if problems:
        save_review(reviewer=reviewer, assignment=assignment, entries=entries)  # kept: only the confirming fails
        raise ResultsIncomplete(problems)
    version = assignment.version
    _lock_for_review(assignment)
    _require_open(reviewer, assignment)
    _start_review(version, reviewer)
    now = utcnow()
    closed = db.session.execute(_CLOSE_DONE, {"assignment_id": assignment.id, "now": now})
    if closed.rowcount != 1:
        raise ReviewError("This review was already confirmed or reassigned; nothing was changed.")
    set_committed_value(assignment, "state", AssignmentState.DONE)
    set_committed_value(assignment, "closed_at", now)
    review, results = _store_confirmed(assignment, version, entries, now)
    audit.record("review.confirm", actor=reviewer, subject=version.submission, version=version.number,
                 outcome=outcome(results).value)
    _decide_after_confirm(version, assignment, results, actor=reviewer)  # still locked from _lock_for_review
    route_to_freed(reviewer.id, actor=reviewer)
    return review


def _result_rows(review_id: int, parts, entries: dict[str, tuple[str | None, str]]) -> list[dict]:
    """The parameters of _UPDATE_RESULT / _INSERT_RESULT, one row per part."""
    rows = []
    for part in parts:
        result, feedback = entries.get(part.key, (None, ""))
        rows.append({"review": review_id, "key": part.key, "chosen": result or None, "text": feedback.strip()})
    return rows


def _store_confirmed(assignment: Assignment, version: Version, entries: dict[str, tuple[str | None, str]],
                     now) -> tuple[Review, dict[str, str | None]]:
    """The confirmed review, written once with its time, and its results. A first review's results go in one
    statement (the ORM would insert them one by one); a review saved before changes in place."""
    if assignment.review is not None:
        review = assignment.review
        _store(review, version, entries)
        review.confirmed_at = now
        db.session.flush()
        return review, _results_of(review)
    review = _review_for(assignment)
    review.confirmed_at = now
    db.session.flush()
    rows = _result_rows(review.id, version.requirements.parts, entries)
    db.session.execute(_INSERT_RESULT, rows)
    return review, {row["key"]: row["chosen"] for row in rows}


def _require_open(reviewer, assignment: Assignment) -> None:
    refusal = _refusal(reviewer, assignment.reviewer_id, assignment.is_open, assignment.version.state)
    if refusal:
        raise ReviewError(refusal)


def _refusal(reviewer, reviewer_id: int, is_open: bool, version_state: str) -> str | None:
    if reviewer_id != reviewer.id:
        return "This submission is not assigned to you."
    if not is_open:
        return "This review is closed: it was confirmed, declined or reassigned."
    if version_state not in (State.SUBMITTED, State.IN_REVIEW):
        return "This version is no longer waiting for review."
    return None


def _results_of(review: Review) -> dict[str, str | None]:
    return {r.part_key: r.result for r in review.results}


_CONFIRMED = (
    select(Review)
    .where(Review.version_id == bindparam("version_id"), Review.confirmed_at.is_not(None))
    .order_by(Review.id)
    .options(joinedload(Review.results))
)


def confirmed_reviews(version: Version) -> list[Review]:
    return list(db.session.scalars(_CONFIRMED, {"version_id": version.id}).unique())


def deciding_review(version: Version) -> Review | None:
    """The review whose results the educator sees: the adjudication, or the (first) agreeing review."""
    reviews = confirmed_reviews(version)
    adjudications = [r for r in reviews if r.is_adjudication]
    if adjudications:
        return adjudications[0]
    return reviews[0] if reviews and version.state in (State.EARNED, State.NOT_YET) else None


def needs_adjudication(version: Version, reviews: list[Review] | None = None) -> bool:
    reviews = confirmed_reviews(version) if reviews is None else reviews
    confirmed = [(r.is_adjudication, _results_of(r)) for r in reviews]
    return version.state == State.IN_REVIEW and reviews_disagree(confirmed)


def reviews_disagree(confirmed: list[tuple[bool, dict]]) -> bool:
    """Two regular reviews that differ on some part, with no adjudication yet. `confirmed` holds
    (is_adjudication, {part: result}) for each confirmed review of one version, in review order."""
    regular = [results for is_adjudication, results in confirmed if not is_adjudication]
    adjudicated = any(is_adjudication for is_adjudication, _ in confirmed)
    return len(regular) >= 2 and not adjudicated and regular[0] != regular[1]


def agreed_parts(reviews: list[Review]) -> dict[str, tuple[str, str]]:
    """The parts on which the two regular reviews agree: part key -> (their result, their feedback together).
    Adjudication starts from these and asks staff only about the rest."""
    regular = [r for r in reviews if not r.is_adjudication][:2]
    if len(regular) < 2:
        return {}
    first, second = ({r.part_key: r for r in review.results} for review in regular)
    agreed = {}
    for key, mine in first.items():
        theirs = second.get(key)
        if theirs is None or mine.result is None or mine.result != theirs.result:
            continue
        notes = [text for text in dict.fromkeys((mine.feedback.strip(), theirs.feedback.strip())) if text]
        agreed[key] = (mine.result, "\n\n".join(notes))
    return agreed


def _decide_if_complete(version: Version, *, actor) -> None:
    """Decide the version if its last needed review was just confirmed. The caller holds the version's lock."""
    reviews = [r for r in confirmed_reviews(version) if not r.is_adjudication]
    if len(reviews) < routing.reviews_needed_for(version.submission_id):
        return
    if needs_adjudication(version, reviews):
        audit.record("review.disagreement", actor=actor, subject=version.submission, version=version.number)
        _tell_staff(version, "Two reviewers disagree on a submission; it needs adjudication.", "Needs adjudication")
        return
    _decide(version, _results_of(reviews[0]), actor=actor)


def _decide_after_confirm(version: Version, assignment: Assignment, results: dict[str, str | None], *,
                          actor) -> None:
    """_decide_if_complete for a review just confirmed, reading the version's assignments instead of its reviews:
    a regular review is confirmed exactly when its assignment is done (both in one transaction), so while no other
    assignment is done, this review alone counts, and its results are those just stored."""
    assignments = version_assignments(version)
    others_done = [a for a in assignments if a.state == AssignmentState.DONE and a.id != assignment.id]
    if 1 + len(others_done) < routing.reviews_needed_for(version.submission_id):
        return
    if others_done:
        _decide_if_complete(version, actor=actor)  # two reviews: compare them
        return
    _decide(version, results, actor=actor, assignments=assignments)


def _decide(version: Version, results: dict[str, str | None], *, actor, assignments=None) -> None:
    """Apply the outcome, release any review still open on the version, and tell the educator. `assignments`:
    the version's, when the caller read them already."""
    state = outcome(results)
    submission = version.submission
    submissions.transition(submission, state, actor=actor, version=version)
    issued = _issue_credential(version)
    for assignment in version_assignments(version) if assignments is None else assignments:
        if assignment.is_open:
            _close(assignment, AssignmentState.RELEASED, why="decided")
    if state == State.EARNED:
        badge_notices.tell_earned(version=version, issued=issued)
        return
    title = submission.credential.title
    text = f"“{title}”: a reviewer marked some parts Not yet."
    notifications.notify(
        user=submission.educator,
        text=text,
        link=f"/submissions/{submission.id}/versions/{version.number}",
        email_subject=f"Earned: {title}" if state == State.EARNED else f"Not yet: {title}, feedback is ready",
        email_body=f"{text}\n\nRead the result and feedback for every part of version {version.number}.",
        kind="submission.decided",
        new_link=True,  # a version is decided once
    )


def _issue_credential(version: Version):
    """In the decision's transaction: an earned decision is never recorded without its signed credential.
    Returns the credential issued now (None when nothing was issued)."""
    try:
        return badges.issue_for_version(version=version)
    except IssuerKeyMissing as missing:
        raise ReviewError(
            "The decision was not recorded: the portal cannot sign the credential because it has no issuer key. "
            "Tell the program staff; once they have made one, confirm again."
        ) from missing


def adjudicate(*, staff, version: Version, entries: dict[str, tuple[str | None, str]]) -> Review:
    """Staff settle a disagreement with their own results for every part; these decide the version.
    A staff member who reviewed the version cannot also settle it."""
    _lock_version(version)
    if not needs_adjudication(version):
        raise ReviewError("This version does not need adjudication (it may have been settled already).")
    if staff.id in {r.reviewer_id for r in confirmed_reviews(version)}:
        raise ReviewError("You reviewed this version; another staff member must adjudicate it.")
    problems = check_results(version, entries)
    if problems:
        raise ResultsIncomplete(problems)
    review = Review(version_id=version.id, reviewer_id=staff.id, is_adjudication=True, confirmed_at=utcnow())
    db.session.add(review)
    _store(review, version, entries)
    db.session.flush()
    audit.record("review.adjudicate", actor=staff, subject=version.submission, version=version.number)
    _decide(version, _results_of(review), actor=staff)
    return review


def decline(*, reviewer, assignment: Assignment, reason: str) -> list[Assignment]:
    """Give an assignment back (a conflict, no time) and route the version to someone else at once."""
    if assignment.reviewer_id != reviewer.id or not assignment.is_open:
        raise ReviewError("Only an open assignment of yours can be declined.")
    _close(assignment, AssignmentState.DECLINED, reason=reason.strip(), why="declined")
    audit.record("review.decline", actor=reviewer, subject=assignment.version.submission, reason=reason.strip())
    return _route_or_flag(assignment.version, actor=reviewer)


def reassign(*, staff, assignment: Assignment, reviewer_id: int | None = None) -> list[Assignment]:
    """Take an open assignment away and give it to the chosen reviewer, or to the next eligible one."""
    if not assignment.is_open:
        raise ReviewError("Only an open assignment can be reassigned.")
    _close(assignment, AssignmentState.RELEASED, why="reassigned")
    audit.record(
        "review.reassign",
        actor=staff,
        subject=assignment.version.submission,
        released=assignment.reviewer_id,
        to=reviewer_id,
    )
    if reviewer_id is None:
        return _route_or_flag(assignment.version, actor=staff)
    return [assign_by_hand(staff=staff, version=assignment.version, reviewer_id=reviewer_id)]


def assign_by_hand(*, staff, version: Version, reviewer_id: int) -> Assignment:
    """Staff choose the reviewer, among those the routing rule allows: active, qualified for the stack, under
    capacity, not the author or from the author's organization, not one who declined or already had it. The
    version is locked and its state read again, so an educator withdrawing at the same moment either comes first
    (and this is refused) or releases the new assignment."""
    submissions.lock_version(version)
    if version.state not in (State.SUBMITTED, State.IN_REVIEW):
        raise ReviewError("Only a submitted version waiting for review can be assigned.")
    stack_id = version.submission.credential.stack_id
    routing.load_candidates(stack_id)  # takes the reviewers' locks, as routing does, so capacity holds
    candidate = next((c for c in routing.pool_candidates(stack_id) if c.user_id == reviewer_id), None)
    if candidate is None:
        raise ReviewError("Choose a reviewer from the list.")
    reasons = routing.refusals(version, [candidate])[reviewer_id]
    if reasons:
        name = db.session.get(User, reviewer_id).name
        raise ReviewError(f"{name} cannot take this submission: {', '.join(reasons)}.")
    assignment = routing.assign(version, reviewer_id=reviewer_id, actor=staff)
    _tell_reviewer(assignment)
    return assignment


def release_for_withdrawal(version: Version, *, actor) -> None:
    released = [a for a in version_assignments(version) if a.is_open]
    for assignment in released:
        _close(assignment, AssignmentState.RELEASED, why="withdrawn")
    for assignment in released:
        route_to_freed(assignment.reviewer_id, actor=actor)


def release_reviewer(*, reviewer, actor) -> int:
    """A reviewer left (account deactivated, or the reviewer role removed): close every open assignment of
    theirs as released and route each version to someone else, or flag it for staff. Returns how many."""
    held = db.session.scalars(
        select(Assignment).where(Assignment.reviewer_id == reviewer.id, Assignment.state == AssignmentState.OPEN)
    ).all()
    for assignment in held:
        _close(assignment, AssignmentState.RELEASED, why="left")
        audit.record("review.release", actor=actor, subject=assignment.version.submission, released=reviewer.id)
    for assignment in held:
        _route_or_flag(assignment.version, actor=actor)
    return len(held)


def prepare_reviewer(*, user, actor) -> ReviewerProfile:
    """Make someone just given the reviewer role ready for work at once: a first profile is active, has the
    default capacity and covers every stack; then they get waiting work they can take."""
    profile = db.session.get(ReviewerProfile, user.id)
    if profile is None:
        profile = ReviewerProfile(user_id=user.id, user=user, is_active=True, stacks=list(db.session.scalars(
            select(Stack).order_by(Stack.id))))
        db.session.add(profile)
        db.session.flush()
        reviewers_changed()
        audit.record("reviewer.update", actor=actor, subject=user, is_active=True, capacity=profile.capacity,
                     stacks=[s.slug for s in profile.stacks])
    route_to_freed(user.id, actor=actor)
    return profile


def reviewer_gaps(profile: ReviewerProfile) -> list[str]:
    """What keeps a reviewer from receiving work, in words for staff; empty when they are ready."""
    gaps = []
    if not profile.is_active:
        gaps.append("their availability is paused")
    if not profile.stacks:
        gaps.append("they are not qualified for any stack")
    if profile.capacity < 1:
        gaps.append("their capacity is 0")
    return gaps


# Why a closed assignment's notices (new review, reminders) no longer apply, as its reviewer reads it.
NO_LONGER_YOURS = {
    "declined": "you declined this review.",
    "reassigned": "staff gave this review to another reviewer.",
    "withdrawn": "the educator withdrew the submission; no review is needed.",
    "decided": "the submission was decided without this review.",
    "left": "you no longer review for this program, so staff routed it to someone else.",
}


def _close(assignment: Assignment, state: AssignmentState, reason: str = "", *, why: str) -> None:
    assignment.state, assignment.closed_at, assignment.decline_reason = state, utcnow(), reason
    db.session.flush()
    notifications.withdraw_notices(
        user_id=assignment.reviewer_id, link=f"/review/assignments/{assignment.id}", note=NO_LONGER_YOURS[why]
    )


def _route_or_flag(version: Version, *, actor) -> list[Assignment]:
    created = routing.route(version, actor=actor)
    for assignment in created:
        _tell_reviewer(assignment)
    if not created and len(routing.holders(version)) < routing.reviews_needed_for(version.submission_id):
        audit.record("review.unassigned", actor=actor, subject=version.submission, version=version.number)
        _tell_staff(version, "A submission is waiting: no eligible reviewer is available.", "No reviewer available")
    return created


def route_submitted(version: Version, *, actor) -> list[Assignment]:
    """After submit: tell the educator it arrived, and find its reviewer(s) or flag it for staff."""
    submission = version.submission
    title = submission.credential.title
    notifications.notify(
        user=submission.educator,
        text=f"We received “{title}” (version {version.number}).",
        link=f"/submissions/{submission.id}/versions/{version.number}",
        email_subject=f"Submitted: {title} (version {version.number}) arrived",
        email_body=f"Your submission of “{title}” (version {version.number}) arrived and is waiting for a reviewer.",
        kind="submission.received",
    )
    return _route_or_flag(version, actor=actor)


def route_waiting(*, actor=None) -> int:
    """Give every waiting version to whoever is free now, oldest first (`flask reviews tick`).
    Returns how many versions got a reviewer."""
    return _route_each(routing.waiting_versions(), actor=actor)


def route_to_freed(reviewer_id: int, *, actor=None) -> int:
    """One reviewer just gained room (a confirm, a release, a resume, a capacity or stack change). A version
    waits only while nobody eligible has room, so only this reviewer can take more: only the versions they
    could take are tried, as many as they have room for."""
    room = routing.room_of(reviewer_id)
    return _route_each(routing.waiting_for(reviewer_id, limit=room), actor=actor) if room else 0


def _route_each(versions: list[Version], *, actor) -> int:
    routed = 0
    for version in versions:
        created = routing.route(version, actor=actor)
        for assignment in created:
            _tell_reviewer(assignment)
        routed += bool(created)
    return routed


def send_reminders(*, now=None) -> tuple[int, int]:
    """Remind reviewers before the due date and once when overdue. Returns (reminded, overdue)."""
    now = now or utcnow()
    soon = now + timedelta(days=current_app.config["REVIEW_REMINDER_DAYS"])
    open_ = select(Assignment).where(Assignment.state == AssignmentState.OPEN)
    due_soon = db.session.scalars(
        open_.where(Assignment.reminded_at.is_(None), Assignment.due_at <= soon, Assignment.due_at > now)
    ).all()
    overdue = db.session.scalars(open_.where(Assignment.overdue_notified_at.is_(None), Assignment.due_at <= now)).all()
    for assignment in due_soon:
        assignment.reminded_at = now
        _remind(assignment, f"Reminder: a review of “{_title(assignment)}” is due {assignment.due_at:%d %b %Y}.")
    for assignment in overdue:
        assignment.overdue_notified_at = now
        _remind(assignment, f"Overdue: the review of “{_title(assignment)}” was due {assignment.due_at:%d %b %Y}.")
    db.session.flush()
    return len(due_soon), len(overdue)


def _title(assignment: Assignment) -> str:
    return assignment.version.submission.credential.title


def _remind(assignment: Assignment, text: str) -> None:
    notifications.notify(
        user=assignment.reviewer,
        text=text,
        link=f"/review/assignments/{assignment.id}",
        email_subject=text,
        email_body=text,
        kind="review.reminder",
    )


def reviewer_profile(user) -> ReviewerProfile:
    """The user's reviewer profile, or the defaults a new one would have (not saved: reading changes nothing)."""
    return db.session.get(ReviewerProfile, user.id) or ReviewerProfile(
        user_id=user.id, is_active=True, capacity=ReviewerProfile.capacity.default.arg
    )


def ensure_profile(user) -> ReviewerProfile:
    profile = db.session.get(ReviewerProfile, user.id)
    if profile is None:
        profile = ReviewerProfile(user_id=user.id, user=user)
        db.session.add(profile)
        db.session.flush()
        reviewers_changed()
    return profile


def set_availability(*, reviewer, is_active: bool) -> ReviewerProfile:
    """A reviewer pauses or resumes themselves. Resuming picks up waiting work at once."""
    profile = ensure_profile(reviewer)
    profile.is_active = is_active
    audit.record("reviewer.availability", actor=reviewer, subject=reviewer, is_active=is_active)
    if is_active:
        route_to_freed(reviewer.id, actor=reviewer)
    return profile


def update_reviewer(*, staff, profile: ReviewerProfile, is_active: bool, capacity: int, stacks) -> None:
    profile.is_active, profile.capacity, profile.stacks = is_active, capacity, list(stacks)
    db.session.flush()
    audit.record(
        "reviewer.update",
        actor=staff,
        subject=profile.user,
        is_active=is_active,
        capacity=capacity,
        stacks=[s.slug for s in stacks],
    )
    route_to_freed(profile.user_id, actor=staff)


def _tell_reviewer(assignment: Assignment) -> None:
    # Blind review: the message names the credential and a number, never the educator.
    title = assignment.version.submission.credential.title
    notifications.notify(
        user=assignment.reviewer,
        text=f"New review: “{title}”, due {assignment.due_at:%d %b %Y}.",
        link=f"/review/assignments/{assignment.id}",
        email_subject=f"New review assigned: {title}",
        email_body=f"A submission of “{title}” is waiting for your review. It is due {assignment.due_at:%d %b %Y}.",
        kind="review.assigned",
        new_link=True,
    )


def _tell_staff(version: Version, text: str, what: str) -> None:
    for staff in db.session.scalars(select(User).where(User.is_staff)):
        notifications.notify(
            user=staff,
            text=text,
            link=f"/staff/submissions/{version.submission_id}",
            email_subject=f"{what}: submission {version.submission_id}, {version.submission.credential.title}",
            email_body=text,
            kind="staff.attention",
        )


def version_assignments(version: Version) -> list[Assignment]:
    return list(
        db.session.scalars(select(Assignment).where(Assignment.version_id == version.id).order_by(Assignment.id))
    )
