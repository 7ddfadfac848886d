"""Submissions: starting, saving, submitting, withdrawing and revising. Every state change goes through transition()."""

import copy
from dataclasses import dataclass
from pathlib import Path

from blinker import Namespace
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit
from portal.audit import utcnow
from portal.catalog.models import Credential
from portal.extensions import db
from portal.submissions import blind, carryover, storage, uploads
from portal.submissions.carryover import CarryOver
from portal.submissions.models import Artifact, State, Submission, Version
from portal.submissions.validation import Problem, oversize_problems, submission_problems, word_limit_problems
from portal.text import plural

# (from, to): the life cycle. NOT_YET -> DRAFT opens a new version; the decided one is kept as it is.
TRANSITIONS = {
    (State.DRAFT, State.SUBMITTED),
    (State.DRAFT, State.WITHDRAWN),
    (State.SUBMITTED, State.IN_REVIEW),
    (State.SUBMITTED, State.WITHDRAWN),
    (State.IN_REVIEW, State.EARNED),
    (State.IN_REVIEW, State.NOT_YET),
    (State.NOT_YET, State.DRAFT),
}
OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.IN_REVIEW, State.NOT_YET, State.EARNED)
# Sent with the version after its state changed, in the same transaction. The conditional UPDATE bypasses the
# session's flush, where higher domains see changes, so what they derive from states (the cohorts' dashboard
# figures) hears it here; this domain does not know who listens.
state_changed = Namespace().signal("submission-state-changed")


class SubmissionError(Exception):
    """An action the submission's state or its author's record does not allow."""


class TransitionNotAllowed(SubmissionError):
    pass


class NotReady(SubmissionError):
    """Submit was refused; .problems lists every reason, each tied to its field."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{plural(len(problems), 'problem')} to fix before submitting")
        self.problems = problems


class TooLong(SubmissionError):
    """A save was refused because a text is over the hard limit; .problems names each field."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message)
        self.problems = problems


@dataclass
class EditConflict(SubmissionError):
    """The draft was saved elsewhere (another tab) after this copy was loaded."""

    version: Version


def transition(submission: Submission, to: State, *, actor, version: Version | None = None) -> Version:
    """Move the current version to state `to`, or refuse. The change is a conditional UPDATE, so of two
    concurrent requests (two reviewers, two tabs) exactly one applies. Writes the audit entry. `version`: the
    current version, when the caller holds it already (reviewing does), so the others are not read."""
    version = version or submission.current_version
    start = State(version.state)
    if (start, to) not in TRANSITIONS:
        raise TransitionNotAllowed(f"A {start.label.lower()} version cannot become {to.label.lower()}.")
    if to == State.DRAFT:
        version = _open_new_version(submission, version)
    else:
        _apply_state(version, start, to)
    db.session.flush()
    audit.record(f"submission.{to.value}", actor=actor, subject=submission, version=version.number)
    return version


_VERSIONS = Version.__table__


def _apply_state(version: Version, start: State, to: State) -> None:
    stamp = {
        State.SUBMITTED: "submitted_at", State.EARNED: "decided_at", State.NOT_YET: "decided_at",
        State.WITHDRAWN: "withdrawn_at",
    }.get(to)
    values = {"state": to.value, **({stamp: utcnow()} if stamp else {})}
    db.session.flush()
    # On the table, not the model: an ORM-enabled UPDATE costs more to prepare than to run.
    result = db.session.execute(
        update(_VERSIONS).where(_VERSIONS.c.id == version.id, _VERSIONS.c.state == start.value).values(**values)
    )
    if result.rowcount != 1:
        db.session.expire(version)  # read again on next use: someone else's change
        raise TransitionNotAllowed("This submission was changed by someone else a moment ago. Reload to see it.")
    for name, value in values.items():  # what the UPDATE wrote, without reading the row (and its answers) again
        set_committed_value(version, name, value)
    state_changed.send(version)


def _open_new_version(submission: Submission, previous: Version) -> Version:
    answers, artifacts = carryover.carry(previous, previous.requirements)
    version = Version(number=previous.number + 1, requirements=previous.requirements, answers=answers,
                      artifacts=artifacts)
    submission.versions.append(version)
    return version


def revise(*, educator, submission: Submission) -> CarryOver:
    """Open a new draft after Not yet, with every answer and file of the decided version (which is kept)."""
    if submission.educator_id != educator.id:
        raise SubmissionError("Only the author can revise a submission.")
    previous = submission.current_version
    version = transition(submission, State.DRAFT, actor=educator)
    return carryover.report(previous, version, source=f"version {previous.number}")


def earned_credential_ids(educator) -> set[int]:
    # EXISTS, not a join: with a join SQLite walked every earned version of everyone (the index on state), a
    # cost that grew with the whole portal; this reads the educator's few submissions and each one's versions.
    earned = select(Version.id).where(Version.submission_id == Submission.id, Version.state == State.EARNED)
    query = select(Submission.credential_id).where(Submission.educator_id == educator.id, earned.exists())
    return set(db.session.scalars(query))


def missing_prerequisites(educator, credential: Credential) -> list[Credential]:
    """The prerequisites of credential that educator has not earned yet, in stack order."""
    if not credential.prerequisites:
        return []
    earned = earned_credential_ids(educator)
    return [p for p in credential.prerequisites if p.id not in earned]


def find_open_submission(educator, credential: Credential) -> Submission | None:
    """The educator's submission for credential that is not withdrawn, if any: there is at most one."""
    query = (
        select(Submission)
        .where(Submission.educator_id == educator.id, Submission.credential_id == credential.id)
        .options(selectinload(Submission.versions))
        .order_by(Submission.id.desc())
    )
    for submission in db.session.scalars(query):
        if submission.state != State.WITHDRAWN:
            return submission
    return None


def start_submission(*, educator, credential: Credential) -> Submission:
    """Open a draft against the credential's current requirements, or return the one already open."""
    return start_or_restart(educator=educator, credential=credential)[0]


def start_or_restart(*, educator, credential: Credential) -> tuple[Submission, CarryOver | None]:
    """Open a draft against the credential's current requirements, or return the one already open.
    After a withdrawal the new draft starts from the withdrawn version's answers and files, so nothing is lost;
    the CarryOver says what was taken over (None when nothing was withdrawn before)."""
    missing = missing_prerequisites(educator, credential)
    if missing:
        names = ", ".join(f"“{c.title}”" for c in missing)
        raise SubmissionError(f"Earn {names} before submitting this credential.")
    existing = find_open_submission(educator, credential)
    if existing:
        return existing, None
    previous = _latest_withdrawn(educator, credential)
    answers, artifacts = carryover.carry(previous.current_version, credential.requirements) if previous else ({}, [])
    submission = Submission(educator=educator, credential=credential)
    draft = Version(number=1, requirements=credential.requirements, answers=answers, artifacts=artifacts)
    submission.versions.append(draft)
    db.session.add(submission)
    db.session.flush()
    audit.record("submission.start", actor=educator, subject=submission,
                 **({"carried_from": previous.id, "files": len(artifacts)} if previous else {}))
    if previous is None:
        return submission, None
    return submission, carryover.report(previous.current_version, draft, source="your withdrawn submission")


def _latest_withdrawn(educator, credential: Credential) -> Submission | None:
    # Called when no open submission exists, so the latest one, if any, was withdrawn.
    query = (
        select(Submission)
        .where(Submission.educator_id == educator.id, Submission.credential_id == credential.id)
        .order_by(Submission.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def save_draft(*, educator, submission: Submission, answers: dict, base_revision: int) -> list[Problem]:
    """Save answers over the draft if nobody saved since base_revision; otherwise raise EditConflict and
    change nothing. A text over the hard size limit raises TooLong, also changing nothing. Returns the
    warnings (words over a limit): a draft may exceed them, a submission may not."""
    version = _editable_version(educator, submission)
    too_long = oversize_problems(version.requirements.parts, answers)
    if too_long:
        raise TooLong(too_long)
    result = db.session.execute(
        update(Version)
        .where(Version.id == version.id, Version.revision == base_revision, Version.state == State.DRAFT)
        .values(answers=answers, revision=Version.revision + 1, saved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(version)
    if result.rowcount != 1:
        raise EditConflict(version)
    return word_limit_problems(version.requirements.parts, answers)


def remove_goal(*, educator, submission: Submission, part_key: str, index: int, base_revision: int) -> dict:
    """Take one goal out of a plan, after its author confirmed; refused (EditConflict) when the draft was saved
    since the confirmation page was shown, so the goal removed is the one the author saw. Returns the goal."""
    version = _editable_version(educator, submission)
    answers = copy.deepcopy(version.answers)
    goals = (answers.get(part_key) or {}).get("goals") or []
    if not 0 <= index < len(goals):
        raise SubmissionError("That goal is no longer in the draft.")
    removed = goals.pop(index)
    save_draft(educator=educator, submission=submission, answers=answers, base_revision=base_revision)
    audit.record("submission.remove_goal", actor=educator, subject=submission, part=part_key, goal=index + 1)
    return removed


def _editable_version(educator, submission: Submission) -> Version:
    version = submission.current_version
    if submission.educator_id != educator.id or not version.is_editable:
        raise SubmissionError("This version has been submitted and can no longer be changed.")
    return version


def submit(*, educator, submission: Submission) -> Version:
    """Freeze the draft and send it for review, or raise NotReady listing every problem at once."""
    version = _editable_version(educator, submission)
    if not educator.is_email_confirmed:
        raise SubmissionError(f"Confirm your email address ({educator.email}) before submitting. Your draft is saved.")
    missing = missing_prerequisites(educator, submission.credential)
    if missing:
        raise SubmissionError(f"Earn “{missing[0].title}” before submitting this credential.")
    file_counts = {}
    for artifact in version.artifacts:
        file_counts[artifact.part_key] = file_counts.get(artifact.part_key, 0) + 1
    problems = submission_problems(version.requirements.parts, version.answers, file_counts)
    if problems:
        raise NotReady(problems)
    return transition(submission, State.SUBMITTED, actor=educator)


def lock_version(version: Version, *, skip_locked: bool = False) -> bool:
    """Lock the version's row until the commit and read its state again. Withdrawing and assigning both start
    here, so one waits for the other and then sees its outcome: a withdrawn version never gets an open
    assignment. (SQLite has one writer at a time anyway.) skip_locked: return False at once instead of waiting
    when another transaction holds the row."""
    query = select(Version.state).where(Version.id == version.id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=skip_locked)
    state = db.session.scalar(query)
    if state is None:
        return False
    set_committed_value(version, "state", state)  # read again under the lock, as a refresh would, in one query
    return True


def withdraw(*, educator, submission: Submission) -> Version:
    """Take a draft or a submitted version back before review starts. The version is locked first: the caller
    releases its open assignments in the same transaction, and no assignment can be added meanwhile."""
    if submission.educator_id != educator.id:
        raise SubmissionError("Only the author can withdraw a submission.")
    lock_version(submission.current_version)
    return transition(submission, State.WITHDRAWN, actor=educator)


def add_artifact(*, educator, submission: Submission, part_key: str, stream, filename: str, config) -> Artifact:
    """Check a file by its content and attach it to the draft, with the reviewers' copy without its author
    metadata. Both files are published when the caller commits (storage.py). Raises uploads.UploadRejected with
    the reason: a refused file, the account's quota reached, or a disk that refused the file (nothing is
    changed then, so the text saved with it is kept)."""
    version = _editable_version(educator, submission)
    name = uploads.safe_display_name(filename)
    if len(version.artifacts) >= config["UPLOAD_MAX_FILES"]:
        limit = config["UPLOAD_MAX_FILES"]
        raise uploads.UploadRejected(f"“{name}” was not added: a submission can have at most {plural(limit, 'file')}.")
    file_type, size, digest = uploads.check_upload(stream, filename, max_bytes=config["UPLOAD_MAX_BYTES"])
    _check_quota(educator, name, size, config["UPLOAD_QUOTA_BYTES"])
    reviewers_copy = _reviewers_copy(file_type, stream, name)
    stored_name, blind_name = _stage(stream, reviewers_copy, Path(config["UPLOAD_FOLDER"]), name)
    artifact = Artifact(
        part_key=part_key, stored_name=stored_name, blind_name=blind_name, original_name=name,
        kind=file_type.kind, size=size, sha256=digest,
    )
    version.artifacts.append(artifact)
    db.session.flush()
    audit.record("artifact.add", actor=educator, subject=submission, artifact=artifact.id)
    return artifact


def _check_quota(educator, name: str, size: int, quota: int) -> None:
    used = storage.used_bytes(educator.id)
    if used + size > quota:
        raise uploads.UploadRejected(
            f"“{name}” was not added: your files would take {uploads.format_size(used + size, round_up=True)}, "
            f"more than the {uploads.format_size(quota, round_up=False)} each account may use. "
            "Remove files you no longer need from your drafts, or ask your program staff."
        )


def _reviewers_copy(file_type, stream, name: str) -> bytes:
    stream.seek(0)
    try:
        return blind.strip_metadata(file_type.kind, stream.read())
    except blind.CannotStrip as error:
        raise uploads.UploadRejected(
            f"“{name}” could not be read as a {file_type.label} file. "
            "Save it again from the program that made it, then upload it."
        ) from error
    finally:
        stream.seek(0)


def _stage(stream, reviewers_copy: bytes, folder: Path, name: str) -> tuple[str, str]:
    staged = []
    try:
        for content in (stream, reviewers_copy):
            staged.append(uploads.stage_file(content, folder))
    except OSError as error:
        storage.discard(folder, *staged)
        raise uploads.UploadRejected(storage.storage_problem(error, name)) from error
    storage.publish_on_commit(folder, *staged)
    return staged[0], staged[1]


def remove_artifact(*, educator, submission: Submission, artifact: Artifact, upload_folder) -> None:
    """Detach a file from the draft. The stored files are deleted after the commit, unless an earlier version
    still carries them."""
    version = _editable_version(educator, submission)
    version.artifacts.remove(artifact)
    db.session.flush()
    audit.record("artifact.remove", actor=educator, subject=submission, artifact=artifact.id)
    still_used = db.session.scalar(select(Artifact.id).where(Artifact.stored_name == artifact.stored_name).limit(1))
    if still_used is None:
        names = [n for n in (artifact.stored_name, artifact.blind_name) if n]
        storage.delete_on_commit(Path(upload_folder), *names)


def list_dashboard(educator) -> list[Submission]:
    query = (
        select(Submission)
        .where(Submission.educator_id == educator.id)
        .options(selectinload(Submission.versions), selectinload(Submission.credential))
        .order_by(Submission.created_at.desc())
    )
    return list(db.session.scalars(query))
