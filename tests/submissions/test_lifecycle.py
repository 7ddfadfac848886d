"""The submission life cycle as a table: every pair of states, allowed or refused."""

import dataclasses
import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEvent
from portal.catalog.loader import bundled_stack_paths, load_stack
from portal.catalog.services import sync_stack
from portal.extensions import db
from portal.submissions import services
from portal.submissions.models import State

ALLOWED = {
    (State.DRAFT, State.SUBMITTED),
    (State.DRAFT, State.WITHDRAWN),
    (State.SUBMITTED, State.IN_REVIEW),
    (State.SUBMITTED, State.WITHDRAWN),
    (State.IN_REVIEW, State.EARNED),
    (State.IN_REVIEW, State.NOT_YET),
    (State.NOT_YET, State.DRAFT),
}


def test_transition_table_is_the_documented_life_cycle():
    assert services.TRANSITIONS == ALLOWED


@pytest.mark.parametrize(("start", "to"), list(itertools.product(State, State)))
def test_transition(make_submission, make_user, start, to):
    staff = make_user(roles=("staff",))
    submission = make_submission(state=start, staff=staff)
    before = len(submission.versions)
    if (start, to) not in ALLOWED:
        with pytest.raises(services.TransitionNotAllowed):
            services.transition(submission, to, actor=staff)
        assert submission.current_version.state == start
        return
    version = services.transition(submission, to, actor=staff)
    db.session.commit()
    assert version.state == to
    last = db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
    assert last == f"submission.{to.value}"
    if to == State.DRAFT:  # revising after "Not yet" opens a new version and keeps the decided one
        assert len(submission.versions) == before + 1
        assert submission.versions[-2].state == State.NOT_YET
        assert version.answers == submission.versions[-2].answers
    else:
        assert len(submission.versions) == before


def test_decided_at_is_set_exactly_when_final(make_submission):
    earned = make_submission(state=State.EARNED)
    in_review = make_submission(state=State.IN_REVIEW)
    assert earned.current_version.decided_at is not None
    assert in_review.current_version.decided_at is None


def test_database_refuses_a_final_state_without_decided_at(make_submission):
    submission = make_submission(state=State.IN_REVIEW)
    submission.current_version.state = State.EARNED
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_start_requires_prerequisites(make_user, credential):
    educator = make_user()
    with pytest.raises(services.SubmissionError, match="Foundations of Digital Equity"):
        services.start_submission(educator=educator, credential=credential("district-plan"))


def test_start_returns_the_open_submission_instead_of_a_second_one(make_user, credential):
    educator = make_user()
    first = services.start_submission(educator=educator, credential=credential("foundations"))
    again = services.start_submission(educator=educator, credential=credential("foundations"))
    assert first.id == again.id


def test_start_after_withdrawal_begins_from_the_withdrawn_text(make_user, make_submission, credential):
    educator = make_user()
    withdrawn = make_submission(educator=educator, state=State.WITHDRAWN)
    fresh = services.start_submission(educator=educator, credential=credential("foundations"))
    assert fresh.id != withdrawn.id
    assert fresh.current_version.state == State.DRAFT
    assert fresh.current_version.answers == withdrawn.current_version.answers


def test_withdraw_is_refused_once_review_started(make_submission):
    submission = make_submission(state=State.IN_REVIEW)
    with pytest.raises(services.TransitionNotAllowed):
        services.withdraw(educator=submission.educator, submission=submission)


def test_revision_keeps_the_requirements_version_it_was_written_against(make_submission, credential):
    submission = make_submission(state=State.DRAFT)
    spec = load_stack(bundled_stack_paths()[0])
    changed = dataclasses.replace(
        spec, credentials=tuple(
            dataclasses.replace(c, parts=(dataclasses.replace(c.parts[0], word_limit=150), *c.parts[1:]))
            if c.slug == "foundations" else c for c in spec.credentials
        ),
    )
    assert sync_stack(changed) == ["credential foundations: requirements version 2"]
    db.session.commit()
    assert credential("foundations").requirements.number == 2
    assert submission.current_version.requirements.number == 1
    assert submission.current_version.requirements.parts[0].word_limit == 200
