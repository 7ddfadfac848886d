"""Staff: the reviewer pool table (numbers, strict/lenient marks, bounded queries) and the reviewer settings form."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent, utcnow
from portal.catalog.models import Stack
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, PartResult, Review, ReviewerProfile
from portal.submissions.models import State

PARTS = ("overview", "data_snapshot", "reflection")


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def row_text(page: str, user, table="reviewer") -> str:
    key = getattr(user, "id", user)
    row = re.search(rf'<tr id="{table}-{key}">(.*?)</tr>', page, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


@pytest.fixture
def staff(make_user, login_as):
    user = make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    login_as(user)
    return user


@pytest.fixture
def review_of(make_submission):
    """A confirmed review by `reviewer` of a new foundations version, one mark per part ("y" / "n")."""

    def make(reviewer, marks, *, version=None, days=2):
        version = version or make_submission(state=State.IN_REVIEW).current_version
        assigned = utcnow() - timedelta(days=days + 1)
        assignment = Assignment(
            version_id=version.id, reviewer_id=reviewer.id, assigned_at=assigned, due_at=assigned + timedelta(14),
            state=AssignmentState.DONE, closed_at=assigned + timedelta(days=days),
        )
        results = [
            PartResult(part_key=key, result="yes" if mark == "y" else "not_yet")
            for key, mark in zip(PARTS, marks, strict=True)
        ]
        db.session.add(Review(
            version_id=version.id, reviewer_id=reviewer.id, assignment=assignment,
            confirmed_at=assigned + timedelta(days=days), results=results,
        ))
        db.session.commit()
        return version

    return make


def test_table_shows_each_reviewers_numbers_and_a_strict_reviewer_in_words(client, staff, make_reviewer, review_of):
    harsh, kind, loner = make_reviewer(name="Hal Harsh"), make_reviewer(name="Kim Kind"), make_reviewer(name="Lou")
    for _ in range(4):
        version = review_of(harsh, "nnn", days=3)
        review_of(kind, "yyy", version=version, days=1)

    page = text_of(client.get("/staff/reviewers"))

    # Pool: 12 Yes of 24 (50%). Hal: 0%, so 50 points stricter. Pairs (Hal, Kim): 12 x (not yet, yes):
    # p_o = 0; Cohen p_e = 0 * 1 + 1 * 0 = 0, kappa = 0; Gwet pi = 1/2, p_e = 1/2, AC1 = (0 - 1/2) / (1/2) = -1.
    stack_title = db.session.scalar(select(Stack.title))
    assert row_text(page, harsh) == (
        f"Hal Harsh Lakeview Charter Network Active Pause Hal Harsh 5 0 0 {stack_title} 4 3.0 from 4 reviews "
        "0% of 12 results Much stricter than the pool"
    )
    assert row_text(page, kind).endswith("4 1.0 from 4 reviews 100% of 12 results Much more lenient than the pool")
    # 4 results a part is below STATS_MIN_RESULTS (10); the pool's 8 too.
    assert row_text(page, harsh, "rates") == "Hal Harsh" + " too few to tell (4 results)" * 3
    assert row_text(page, "pool", "rates") == "The whole pool" + " too few to tell (8 results)" * 3
    assert row_text(page, harsh, "agreement") == (
        "Hal Harsh 12 0% from 12 pairs κ 0.00 from 12 pairs AC1 -1.00 from 12 pairs"
    )
    assert row_text(page, loner, "agreement") == "Lou 0" + " too few to tell (0 pairs)" * 3
    assert row_text(page, loner) == (
        f"Lou Lakeview Charter Network Active Pause Lou 5 0 0 {stack_title} 0 not enough decisions yet no results yet"
    )
    assert "The pool says Yes to 50% of the parts" in page


def test_reviewer_role_without_profile_is_listed_and_editing_creates_the_profile(client, staff, make_user, stack):
    newcomer = make_user(name="Nia New", roles=("reviewer",))
    digital_equity = db.session.scalar(select(Stack))

    page = text_of(client.get("/staff/reviewers"))
    form = text_of(client.get(f"/staff/reviewers/{newcomer.id}"))
    response = client.post(
        f"/staff/reviewers/{newcomer.id}", data={"is_active": "y", "capacity": "7", "stacks": [digital_equity.id]}
    )

    assert "Nia New" in row_text(page, newcomer) and "No profile yet" in row_text(page, newcomer)
    assert 'value="5"' in form and "has not been set up yet" in form
    assert response.status_code == 302
    profile = db.session.get(ReviewerProfile, newcomer.id)
    assert (profile.is_active, profile.capacity, profile.stacks) == (True, 7, [digital_equity])


def test_edit_saves_active_capacity_and_stacks_and_audits(client, staff, make_reviewer):
    reviewer = make_reviewer(name="Rita Reviewer", capacity=5)
    stacks = db.session.scalars(select(Stack)).all()

    response = client.post(f"/staff/reviewers/{reviewer.id}", data={"capacity": "12"})  # unchecked: paused, no stacks

    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.get(ReviewerProfile, reviewer.id)
    assert (profile.is_active, profile.capacity, profile.stacks) == (False, 12, [])
    assert stacks  # the stack exists and was unticked
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reviewer.update"))
    assert event.actor_id == staff.id and event.detail == {"is_active": False, "capacity": 12, "stacks": []}


@pytest.mark.parametrize("capacity", ["51", "-1", "lots", "3.5", ""])
def test_edit_refuses_capacity_outside_0_to_50_next_to_the_field(client, staff, make_reviewer, capacity):
    reviewer = make_reviewer(capacity=5)

    response = client.post(f"/staff/reviewers/{reviewer.id}", data={"is_active": "y", "capacity": capacity})

    assert response.status_code == 422
    page = text_of(response)
    error = '<p class="field-error" id="capacity-error"><span>Enter a whole number from 0 to 50.</span> </p>'
    assert error in page  # next to the field, once
    assert page.count('<a href="#capacity">') == 1  # and once in the summary
    assert 'aria-invalid="true"' in page
    db.session.expire_all()
    assert db.session.get(ReviewerProfile, reviewer.id).capacity == 5


def test_edit_of_someone_who_is_not_a_reviewer_is_404(client, staff, make_user):
    educator = make_user()
    assert client.get(f"/staff/reviewers/{educator.id}").status_code == 404
    assert client.post(f"/staff/reviewers/{educator.id}", data={"capacity": "3"}).status_code == 404


def test_pause_and_resume_in_one_click(client, staff, make_reviewer):
    reviewer = make_reviewer(name="Rita Reviewer")

    paused = client.post("/staff/reviewers", data={"user_id": reviewer.id, "action": "pause"}, follow_redirects=True)
    db.session.expire_all()
    is_active_after_pause = db.session.get(ReviewerProfile, reviewer.id).is_active
    client.post("/staff/reviewers", data={"user_id": reviewer.id, "action": "resume"})
    db.session.expire_all()

    assert "Rita Reviewer is paused." in text_of(paused)
    assert is_active_after_pause is False
    assert db.session.get(ReviewerProfile, reviewer.id).is_active is True


def test_table_query_count_does_not_grow_with_reviewers(client, staff, make_reviewer, review_of, count_queries):
    first, second = make_reviewer(), make_reviewer()
    review_of(second, "yyn", version=review_of(first, "yny"))
    with count_queries() as few:
        assert client.get("/staff/reviewers").status_code == 200

    for n in range(9):
        a, b = make_reviewer(), make_reviewer()
        review_of(b, "nny", version=review_of(a, "yyy", days=n), days=n + 1)
    with count_queries() as many:
        page = text_of(client.get("/staff/reviewers"))

    assert page.count('<tr id="reviewer-') == 20
    assert many[0] == few[0]


def test_part_columns_are_titles_grouped_by_credential_never_keys(client, staff, make_reviewer, review_of):
    review_of(make_reviewer(name="Hal Harsh"), "ynn")

    page = text_of(client.get("/staff/reviewers"))

    table = re.search(r'aria-labelledby="parts-heading">(.*?)</table>', page, re.S).group(1)
    groups = re.findall(r'<th scope="colgroup" colspan="(\d+)">([^<]+)</th>', table)
    assert [(int(n), title.split(":")[0]) for n, title in groups] == [(3, "Foundations of Digital Equity")]
    assert re.findall(r'<th scope="col">(Part [^<]+)</th>', table) == [
        "Part 1. Overview Questions", "Part 2. Evidence/Artifacts", "Part 3. Reflection",
    ]
    assert "data_snapshot" not in table


def test_statistics_below_the_minimum_say_too_few_to_tell(app, client, staff, make_reviewer, review_of):
    harsh, kind = make_reviewer(name="Hal Harsh"), make_reviewer(name="Kim Kind")
    version = review_of(harsh, "nny", days=3)
    review_of(kind, "yyy", version=version, days=1)

    page = text_of(client.get("/staff/reviewers"))

    assert row_text(page, harsh, "agreement") == "Hal Harsh 3" + " too few to tell (3 pairs)" * 3
    assert "too few to tell (1 review)" in row_text(page, harsh)  # median days from one decision
    assert "too few to tell (3 results)" in row_text(page, harsh)  # Yes rate

    app.config.update(STATS_MIN_PAIRS=3, STATS_MIN_RESULTS=3, STATS_MIN_DECISIONS=1)
    page = text_of(client.get("/staff/reviewers"))
    assert row_text(page, harsh, "agreement").startswith("Hal Harsh 3 33% from 3 pairs κ ")
    assert "3.0 from 1 review 33% of 3 results" in row_text(page, harsh)


def test_pool_csv_has_the_same_figures_and_neutralizes_formulas(client, staff, make_reviewer, review_of):
    import csv
    import io

    harsh = make_reviewer(name="=cmd|' /C calc'!A0")
    review_of(harsh, "nny")

    response = client.get("/staff/reviewers.csv")

    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert response.mimetype == "text/csv"
    assert lines[0][:3] == ["Name", "Email", "Organization"]
    row = next(line for line in lines[1:] if line[1] == harsh.email)
    assert row[0] == "'=cmd|' /C calc'!A0"
    assert row[8:12] == ["1", "too few to tell", "3", "too few to tell"]
    assert row[13:] == ["0", "too few to tell", "too few to tell", "too few to tell"]


def test_people_csv_uses_the_search_and_neutralizes_formulas(client, staff, make_user):
    import csv
    import io

    make_user(name="+Evil Person", email="evil@example.org", organization="@Org")
    make_user(name="Quiet Person", email="quiet@example.org")

    response = client.get("/staff/people.csv?q=evil")

    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == ["Id", "Name", "Email", "Organization", "Roles", "Created"]
    assert [line[1:5] for line in lines[1:]] == [["'+Evil Person", "evil@example.org", "'@Org", "educator"]]
