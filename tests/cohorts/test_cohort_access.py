"""Educators and reviewers get 403 on every staff page and export; anonymous visitors are sent to sign in."""

import pytest
from sqlalchemy import func, select

from portal.cohorts import members as membership
from portal.cohorts.models import Cohort, Membership, Milestone
from portal.extensions import db


@pytest.fixture
def setup(make_cohort, make_user, join, staff, fields, next_month):
    cohort = make_cohort(slugs=("foundations",), milestones=[("Credential 1", next_month, ["foundations"])])
    member = make_user(name="Dana Member")
    join(cohort, member)
    staged = membership.stage_import(cohort=cohort, actor=staff, filename="r.csv",
                                     text="email,name,organization\n", create_organizations=False)
    db.session.commit()
    return cohort, member, db.session.scalar(select(Milestone)), staged


def staff_requests(cohort, member, milestone, staged):
    c, m = cohort.id, member.id
    gets = [
        "/staff/cohorts", "/staff/cohorts/new", f"/staff/cohorts/{c}", f"/staff/cohorts/{c}?state=earned",
        f"/staff/cohorts/{c}/edit", f"/staff/cohorts/{c}/groups", f"/staff/cohorts/{c}/members",
        f"/staff/cohorts/{c}/import", f"/staff/cohorts/{c}/import/{staged.token}",
        f"/staff/cohorts/{c}/milestones/new", f"/staff/cohorts/{c}/milestones/{milestone.id}",
        f"/staff/educators/{m}", f"/staff/cohorts/{c}/members/{m}/remove",
    ] + [f"/staff/cohorts/{c}/export/{name}.csv" for name in (
        "matrix", "credentials", "funnel", "milestones", "parts", "timing", "organization", "locale", "gender",
    )]
    posts = [
        "/staff/cohorts/new", f"/staff/cohorts/{c}/edit", f"/staff/cohorts/{c}/members",
        f"/staff/cohorts/{c}/members/{m}/remove", f"/staff/cohorts/{c}/members/{m}/invite",
        f"/staff/cohorts/{c}/import", f"/staff/cohorts/{c}/import/{staged.token}",
        f"/staff/cohorts/{c}/milestones/new", f"/staff/cohorts/{c}/milestones/{milestone.id}",
        f"/staff/cohorts/{c}/milestones/{milestone.id}/delete",
    ]
    return [("GET", url) for url in gets] + [("POST", url) for url in posts]


@pytest.mark.parametrize("roles", [("educator",), ("reviewer",), ("educator", "reviewer")])
def test_non_staff_get_403_on_every_staff_page_and_export(client, login_as, make_user, setup, roles):
    cohort, member, milestone, staged = setup
    login_as(make_user(roles=roles))
    for method, url in staff_requests(*setup):
        response = client.open(url, method=method, data={"name": "Taken over", "email": "x@y.org"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1  # nothing changed
    assert db.session.scalars(select(Cohort.name)).all() == [cohort.name]


def test_a_member_of_the_cohort_cannot_see_its_staff_pages(client, login_as, setup):
    cohort, member, milestone, staged = setup
    login_as(member)
    for method, url in staff_requests(*setup):
        assert client.open(url, method=method).status_code in (403, 404), (method, url)


def test_anonymous_visitors_are_sent_to_sign_in(client, setup):
    for method, url in staff_requests(*setup) + [("GET", "/my/cohorts"), ("GET", "/my/profile")]:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], (method, url)


def test_staff_can_open_every_staff_page(client, login_as, staff, setup):
    login_as(staff)
    for method, url in staff_requests(*setup):
        if method == "GET":
            assert client.get(url).status_code == 200, url
