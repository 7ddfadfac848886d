"""The dashboard keeps its figures per cohort and day (portal.cohorts.freshness): the request after a change of
the cohort's data shows the change, other cohorts keep theirs, and nothing kept depends on who asked.

Each test opens the dashboard once (which fills the cache), changes something the way the portal does, and opens
it again."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.services import start_session
from portal.badges import services as badges
from portal.cohorts.freshness import FIGURES
from portal.cohorts.models import Cohort, Membership
from portal.extensions import db
from portal.submissions import services as submissions
from portal.submissions.models import State

FIGURE = re.compile(r'<span class="figure-value">([^<]*)</span><span class="figure-label">([^<]*)</span>')


def figures(client, cohort) -> dict[str, str]:
    """The headline figures of the dashboard, by the start of their label."""
    page = client.get(f"/staff/cohorts/{cohort.id}").get_data(as_text=True)
    return {label.split(" (")[0]: value for value, label in FIGURE.findall(page)}


def dashboard(client, cohort) -> str:
    response = client.get(f"/staff/cohorts/{cohort.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cohort_members(cohort):
    return [m.user for m in db.session.scalars(select(Membership).where(Membership.cohort_id == cohort.id))]


def kept() -> dict:
    """cohort id -> the value the cache keeps for its dashboard."""
    return {key[1]: value for key, (_, value) in FIGURES._values.items()}


@pytest.fixture
def cohort(make_cohort, make_user, join, yesterday):
    cohort = make_cohort(slugs=("foundations", "identifying-challenges"),
                         milestones=[("Credential 1 earned", yesterday, ["foundations"])])
    join(cohort, *[make_user(name=name) for name in ("Ada", "Ben", "Cai")])
    return cohort


def test_a_member_added_counts_on_the_next_request(client, login_as, staff, cohort):
    login_as(staff)
    assert figures(client, cohort)["members"] == "3"
    response = client.post(f"/staff/cohorts/{cohort.id}/members", data={
        "email": "dee@example.org", "name": "Dee Newcomer", "organization": "Riverside Unified School District",
        "role": "Principal",
    })
    assert response.status_code == 302
    page = dashboard(client, cohort)
    assert FIGURE.search(page).groups() == ("4", "members")
    assert ">Dee Newcomer</a></li>" in page  # behind on the milestone due yesterday


def test_a_member_removed_leaves_the_figures_on_the_next_request(client, login_as, staff, cohort):
    login_as(staff)
    ben = next(m for m in cohort_members(cohort) if m.name == "Ben")
    assert figures(client, cohort)["members"] == "3"
    client.post(f"/staff/cohorts/{cohort.id}/members/{ben.id}/remove")  # a bulk DELETE, past the session's flush
    page = dashboard(client, cohort)
    assert FIGURE.search(page).groups() == ("2", "members")
    assert ">Ben</a>" not in page


def test_a_renamed_or_rescheduled_cohort_shows_on_the_next_request(client, login_as, staff, cohort):
    login_as(staff)
    assert "3 behind" in dashboard(client, cohort)
    starts_on = (cohort.starts_on + timedelta(days=3650)).isoformat()
    client.post(f"/staff/cohorts/{cohort.id}/edit", data={
        "name": "Renamed Cohort", "stack_id": str(cohort.stack_id), "starts_on": starts_on, "ends_on": "",
        "credential_ids": [c.id for c in cohort.credentials],
    })
    page = dashboard(client, cohort)
    assert "<h1>Renamed Cohort</h1>" in page
    assert "3 not started (the cohort has not begun)" in page  # the milestones, from the cached figures


def test_a_credential_earned_shows_on_the_next_request(client, login_as, staff, cohort, make_submission):
    ada = next(m for m in cohort_members(cohort) if m.name == "Ada")
    submission = make_submission(ada, "foundations", State.IN_REVIEW, staff)
    login_as(staff)
    page = dashboard(client, cohort)
    assert '<span class="chart-value">0 earned</span>' in page and "0 met, 0 on track, 3 behind." in page
    submissions.transition(submission, State.EARNED, actor=staff)  # the conditional UPDATE, past the flush
    db.session.commit()
    page = dashboard(client, cohort)
    assert '<span class="chart-value">1 earned</span>' in page and "1 met, 0 on track, 2 behind." in page
    assert page.count('class="state state-earned"') == 1


def test_a_revocation_shows_on_the_next_request(client, login_as, staff, cohort, make_submission):
    ada = next(m for m in cohort_members(cohort) if m.name == "Ada")
    submission = make_submission(ada, "foundations", State.EARNED, staff)
    issued = badges.issue_for_version(version=submission.current_version)
    db.session.commit()
    login_as(staff)
    assert figures(client, cohort)["credentials issued to members"] == "1"
    badges.revoke_credential(actor=staff, issued=issued, reason="Issued in error")
    db.session.commit()
    page = dashboard(client, cohort)
    assert FIGURE.findall(page)[3] == ("0", "credentials issued to members and in force (1 more revoked)")


def test_a_member_renamed_shows_on_the_next_request(client, login_as, staff, cohort):
    ben = next(m for m in cohort_members(cohort) if m.name == "Ben")
    login_as(staff)
    assert ">Ben</a></li>" in dashboard(client, cohort)
    ben.name = "Benedict"
    db.session.commit()
    page = dashboard(client, cohort)
    assert ">Benedict</a></li>" in page and ">Ben</a>" not in page


def test_a_change_in_one_cohort_leaves_the_others_cached(client, login_as, staff, cohort, make_cohort, make_user,
                                                         join):
    other = make_cohort(name="Other cohort", slugs=("foundations",))
    join(other, make_user(name="Zed"))
    login_as(staff)
    dashboard(client, cohort), dashboard(client, other)
    before = kept()
    join(cohort, make_user(name="Dee"))
    assert ">Dee</a>" in dashboard(client, cohort) and "Zed" in dashboard(client, other)
    after = kept()
    assert after[other.id] is before[other.id]  # the very value kept before
    assert after[cohort.id] is not before[cohort.id]


def test_nothing_cached_depends_on_who_asks(app, client, login_as, staff, make_user, cohort):
    login_as(staff)
    first = dashboard(client, cohort)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', first).group(1)
    assert staff.name in first
    other_staff = make_user(name="Riley Quinn", roles=("staff",), organization="CoSN Program Office")
    other_browser = app.test_client()
    with other_browser.session_transaction() as session:
        session["_user_id"], session["_fresh"] = start_session(other_staff), True
    db.session.commit()
    before = kept()
    second = dashboard(other_browser, cohort)
    assert kept()[cohort.id] is before[cohort.id]  # served from what the first request kept
    assert other_staff.name in second
    assert staff.name not in second and token not in second
    stored = repr(kept())
    assert "Ada" in stored  # the figures are there ...
    for personal in (staff.name, other_staff.name, staff.email, other_staff.email, token):
        assert personal not in stored  # ... and nothing of either staff member


def test_a_credential_renamed_by_a_stack_load_shows_on_the_next_request(client, login_as, staff, cohort, credential):
    login_as(staff)
    dashboard(client, cohort)
    credential("foundations").title = "Foundations, renamed"  # as sync_stack does
    db.session.commit()
    assert '<th scope="row">1. Foundations, renamed</th>' in dashboard(client, cohort)  # the standing table


def test_a_stack_renamed_by_a_stack_load_shows_in_the_heading_on_the_next_request(client, login_as, staff, cohort):
    login_as(staff)
    dashboard(client, cohort)
    cohort.stack.title = "Digital Equity, renamed"  # as sync_stack does
    db.session.commit()
    assert "Digital Equity, renamed: 2 credentials" in dashboard(client, cohort)


def test_a_cohort_renamed_shows_on_the_next_request(client, login_as, staff, cohort):
    login_as(staff)
    assert "Spring cohort" not in dashboard(client, cohort)
    response = client.post(f"/staff/cohorts/{cohort.id}/edit", data={
        "name": "Spring cohort", "program": "", "description": "", "starts_on": "", "ends_on": "",
        "stack_id": cohort.stack_id, "credential_ids": [c.id for c in cohort.credentials],
    })
    assert response.status_code == 302
    page = dashboard(client, cohort)
    assert "<title>Spring cohort" in page and "<h1>Spring cohort</h1>" in page


def test_an_unknown_or_deleted_cohort_is_not_found(client, login_as, staff, cohort):
    login_as(staff)
    dashboard(client, cohort)
    assert client.get("/staff/cohorts/999999").status_code == 404
    db.session.delete(db.session.get(Cohort, cohort.id))
    db.session.commit()
    assert client.get(f"/staff/cohorts/{cohort.id}").status_code == 404
