"""Every figure of the dashboard on a constructed cohort, against values worked out by hand.

The cohort works toward credentials 1 (foundations) and 2 (identifying-challenges). Members:

  name   organization  credential 1                        credential 2   decided versions (days to decision)
  Ada    Riverside     earned on version 1                 in review      1: 1 day
  Ben    Riverside     not yet (version 1)                 -              1: 2 days
  Cai    Riverside     submitted                           -
  Dee    Mesa          draft                               -
  Eve    Mesa          -                                   -
  Fay    Lakeview      earned on version 1                 earned (v1)    1: 3 days; 2: 10 days
  Gus    Lakeview      not yet on v1, earned on v2         -              1: 4 days, then 6 days
  Hal    Lakeview      withdrawn                           -

Plus Xan, not a member, who earned credential 1: nothing of Xan's may count.
"""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.audit import utcnow
from portal.cohorts import breakdowns, dashboard, matrix
from portal.cohorts.matrix import MatrixQuery
from portal.cohorts.models import Membership
from portal.extensions import db
from portal.reviews.models import PartResult, Review
from portal.submissions import services as submissions
from portal.submissions.models import State, Version
from tests.conftest import fill_and_submit

RIVERSIDE, MESA, LAKEVIEW = "Riverside Unified School District", "Mesa County Schools", "Lakeview Charter Network"
BASE = datetime(2025, 3, 3, 9, 0)


def set_days(submission, number, days):
    version = next(v for v in submission.versions if v.number == number)
    version.submitted_at, version.decided_at = BASE, BASE + timedelta(days=days)


def review(version, reviewer, results, confirmed=True):
    db.session.add(Review(
        version_id=version.id, reviewer_id=reviewer.id, confirmed_at=utcnow() if confirmed else None,
        results=[PartResult(part_key=key, result=result) for key, result in results.items()],
    ))


@pytest.fixture
def built(make_cohort, make_user, make_submission, join, staff, yesterday, next_month):
    cohort = make_cohort(
        slugs=("foundations", "identifying-challenges"),
        milestones=[("Credential 1 earned", yesterday, ["foundations"]),
                    ("Credentials 1-2 earned", next_month, ["foundations", "identifying-challenges"])],
    )
    people = {name: make_user(name=name, organization=org) for name, org in [
        ("Ada", RIVERSIDE), ("Ben", RIVERSIDE), ("Cai", RIVERSIDE), ("Dee", MESA), ("Eve", MESA),
        ("Fay", LAKEVIEW), ("Gus", LAKEVIEW), ("Hal", LAKEVIEW)]}
    join(cohort, *people.values())
    xan = make_user(name="Xan", organization=RIVERSIDE)
    f = "foundations"
    ada1 = make_submission(people["Ada"], f, State.EARNED, staff)
    make_submission(people["Ada"], "identifying-challenges", State.IN_REVIEW, staff)
    ben1 = make_submission(people["Ben"], f, State.NOT_YET, staff)
    make_submission(people["Cai"], f, State.SUBMITTED, staff)
    make_submission(people["Dee"], f, State.DRAFT, staff)
    fay1 = make_submission(people["Fay"], f, State.EARNED, staff)
    fay2 = make_submission(people["Fay"], "identifying-challenges", State.EARNED, staff)
    gus1 = make_submission(people["Gus"], f, State.NOT_YET, staff)
    submissions.transition(gus1, State.DRAFT, actor=people["Gus"])
    fill_and_submit(gus1, people["Gus"])
    submissions.transition(gus1, State.IN_REVIEW, actor=staff)
    submissions.transition(gus1, State.EARNED, actor=staff)
    make_submission(people["Hal"], f, State.WITHDRAWN, staff)
    xan1 = make_submission(xan, f, State.NOT_YET, staff)
    for submission, number, days in [(ada1, 1, 1), (ben1, 1, 2), (fay1, 1, 3), (fay2, 1, 10), (gus1, 1, 4),
                                     (gus1, 2, 6), (xan1, 1, 100)]:
        set_days(submission, number, days)
    reviewer = make_user(name="Rita", roles=("reviewer",), organization="Elsewhere")
    review(ada1.versions[0], reviewer, {"overview": "yes", "data_snapshot": "yes", "reflection": "yes"})
    review(ben1.versions[0], reviewer, {"overview": "not_yet", "data_snapshot": "yes", "reflection": "not_yet"})
    review(gus1.versions[0], reviewer, {"overview": "not_yet", "data_snapshot": "yes", "reflection": "yes"})
    review(gus1.versions[1], reviewer, {"data_snapshot": "not_yet"}, confirmed=False)  # not confirmed: ignored
    review(xan1.versions[0], reviewer, {"reflection": "not_yet"})  # not a member: ignored
    db.session.commit()
    return cohort, people


def test_headline_counts_per_credential(built, today):
    cohort, _ = built
    summary = dashboard.summarize(cohort, today)
    assert summary.members == 8
    found, ident = summary.credentials
    assert found.credential.slug == "foundations"
    assert found.counts == {"earned": 3, "in_review": 1, "not_yet": 1, "draft": 1, "not_started": 2}
    assert ident.counts == {"earned": 1, "in_review": 1, "not_yet": 0, "draft": 0, "not_started": 6}


def test_funnel_per_credential(built, today):
    found, ident = dashboard.summarize(built[0], today).credentials
    assert found.funnel == {"members": 8, "started": 6, "submitted": 5, "decided": 4, "earned": 3}
    assert ident.funnel == {"members": 8, "started": 2, "submitted": 2, "decided": 1, "earned": 1}
    assert found.funnel_width("started") == 75.0


def test_median_days_and_first_attempt_rate(built, today):
    summary = dashboard.summarize(built[0], today)
    assert summary.median_days == pytest.approx(3.5)  # 1 2 3 4 6 10
    assert [f.median_days for f in summary.credentials] == [pytest.approx(3.0), pytest.approx(10.0)]
    assert (summary.first_attempt.hits, summary.first_attempt.total) == (3, 5)
    assert summary.first_attempt.percent == 60.0


def test_parts_most_often_not_yet_come_from_confirmed_reviews_of_members(built, today):
    parts = dashboard.summarize(built[0], today).parts
    assert [(p.credential.slug, p.part_key, p.not_yet, p.judged) for p in parts] == [
        ("foundations", "overview", 2, 3), ("foundations", "reflection", 1, 3),
    ]
    assert parts[0].part_title == "Part 1. Overview Questions"
    assert parts[0].rate.percent == 66.7


def test_milestones_on_track_and_behind(built, today):
    past, future = dashboard.summarize(built[0], today).milestones
    assert past.is_past and past.counts == {"met": 3, "on_track": 0, "behind": 5, "not_started": 0}
    assert [name for _, name in past.behind] == ["Ben", "Cai", "Dee", "Eve", "Hal"]
    assert not future.is_past and future.counts == {"met": 1, "on_track": 1, "behind": 6, "not_started": 0}
    assert [name for _, name in future.behind] == ["Ben", "Cai", "Dee", "Eve", "Gus", "Hal"]


def test_matrix_states_and_not_started(built):
    cohort, _ = built
    page = matrix.matrix_page(cohort, MatrixQuery())
    assert page.total == 8
    states = {row.name: [cell.state for cell in row.cells] for row in page.items}
    assert states == {
        "Ada": ["earned", "in_review"], "Ben": ["not_yet", "not_started"], "Cai": ["submitted", "not_started"],
        "Dee": ["draft", "not_started"], "Eve": ["not_started", "not_started"], "Fay": ["earned", "earned"],
        "Gus": ["earned", "not_started"], "Hal": ["withdrawn", "not_started"],
    }
    assert [row.earned for row in page.items] == [1, 0, 0, 0, 0, 2, 1, 0]


def test_matrix_filters_sorts_and_pages(built, credential, today):
    cohort, _ = built
    ident = credential("identifying-challenges").id

    def names(**kwargs):
        return [row.name for row in matrix.matrix_page(cohort, MatrixQuery(**kwargs)).items]

    lakeview = next(i for i, name in dashboard.figures(cohort, today).organizations if name == LAKEVIEW)
    assert names(organization_id=lakeview) == ["Fay", "Gus", "Hal"]
    assert names(state="not_yet") == ["Ben"]
    assert names(state="not_started", credential_id=ident) == ["Ben", "Cai", "Dee", "Eve", "Gus", "Hal"]
    assert names(state="not_started") == ["Ben", "Cai", "Dee", "Eve", "Gus", "Hal"]  # any credential
    assert names(state="earned", credential_id=ident) == ["Fay"]
    assert names(sort="earned", descending=True)[:2] == ["Fay", "Ada"]
    assert names(sort="organization")[:3] == ["Fay", "Gus", "Hal"]  # Lakeview first
    page = matrix.matrix_page(cohort, MatrixQuery(), page=2, per_page=3)
    assert [row.name for row in page.items] == ["Dee", "Eve", "Fay"] and page.pages == 3


def test_matrix_sort_descending_reverses_the_chosen_column_only(built):
    cohort, people = built
    for name, role in {"Ada": "Principal", "Ben": "CTO", "Cai": "Principal"}.items():  # the rest: Director of ...
        db.session.execute(
            update(Membership).where(Membership.user_id == people[name].id).values(district_role=role)
        )
    db.session.commit()

    def names(**kwargs):
        return [row.name for row in matrix.matrix_page(cohort, MatrixQuery(**kwargs)).items]

    assert names(sort="role") == ["Ben", "Dee", "Eve", "Fay", "Gus", "Hal", "Ada", "Cai"]
    assert names(sort="role", descending=True) == ["Ada", "Cai", "Dee", "Eve", "Fay", "Gus", "Hal", "Ben"]
    assert names(sort="name", descending=True) == ["Hal", "Gus", "Fay", "Eve", "Dee", "Cai", "Ben", "Ada"]


def test_breakdown_by_organization(built):
    cohort, _ = built
    found, ident = (c.id for c in cohort.credentials)
    b = breakdowns.breakdown(cohort, "organization")
    rows = {row.label: row for row in b.rows}
    assert [row.label for row in b.rows] == [LAKEVIEW, MESA, RIVERSIDE]
    assert (rows[RIVERSIDE].members, rows[RIVERSIDE].earned) == (3, {found: 1, ident: 0})
    assert (rows[RIVERSIDE].first_attempt.hits, rows[RIVERSIDE].first_attempt.total) == (1, 2)
    assert rows[RIVERSIDE].median_days == pytest.approx(1.5)
    assert (rows[MESA].members, rows[MESA].earned, rows[MESA].first_attempt.percent, rows[MESA].median_days) == (
        2, {found: 0, ident: 0}, None, None)
    assert (rows[LAKEVIEW].members, rows[LAKEVIEW].earned) == (3, {found: 2, ident: 1})
    assert rows[LAKEVIEW].first_attempt.percent == 66.7
    assert rows[LAKEVIEW].median_days == pytest.approx(5.0)  # 3 4 6 10
    assert (b.total.members, b.total.earned, b.total.first_attempt.percent) == (8, {found: 3, ident: 1}, 60.0)
    assert not any(row.hidden for row in b.rows)


def test_dashboard_page_shows_the_figures(client, login_as, built, staff):
    cohort, people = built
    login_as(staff)
    page = client.get(f"/staff/cohorts/{cohort.id}").get_data(as_text=True)
    assert '<span class="figure-value">8</span>' in page
    assert '<span class="figure-value">3.5</span>' in page
    assert '<span class="figure-value">60.0%</span>' in page
    assert "<td>3</td><td>1</td><td>1</td><td>1</td><td>2</td><td>3.0</td>" in page  # credential 1 row
    assert page.count('class="state state-not_started"') == 7
    assert "Xan" not in page
    assert '<rect class="fill-earned" x="0.0" y="0" width="37.5"' in page  # 3 of 8 earned credential 1
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script: the CSP forbids it


def test_matrix_page_filters_through_query_arguments(client, login_as, built, staff):
    cohort, _ = built
    login_as(staff)
    page = client.get(f"/staff/cohorts/{cohort.id}?state=not_yet&sort=name&order=desc").get_data(as_text=True)
    assert "1 member matches the filter" in page
    assert ">Ben</a>" in page and ">Ada</a>" not in page


def test_version_rows_use_the_latest_version(built):
    # Gus's first version stays "not yet"; his cell shows the latest, earned.
    cohort, people = built
    versions = db.session.scalars(select(Version).order_by(Version.id)).all()
    assert any(v.state == State.NOT_YET for v in versions)
    row = next(r for r in matrix.matrix_page(cohort, MatrixQuery()).items if r.name == "Gus")
    assert row.cells[0].state == "earned" and row.cells[0].number == 2


def test_a_new_draft_after_a_withdrawal_is_the_latest_state(built, make_submission, today):
    cohort, people = built
    make_submission(people["Hal"], "foundations", State.DRAFT)
    row = next(r for r in matrix.matrix_page(cohort, MatrixQuery()).items if r.name == "Hal")
    assert (row.cells[0].state, row.cells[0].number) == ("draft", 1)
    found, _ = dashboard.summarize(cohort, today).credentials
    assert found.counts == {"earned": 3, "in_review": 1, "not_yet": 1, "draft": 2, "not_started": 1}


def test_milestones_are_not_started_before_the_cohort_begins(built):
    cohort = built[0]
    before = cohort.starts_on - timedelta(days=1)
    for milestone in dashboard.summarize(cohort, before).milestones:
        assert milestone.counts["behind"] == milestone.counts["on_track"] == 0
        assert milestone.counts["not_started"] == 8 - milestone.counts["met"] > 0



@pytest.mark.parametrize("page", [1, 2, 3, 99])
def test_the_plain_member_table_from_the_kept_roster_matches_the_sql_one(app, built, today, page):
    # Everyone by name is cut from the roster kept with the figures; any filter is worked out in SQL. A filter
    # that keeps everyone (states of any credential) takes the SQL way to the same rows.
    cohort, _ = built
    ids = [c.id for c in cohort.credentials]
    roster = dashboard.figures(cohort, today).roster
    with app.test_request_context():
        kept = matrix.roster_page_html(cohort.id, ids, roster, page, "/e/", per_page=3)
        worked_out = matrix.matrix_page_html(cohort.id, ids, MatrixQuery(credential_id=ids[0]), page, "/e/", per_page=3)
    assert (kept.items, kept.page, kept.total) == (worked_out.items, worked_out.page, worked_out.total)
    assert len(kept.items) == (2 if page >= 3 else 3) and kept.total == 8


def test_a_cohort_without_members_shows_no_member_table(client, login_as, make_cohort, staff):
    cohort = make_cohort(name="Empty", slugs=("foundations",))
    login_as(staff)
    page = client.get(f"/staff/cohorts/{cohort.id}?page=3").get_data(as_text=True)
    assert "0 members" in page and 'id="matrix-caption"' not in page
