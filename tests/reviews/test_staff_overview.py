"""The staff overview: waiting and overdue work, adjudications pending, cohorts behind; a bounded query count."""

import re
from datetime import timedelta

from sqlalchemy import update

from portal.audit import utcnow
from portal.cohorts import services as cohorts
from portal.cohorts.models import Membership
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from tests.reviews.conftest import all_yes
from tests.reviews.test_scoring import assignment_of


def _disagreement(make_reviewer, submit_plan):
    first, second = make_reviewer(), make_reviewer()
    version = submit_plan().current_version
    harsh = all_yes(version)
    harsh["reflection"] = ("not_yet", "Say how the plan changed your view.")
    reviews.confirm_review(reviewer=first, assignment=assignment_of(version, first), entries=all_yes(version))
    reviews.confirm_review(reviewer=second, assignment=assignment_of(version, second), entries=harsh)
    db.session.commit()
    return version


def _cohort_behind(credential, staff, members, name="Spring Cohort"):
    today = utcnow().date()
    cohort = cohorts.create_cohort(
        name=name, program="", description="", starts_on=today - timedelta(days=60), ends_on=None,
        stack=credential("foundations").stack, credentials=[credential("foundations")], actor=staff,
    )
    cohorts.save_milestone(cohort=cohort, title="Foundations by March", due_on=today - timedelta(days=1),
                           credentials=[credential("foundations")], actor=staff)
    for member in members:
        db.session.add(Membership(cohort_id=cohort.id, user_id=member.id))
    db.session.commit()
    return cohort


def _page(client) -> str:
    response = client.get("/staff/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_overview_counts_each_kind_of_waiting_work_with_a_link(
    app, client, login_as, make_user, make_reviewer, submit_plan, credential
):
    staff = make_user(roles=("staff",))
    app.config["CALIBRATION_SHARE"] = 1.0
    disputed = _disagreement(make_reviewer, submit_plan)
    late = submit_plan()  # double-scored: both reviewers hold it
    db.session.execute(update(Assignment).where(Assignment.version_id == late.current_version.id)
                       .values(due_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    _cohort_behind(credential, staff, [make_user(name="Una Member")])
    login_as(staff)
    page = _page(client)
    assert '<a href="/staff/submissions?overdue=y">1 submission with an overdue review</a>' in page
    assert '<a href="#adjudications">1 adjudication pending</a>' in page
    assert f'href="/staff/adjudicate/{disputed.id}">Submission {disputed.submission_id}, version 1</a>' in page
    assert '<a href="#cohorts-behind">1 cohort behind on a milestone</a>' in page
    assert "Spring Cohort</a>: 1 member behind on 1 milestone: “Foundations by March”" in page


def test_overview_counts_work_no_reviewer_can_take(client, login_as, make_user, submit_plan):
    staff = make_user(roles=("staff",))
    submit_plan()  # no reviewer exists at all
    login_as(staff)
    page = _page(client)
    assert '<a href="/staff/submissions?waiting=y">1 submission waiting for a reviewer</a>' in page
    assert "0 submissions with an overdue review" in page and "0 adjudications pending" in page
    assert "0 cohorts behind on a milestone" in page


def test_overview_is_for_staff_only(client, login_as, make_reviewer):
    login_as(make_reviewer())
    assert client.get("/staff/").status_code == 403


def test_overview_query_count_does_not_grow_with_the_work(
    app, client, login_as, make_user, make_reviewer, submit_plan, credential, count_queries
):
    staff = make_user(roles=("staff",))
    app.config["CALIBRATION_SHARE"] = 1.0
    _disagreement(make_reviewer, submit_plan)
    _cohort_behind(credential, staff, [make_user()])
    login_as(staff)
    client.get("/staff/")
    with count_queries() as one:
        client.get("/staff/")
    for n in range(3):
        _disagreement(make_reviewer, submit_plan)
        _cohort_behind(credential, staff, [make_user(), make_user()], name=f"Cohort {n}")
    submit_plan()
    page = _page(client)
    assert "4 adjudications pending" in page and "4 cohorts behind on a milestone" in page
    with count_queries() as many:
        client.get("/staff/")
    assert many[0] == one[0]


def test_staff_sub_navigation_links_the_overview_first(client, login_as, make_user):
    login_as(make_user(roles=("staff",)))
    page = client.get("/staff/submissions").get_data(as_text=True)
    staff_nav = page[page.index('aria-label="Staff"'):]
    links = re.findall(r'<a href="([^"]+)"', staff_nav)
    assert links[0] == "/staff/"
