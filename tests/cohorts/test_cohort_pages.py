"""One integration test per cohort page: cohorts and milestones, the educator's pages, the staff's educator page."""

import re
from datetime import date

from sqlalchemy import select

from portal.audit import AuditEvent
from portal.cohorts import members as membership
from portal.cohorts import profile
from portal.cohorts.models import Cohort, Milestone, ProfileAnswer
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.submissions.models import State


def credential_ids(credential, *slugs):
    return [str(credential(s).id) for s in slugs]


def test_staff_create_a_cohort_for_part_of_a_stack(client, login_as, staff, credential):
    login_as(staff)
    form = client.get("/staff/cohorts/new").get_data(as_text=True)
    assert 'type="date"' in form and "Leave all unticked" in form
    response = client.post("/staff/cohorts/new", data={
        "name": "Data Equity Cohort 2025", "program": "Data Equity", "starts_on": "2025-04-26",
        "ends_on": "2026-01-30", "stack_id": str(credential("foundations").stack_id),
        "credential_ids": credential_ids(credential, "identifying-challenges", "foundations"),
    })
    cohort = db.session.scalar(select(Cohort))
    assert response.headers["Location"].endswith(f"/staff/cohorts/{cohort.id}")
    assert [c.slug for c in cohort.credentials] == ["foundations", "identifying-challenges"]
    assert cohort.starts_on == date(2025, 4, 26)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "cohort.create"))


def test_no_credential_ticked_means_the_whole_stack(client, login_as, staff, credential):
    login_as(staff)
    client.post("/staff/cohorts/new", data={"name": "Whole stack", "stack_id": str(credential("foundations").stack_id)})
    assert len(db.session.scalar(select(Cohort)).credentials) == 5


def test_end_before_start_is_refused(client, login_as, staff, credential):
    login_as(staff)
    page = client.post("/staff/cohorts/new", data={
        "name": "Backwards", "starts_on": "2025-06-01", "ends_on": "2025-01-01",
        "stack_id": str(credential("foundations").stack_id),
    }).get_data(as_text=True)
    assert "The end date must be on or after the start date." in page
    assert db.session.scalar(select(Cohort)) is None


def test_milestones_add_change_delete(client, login_as, staff, make_cohort, credential):
    cohort = make_cohort(slugs=("foundations", "identifying-challenges"))
    login_as(staff)
    base = f"/staff/cohorts/{cohort.id}/milestones"
    client.post(f"{base}/new", data={"title": "Credentials 1-2 earned", "due_on": "2025-06-30",
                                      "credential_ids": credential_ids(credential, "foundations")})
    milestone = db.session.scalar(select(Milestone))
    assert (milestone.title, milestone.due_on, [c.slug for c in milestone.credentials]) == (
        "Credentials 1-2 earned", date(2025, 6, 30), ["foundations"])
    client.post(f"{base}/{milestone.id}", data={
        "title": "Credentials 1-2 earned", "due_on": "2025-06-30",
        "credential_ids": credential_ids(credential, "foundations", "identifying-challenges")})
    db.session.expire_all()
    assert len(db.session.scalar(select(Milestone)).credentials) == 2
    refused = client.post(f"{base}/new", data={"title": "Nothing", "due_on": "2025-07-01"}).get_data(as_text=True)
    assert "Choose at least one credential." in refused
    edit_page = client.get(f"/staff/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert "Credentials 1-2 earned" in edit_page
    client.post(f"{base}/{milestone.id}/delete")
    assert db.session.scalar(select(Milestone)) is None


def test_dropping_a_credential_a_milestone_names_is_refused(client, login_as, staff, make_cohort, credential):
    cohort = make_cohort(slugs=("foundations", "identifying-challenges"),
                         milestones=[("Credential 2", date(2025, 6, 30), ["identifying-challenges"])])
    login_as(staff)
    page = client.post(f"/staff/cohorts/{cohort.id}/edit", data={
        "name": cohort.name, "stack_id": str(cohort.stack_id),
        "credential_ids": credential_ids(credential, "foundations"),
    }).get_data(as_text=True)
    assert "The milestone “Credential 2” names" in page


def test_overview_lists_cohorts_with_their_figures(client, login_as, staff, make_cohort, make_user, join,
                                                    make_submission):
    cohort = make_cohort(slugs=("foundations",))
    dana = make_user(name="Dana")
    join(cohort, dana, make_user(name="Sam"))
    make_submission(dana, "foundations", State.EARNED, staff)
    login_as(staff)
    page = client.get("/staff/cohorts").get_data(as_text=True)
    assert cohort.name in page and "1 of 2 (50.0%)" in page


def test_educator_sees_their_cohorts_milestones_and_next_step(client, login_as, make_cohort, make_user, join,
                                                               make_submission, staff, next_month, yesterday):
    cohort = make_cohort(slugs=("foundations", "identifying-challenges", "district-plan"), milestones=[
        ("Credential 1 earned", yesterday, ["foundations"]),
        ("Credentials 1-2 earned", next_month, ["foundations", "identifying-challenges"]),
    ])
    dana = make_user(name="Dana")
    join(cohort, dana, role="CTO")
    make_submission(dana, "foundations", State.EARNED, staff)
    login_as(dana)
    page = client.get("/my/cohorts").get_data(as_text=True)
    assert cohort.name in page and "Your role: CTO" in page
    assert "<strong>Credential 1 earned</strong>, by" in page and ": Met" in page
    assert "Behind. Still to earn: Identifying Challenges in Ensuring Digital Equity" in page
    next_step = page[page.index("Your next step"):page.index("</div>", page.index("Your next step"))]
    assert "Identifying Challenges" in next_step and "Start this credential" in next_step


def test_educator_with_a_draft_is_told_to_continue_it(client, login_as, make_cohort, make_user, join,
                                                      make_submission):
    cohort = make_cohort(slugs=("foundations",))
    dana = make_user(name="Dana")
    join(cohort, dana)
    draft = make_submission(dana, "foundations", State.DRAFT)
    login_as(dana)
    page = client.get("/my/cohorts").get_data(as_text=True)
    assert f'href="/submissions/{draft.id}">Continue your draft' in page


def test_educator_outside_any_cohort(client, login_as, make_user, stack):
    login_as(make_user())
    assert "You are not in a cohort." in client.get("/my/cohorts").get_data(as_text=True)


def test_profile_page_sets_changes_and_clears_answers(client, login_as, make_user, fields):
    dana = make_user(name="Dana")
    login_as(dana)
    page = client.get("/my/profile").get_data(as_text=True)
    assert "Who sees these answers, and why" in page and "fewer than 10 people is hidden" in page
    assert page.count(">Prefer not to say</option>") == 5
    client.post("/my/profile", data={"locale": "Rural", "gender": "Prefer not to say"})
    assert profile.answers_of(dana) == {"locale": "Rural", "gender": "Prefer not to say"}
    client.post("/my/profile", data={"locale": "Town", "gender": ""})
    assert profile.answers_of(dana) == {"locale": "Town"}
    refused = client.post("/my/profile", data={"locale": "Atlantis"})
    assert refused.status_code == 200 and profile.answers_of(dana) == {"locale": "Town"}
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile.answers")).all()
    assert all("Rural" not in str(event.detail) for event in audit)  # the log names fields, never answers


def test_seed_profile_fields_is_idempotent(app):
    assert profile.seed_profile_fields() == ["role_group", "school_level", "locale", "race_ethnicity", "gender"]
    assert profile.seed_profile_fields() == []
    assert all(f.choices[-1] == "Prefer not to say" for f in profile.active_fields())


def test_staff_educator_page_shows_versions_and_decisions(client, login_as, staff, make_user, make_cohort, join,
                                                          make_submission, fields):
    from portal.reviews.models import PartResult, Review
    from portal.submissions import services as submissions

    cohort = make_cohort(slugs=("foundations",))
    dana = make_user(name="Dana")
    join(cohort, dana, role="CTO")
    submission = make_submission(dana, "foundations", State.NOT_YET, staff)
    db.session.add(ProfileAnswer(user_id=dana.id, field_id=profile.active_fields()[2].id, value="Rural"))
    first = submission.versions[0]
    db.session.add(Review(version_id=first.id, reviewer_id=staff.id, confirmed_at=first.decided_at,
                          results=[PartResult(part_key="reflection", result="not_yet")]))
    submissions.transition(submission, State.DRAFT, actor=dana)
    db.session.commit()
    login_as(staff)
    page = client.get(f"/staff/educators/{dana.id}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page and "Part 3. Reflection" in page
    assert cohort.name in page and "(CTO)" in page
    assert "Rural" not in page  # self-reported answers are for aggregate reports only


def test_members_page_lists_members_and_invitation_state(client, login_as, staff, make_cohort, make_user, join):
    cohort = make_cohort(slugs=("foundations",))
    join(cohort, make_user(name="Active Person"))
    membership.add_member(cohort=cohort, email="new@example.org", name="Invited Person",
                          organization="Riverside Unified School District", role="", create_organization=False,
                          actor=staff)
    db.session.commit()
    login_as(staff)
    page = client.get(f"/staff/cohorts/{cohort.id}/members").get_data(as_text=True)
    assert "Members (2)" in page and "Invited: no password yet" in page and "Active" in page


def test_invitation_from_outside_a_request_links_to_the_portal_url(app, staff, make_cohort):
    app.config["PORTAL_URL"] = "https://portal.example.org"
    cohort = make_cohort(slugs=("foundations",))
    membership.add_member(cohort=cohort, email="new@example.org", name="New", role="",
                          organization="Brand New District", create_organization=True, actor=staff)
    body = db.session.scalar(select(OutboxMessage.body))
    assert re.search(r"https://portal\.example\.org/invitations/\S+", body)


def test_demo_cohort_seed_is_idempotent(app, stack, staff, make_user):
    from portal.cohorts.demo import seed_demo_cohort
    from portal.cohorts.models import Membership

    dana = make_user(name="Dana")
    first = seed_demo_cohort(staff=staff, members=[(dana, "CTO")])
    again = seed_demo_cohort(staff=staff, members=[(dana, "CTO")])
    db.session.commit()
    assert first.id == again.id and len(first.credentials) == 5 and len(first.milestones) == 2
    assert db.session.scalars(select(Membership.user_id)).all() == [dana.id]
    assert db.session.scalar(select(OutboxMessage)) is None


def test_an_educator_may_belong_to_several_cohorts(client, login_as, make_cohort, make_user, join):
    spring, fall = make_cohort(name="Spring cohort", slugs=("foundations",)), make_cohort(name="Fall cohort")
    dana = make_user(name="Dana")
    join(spring, dana, role="CTO")
    join(fall, dana, role="Chief Academic Officer")
    login_as(dana)
    page = client.get("/my/cohorts").get_data(as_text=True)
    assert "Spring cohort" in page and "Fall cohort" in page
    assert "Your role: CTO" in page and "Your role: Chief Academic Officer" in page


def test_a_cohort_missing_a_prerequisite_warns_when_created_and_edited(client, login_as, staff, credential):
    login_as(staff)
    plan = credential("district-plan")
    response = client.post("/staff/cohorts/new", data={
        "name": "Plan Cohort", "stack_id": plan.stack_id, "credential_ids": [plan.id],
    }, follow_redirects=True)
    page = response.get_data(as_text=True)
    foundations = credential("foundations").title
    assert f"“{plan.title}” needs “{foundations}” first, and this cohort does not include it." in page
    cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == "Plan Cohort"))

    form = client.get(f"/staff/cohorts/{cohort_id}/edit").get_data(as_text=True)
    assert f"<li>“{plan.title}” needs “{foundations}”.</li>" in form

    response = client.post(f"/staff/cohorts/{cohort_id}/edit", data={
        "name": "Plan Cohort", "stack_id": plan.stack_id, "credential_ids": [plan.id, credential("foundations").id],
    }, follow_redirects=True)
    assert "needs “" not in response.get_data(as_text=True)


def test_dashboard_figures_without_enough_decisions_say_so(client, login_as, staff, make_cohort):
    cohort = make_cohort(slugs=("foundations",))
    login_as(staff)

    page = client.get(f"/staff/cohorts/{cohort.id}").get_data(as_text=True)

    figures = re.findall(r'<span class="figure-value">([^<]*)</span><span class="figure-label">([^<]*)</span>', page)
    assert figures[1] == ("not enough decisions yet", "median days from submission to decision (0 decisions)")
    assert figures[2][0] == "too few to tell"
    assert "0.0" not in figures[1][0]
