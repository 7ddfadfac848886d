"""What the scoring page and its buttons read: each table once, nothing they do not show or need.

The guards name the statements of the reviews' own tables, so that the fixed cost of every page (the session,
the user, the notices count) can change without touching them."""

import re
from contextlib import contextmanager

from sqlalchemy import event, select

from portal.badges.keys import signing_key
from portal.extensions import db
from portal.reviews import routing
from portal.reviews.models import Assignment
from tests.reviews.test_routing import confirm_first_open, open_reviewers

PLAN_FORM = {"overview-result": "yes", "plan-result": "yes", "reflection-result": "yes",
             "overview-feedback": "", "plan-feedback": "", "reflection-feedback": ""}


@contextmanager
def statements():
    """The SQL statements run inside the block, each with its whitespace squeezed."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def reading(seen: list[str], table: str) -> list[str]:
    """The SELECTs whose first FROM names `table` (joined tables and subqueries among the columns aside)."""
    return [s for s in seen if s.startswith("SELECT") and _first_from(s) == table]


def _first_from(statement: str) -> str:
    outer = re.sub(r"\(SELECT (?:[^()]|\([^()]*\))*\)", "()", statement)
    return f"{outer} FROM -".split(" FROM ")[1].split(" ")[0]


def writing(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith((f"UPDATE {table} ", f"INSERT INTO {table} "))]


def scoring(make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.version_id == version.id))
    login_as(reviewer)
    return f"/review/assignments/{assignment_id}"


def test_opening_a_first_version_reads_the_assignment_and_its_files_once(
    client, make_reviewer, submit_plan, login_as
):
    path = scoring(make_reviewer, submit_plan, login_as)
    assert client.post(path, data={**PLAN_FORM, "action": "save"}).status_code == 302  # a review to show

    with statements() as seen:
        page = client.get(path)

    assert page.status_code == 200
    assert len(reading(seen, "assignments")) == 1  # with the version, the review's results, the catalog's generation
    assert len(reading(seen, "artifacts")) == 1
    assert reading(seen, "part_results") == reading(seen, "reviews") == reading(seen, "cache_generations") == []
    assert reading(seen, "submission_versions") == []  # a first version has no earlier round to look up
    # Blind review: the educator's name is not read (the signed-in reviewer's own, with their session, is).
    assert [s for s in reading(seen, "users") if "user_sessions" not in s] == []


def test_saving_a_rubric_reads_the_assignment_once_and_no_files(client, make_reviewer, submit_plan, login_as):
    path = scoring(make_reviewer, submit_plan, login_as)
    assert client.post(path, data={**PLAN_FORM, "action": "save"}).status_code == 302  # starts the review

    with statements() as seen:
        saved = client.post(path, data={**PLAN_FORM, "plan-feedback": "Clearer goals.", "action": "save"})

    assert saved.status_code == 302 and saved.headers["Location"].endswith(path)
    # One read, locked (the version's and the assignment's state, the review's parts), then one UPDATE.
    assert len(reading(seen, "assignments")) == 1
    assert reading(seen, "artifacts") == reading(seen, "part_results") == reading(seen, "reviews") == []
    assert reading(seen, "cache_generations") == []  # read along with the assignment
    assert len(writing(seen, "part_results")) == 1
    assert len(seen) - len(reading(seen, "users")) - len(reading(seen, "user_sessions")) == 2


def test_a_freed_reviewer_finds_waiting_work_behind_many_held_versions(make_reviewer, submit_plan):
    """The oldest submitted versions are held by someone else; the first waiting one is further on than one
    page of them, and is still found."""
    freed = make_reviewer(capacity=1)
    busy = make_reviewer(capacity=40, organization="Northside Schools")
    submit_plan()  # fills `freed`
    held = [submit_plan() for _ in range(routing.PAGE_SLACK + 3)]
    waiting = submit_plan(organization="Northside Schools")  # `busy` may not take it, and `freed` is full
    assert all(open_reviewers(s.current_version) == {busy.id} for s in held)
    assert open_reviewers(waiting.current_version) == set()

    confirm_first_open(freed)

    assert open_reviewers(waiting.current_version) == {freed.id}


def test_confirming_reads_no_more_when_held_versions_pile_up(make_reviewer, submit_plan, count_queries):
    """Versions held by others before the waiting one cost nothing per version."""
    freed = make_reviewer(capacity=1)
    busy = make_reviewer(capacity=60, organization="Northside Schools")
    signing_key()
    submit_plan()
    submit_plan(organization="Northside Schools")  # waits for `freed`
    with count_queries() as few:
        confirm_first_open(freed)
    for _ in range(15):
        submit_plan()  # held by `busy`, older than the next waiting version
    submit_plan(organization="Northside Schools")
    with count_queries() as many:
        confirm_first_open(freed)

    assert many[0] == few[0]
    assert len(routing.waiting_versions()) == 0 and busy.id != freed.id


def test_confirming_a_deciding_review_reads_and_writes_each_thing_once(
    app, client, make_reviewer, submit_plan, login_as
):
    """Every part Yes, one review needed: the version is decided, its credential issued, and the freed reviewer
    given the version waiting for them. The decision needs no read of the reviews (this one is the only one),
    issuing one read of the earner's standing, and the notices about new things no look for duplicates."""
    app.config["CALIBRATION_SHARE"] = 0
    reviewer = make_reviewer(capacity=1)
    signing_key()  # the issuer key is published on first use, once: not what this test counts
    first = submit_plan().current_version
    waiting = submit_plan().current_version
    assert open_reviewers(waiting) == set()
    assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.version_id == first.id))
    login_as(reviewer)
    path = f"/review/assignments/{assignment_id}"

    with statements() as seen:
        confirmed = client.post(path, data={**PLAN_FORM, "action": "confirm"})

    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/review")
    assert open_reviewers(waiting) == {reviewer.id}
    assert reading(seen, "reviews") == reading(seen, "part_results") == []
    assert [s for s in seen if s.startswith("SELECT notices.")] == []  # (the session's count is a subquery)
    # One read for issuing: the stack's credentials with the earner's rows, the certificate, the status index.
    assert len([s for s in seen if s.startswith("SELECT") and "issued_credentials" in s]) == 1
    assert len(writing(seen, "reviews")) == 1  # written once, with its confirmation time
    assert len(writing(seen, "notices")) == 2  # the educator's and the freed reviewer's
    assert len(writing(seen, "reviewer_profiles")) == 1  # when last assigned (SQLite's write lock is held already)
    # The session and the assignment; 18 to review, decide and issue (5 of them audit entries and cache
    # generations); 11 to route the waiting version and tell its reviewer. People (the earner) aside: the test
    # may hold them loaded already. PostgreSQL locks the reviewers in a statement of its own.
    locking = 1 if db.engine.dialect.name == "postgresql" else 0
    assert len(seen) - len(reading(seen, "users")) <= 31 + locking, "\n".join(seen)
