"""The reviewer pool's numbers on a constructed set of reviews, checked against values worked out by hand."""

from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from portal.extensions import db
from portal.reviews import stats
from portal.reviews.models import Assignment, AssignmentState, PartResult, Review
from portal.reviews.services import ensure_profile
from portal.submissions.models import State

PARTS = ("overview", "data_snapshot", "reflection")  # the parts of "foundations", in order
START = datetime(2026, 3, 2, 9, 0)
NOW = datetime(2026, 4, 1, 12, 0)


def record(version, reviewer, marks: str, *, days: float | None, adjudication=False) -> Review:
    """A review of `version` with one mark per part ("y" Yes, "n" Not yet), confirmed `days` after it was
    assigned; days=None leaves the review unconfirmed and its assignment open (and overdue at NOW)."""
    confirmed_at = None if days is None else START + timedelta(days=days)
    assignment = None
    if not adjudication:
        assignment = Assignment(
            version_id=version.id, reviewer_id=reviewer.id, assigned_at=START, due_at=START + timedelta(days=14),
            state=AssignmentState.OPEN if confirmed_at is None else AssignmentState.DONE, closed_at=confirmed_at,
        )
        db.session.add(assignment)
    review = Review(
        version_id=version.id, reviewer_id=reviewer.id, assignment=assignment, is_adjudication=adjudication,
        confirmed_at=confirmed_at,
        results=[
            PartResult(part_key=key, result={"y": "yes", "n": "not_yet"}[mark], feedback="" if mark == "y" else "Add.")
            for key, mark in zip(PARTS, marks, strict=True)
        ],
    )
    db.session.add(review)
    db.session.flush()
    return review


@pytest.fixture
def reviewer(make_user):
    def make(name, organization="Lakeview Charter Network"):
        user = make_user(name=name, roles=("reviewer",), organization=organization)
        ensure_profile(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def versions(make_submission):
    def make(count):
        return [make_submission(state=State.IN_REVIEW).current_version for _ in range(count)]

    return make


@pytest.fixture
def constructed(reviewer, versions, make_user):
    """Ann double-scores v1, v2 with Ben and v3 with Cy, scores v4 alone and still owes v5."""
    ann, ben, cy = reviewer("Ann"), reviewer("Ben"), reviewer("Cy")
    staff = make_user(name="Stella", roles=("staff",))
    v1, v2, v3, v4, v5 = versions(5)
    record(v1, ann, "yyn", days=2)
    record(v1, ben, "ynn", days=3)
    record(v1, staff, "nnn", days=5, adjudication=True)  # staff's adjudication counts for nobody
    record(v2, ann, "yyy", days=4)
    record(v2, ben, "yyy", days=1)
    record(v3, ann, "nyy", days=1)
    record(v3, cy, "yyy", days=6)
    record(v4, ann, "yyy", days=10)
    record(v5, ann, "nnn", days=None)  # saved, not confirmed: not a result yet
    db.session.commit()
    return {"ann": ann, "ben": ben, "cy": cy}


def row_of(pool, user):
    return next(r for r in pool.reviewers if r.user.id == user.id)


def test_reviews_done_and_median_days(constructed):
    pool = stats.reviewer_pool(now=NOW)
    ann, ben, cy = (row_of(pool, constructed[n]) for n in ("ann", "ben", "cy"))

    assert (ann.reviews_done, ben.reviews_done, cy.reviews_done) == (4, 2, 1)
    # Ann took 2, 4, 1 and 10 days: sorted 1, 2, 4, 10, median (2 + 4) / 2.
    assert ann.median_days == pytest.approx(3.0)
    assert ben.median_days == pytest.approx(2.0)
    assert cy.median_days == pytest.approx(6.0)


def test_load_and_overdue_count_open_assignments_only(constructed):
    pool = stats.reviewer_pool(now=NOW)

    assert (row_of(pool, constructed["ann"]).load, row_of(pool, constructed["ann"]).overdue) == (1, 1)
    assert (row_of(pool, constructed["ben"]).load, row_of(pool, constructed["ben"]).overdue) == (0, 0)


def test_yes_rate_per_part(constructed):
    pool = stats.reviewer_pool(now=NOW)
    ann = row_of(pool, constructed["ann"])

    # Confirmed Ann: v1 yyn, v2 yyy, v3 nyy, v4 yyy (the unconfirmed v5 and staff's adjudication do not count).
    assert {k: (r.yes, r.total) for k, r in ann.parts.items()} == {
        "overview": (3, 4), "data_snapshot": (4, 4), "reflection": (3, 4),
    }
    assert ann.yes_rate == pytest.approx(10 / 12)
    # Pool: Ann 10 of 12, Ben 4 of 6, Cy 3 of 3.
    assert pool.yes_rate == pytest.approx(17 / 21)
    assert pool.part_keys == ["data_snapshot", "overview", "reflection"]


def test_agreement_of_a_reviewer_against_their_partners(constructed):
    pool = stats.reviewer_pool(now=NOW)
    ann = row_of(pool, constructed["ann"])

    # Pairs (Ann, other) per part: v1 (y,y) (y,n) (n,n); v2 3 x (y,y); v3 (n,y) (y,y) (y,y).
    # yy 6, yn 1, ny 1, nn 1, N 9. p_o = 7/9. Ann: 7 yes, 2 no; partners: 7 yes, 2 no.
    # Cohen p_e = (7/9)^2 + (2/9)^2 = 53/81; kappa = (63/81 - 53/81) / (28/81) = 5/14.
    # Gwet pi_yes = 14/18 = 7/9; p_e = 2 * 7/9 * 2/9 = 28/81; AC1 = (63/81 - 28/81) / (53/81) = 35/53.
    assert ann.agreement.pairs == 9
    assert ann.agreement.percent == pytest.approx(float(Fraction(7, 9)))
    assert ann.agreement.kappa == pytest.approx(float(Fraction(5, 14)))
    assert ann.agreement.ac1 == pytest.approx(float(Fraction(35, 53)))


def test_agreement_with_one_partner_and_undefined_without_double_scoring(constructed, reviewer):
    dee = reviewer("Dee")

    pool = stats.reviewer_pool(now=NOW)
    cy, newcomer = row_of(pool, constructed["cy"]), row_of(pool, dee)

    # (Cy, Ann) on v3: (y,n) (y,y) (y,y). p_o = 2/3; Cy all yes, so Cohen p_e = 1 * 2/3 and kappa = 0.
    # Gwet pi_yes = 5/6: p_e = 2 * 5/6 * 1/6 = 5/18, AC1 = (12/18 - 5/18) / (13/18) = 7/13.
    assert cy.agreement.pairs == 3 and cy.agreement.percent == pytest.approx(2 / 3)
    assert cy.agreement.kappa == pytest.approx(0.0)
    assert cy.agreement.ac1 == pytest.approx(7 / 13)
    assert newcomer.agreement.pairs == 0
    assert (newcomer.agreement.percent, newcomer.agreement.kappa, newcomer.agreement.ac1) == (None, None, None)
    assert (newcomer.reviews_done, newcomer.median_days, newcomer.parts) == (0, None, {})


def test_pool_lists_reviewer_role_without_profile_and_nobody_else(make_user, constructed):
    unset = make_user(name="Una", roles=("reviewer",))
    make_user(name="Eddie")  # an educator

    pool = stats.reviewer_pool(now=NOW)

    assert [r.user.name for r in pool.reviewers] == ["Ann", "Ben", "Cy", "Una"]
    assert row_of(pool, unset).profile is None


def test_far_from_the_pool_is_named_once_there_are_enough_results(reviewer, versions):
    harsh, kind, middle = reviewer("Harsh"), reviewer("Kind"), reviewer("Middle")
    for version in versions(4):
        record(version, harsh, "nnn", days=1)
        record(version, kind, "yyy", days=1)
        record(version, middle, "yny", days=1)
    db.session.commit()

    pool = stats.reviewer_pool(now=NOW)

    # Pool: 12 + 8 yes of 36 = 5/9. Harsh 0 (gap -56 points), Kind 1 (+44), Middle 2/3 (+11).
    assert pool.yes_rate == pytest.approx(20 / 36)
    assert row_of(pool, harsh).comparison == "Much stricter than the pool"
    assert row_of(pool, kind).comparison == "Much more lenient than the pool"
    assert row_of(pool, middle).comparison is None


def test_too_few_results_are_not_compared():
    row = stats.ReviewerStats(user=None, profile=None, parts={"overview": stats.PartRate(yes=0, total=3)})
    assert stats.compare_to_pool(row, 0.9) is None
    row.parts = {"overview": stats.PartRate(yes=0, total=stats.MIN_RESULTS_TO_COMPARE)}
    assert stats.compare_to_pool(row, 0.9) == "Much stricter than the pool"
    assert stats.compare_to_pool(row, 0.25) is None  # exactly 25 points is not "more than 25"


def test_pool_queries_do_not_grow_with_reviewers(reviewer, versions, count_queries):
    first, partner = reviewer("First"), reviewer("Partner")
    version = versions(1)[0]
    record(version, first, "yyn", days=2)
    record(version, partner, "yyy", days=3)
    db.session.commit()
    with count_queries() as few:
        stats.reviewer_pool(now=NOW)

    for n, version in enumerate(versions(9)):
        a, b = reviewer(f"A{n}"), reviewer(f"B{n}")
        record(version, a, "nyn", days=n)
        record(version, b, "yyy", days=n + 1)
    db.session.commit()
    with count_queries() as many:
        pool = stats.reviewer_pool(now=NOW)

    assert len(pool.reviewers) == 20
    assert many[0] == few[0]
