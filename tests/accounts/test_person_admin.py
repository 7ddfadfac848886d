"""Staff managing one person's account from its page: roles, deactivation, reactivation, reset links."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User, UserSession
from portal.audit import AuditEvent
from portal.catalog.models import Stack
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, AssignmentState, ReviewerProfile
from portal.staff import accounts as admin
from portal.submissions.models import State
from tests.accounts.helpers import link_in, mails_to
from tests.conftest import PASSWORD


@pytest.fixture
def staff(make_user, login_as):
    user = make_user(name="Morgan Lee", roles=("staff",), organization="CoSN Program Office")
    login_as(user)
    return user


@pytest.fixture
def make_reviewer(make_user, stack):
    def make(organization="Lakeview Charter Network"):
        user = make_user(roles=("reviewer",), organization=organization)
        profile = reviews.ensure_profile(user)
        profile.stacks = list(db.session.scalars(select(Stack)))
        db.session.commit()
        return user

    return make


def routed_submission(make_submission, make_user):
    educator = make_user(organization="Riverside Unified School District")
    submission = make_submission(educator=educator, slug="foundations", state=State.SUBMITTED)
    reviews.route_submitted(submission.current_version, actor=educator)
    db.session.commit()
    return submission


def open_reviewers(submission) -> list[int]:
    return list(db.session.scalars(select(Assignment.reviewer_id).where(
        Assignment.version_id == submission.current_version.id, Assignment.state == AssignmentState.OPEN)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_people_rows_link_to_the_person_page_with_everything_about_the_account(client, staff, make_user):
    person = make_user(name="Dana Whitfield", email="dana@example.org")
    client.post("/sign-out")
    client.post("/sign-in", data={"email": "dana@example.org", "password": PASSWORD})  # records the last sign-in
    client.post("/sign-out")
    client.post("/sign-in", data={"email": staff.email, "password": PASSWORD})
    assert f'href="/staff/people/{person.id}"' in client.get("/staff/people").get_data(as_text=True)

    page = client.get(f"/staff/people/{person.id}").get_data(as_text=True)

    for text in ("Dana Whitfield", "dana@example.org", "Riverside Unified School District", "Last sign-in",
                 "Email and password", 'id="sign-in-methods"', "No submissions.", "No review assignments.",
                 "account.sign_in", "Email a password reset link", "Deactivate Dana Whitfield"):
        assert text in page
    assert "Never" not in page.split("Last sign-in")[1][:80]
    assert '<input checked id="educator" name="educator" type="checkbox" value="y">' in page
    assert '<input id="staff" name="staff" type="checkbox" value="y">' in page


@pytest.mark.parametrize("roles", [("educator",), ("reviewer",), ("educator", "reviewer")])
def test_educators_and_reviewers_get_404_on_person_pages(client, make_user, login_as, roles):
    target = make_user(email="target@example.org")
    login_as(make_user(roles=roles))
    assert client.get(f"/staff/people/{target.id}").status_code == 404
    for action in ("roles", "deactivate", "reactivate", "send-reset"):
        assert client.post(f"/staff/people/{target.id}/{action}", data={"staff": "y"}).status_code == 404
    assert db.session.get(User, target.id).roles == ["educator"] and db.session.get(User, target.id).is_active


def test_unknown_person_is_404(client, staff):
    assert client.get("/staff/people/9999").status_code == 404


def test_role_changes_take_effect_on_the_next_request(app, client, staff, make_user, login_as):
    person = make_user()
    browser = app.test_client()
    browser.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert browser.get("/staff/submissions").status_code == 403

    client.post(f"/staff/people/{person.id}/roles", data={"educator": "y", "staff": "y"})
    assert browser.get("/staff/submissions").status_code == 200

    client.post(f"/staff/people/{person.id}/roles", data={"educator": "y"})
    assert browser.get("/staff/submissions").status_code == 403
    assert [e for e in actions() if e == "account.roles"] == ["account.roles", "account.roles"]


def test_a_new_reviewer_is_ready_for_work_at_once(client, staff, make_user, make_submission):
    waiting = routed_submission(make_submission, make_user)
    assert open_reviewers(waiting) == []  # nobody could take it
    person = make_user(organization="Lakeview Charter Network")

    client.post(f"/staff/people/{person.id}/roles", data={"educator": "y", "reviewer": "y"})

    profile = db.session.get(ReviewerProfile, person.id)
    assert profile.is_active and profile.capacity == 5
    assert {s.slug for s in profile.stacks} == {s.slug for s in db.session.scalars(select(Stack))}
    assert open_reviewers(waiting) == [person.id]
    assert "Ready to receive review work" in client.get(f"/staff/people/{person.id}").get_data(as_text=True)


def test_the_page_says_what_keeps_a_reviewer_from_work(client, staff, make_reviewer):
    reviewer = make_reviewer()
    profile = db.session.get(ReviewerProfile, reviewer.id)
    profile.is_active, profile.stacks = False, []
    db.session.commit()
    page = client.get(f"/staff/people/{reviewer.id}").get_data(as_text=True)
    assert "Not receiving review work yet: their availability is paused; they are not qualified for any stack" in page


def test_deactivation_ends_sessions_refuses_sign_in_and_reset_and_reroutes_reviews(
    app, client, staff, make_reviewer, make_user, make_submission
):
    first = make_reviewer()
    submission = routed_submission(make_submission, make_user)
    assert open_reviewers(submission) == [first.id]
    second = make_reviewer()
    browser = app.test_client()
    browser.post("/sign-in", data={"email": first.email, "password": PASSWORD})
    copied = browser.get_cookie("session").value

    response = client.post(f"/staff/people/{first.id}/deactivate")

    assert response.headers["Location"] == f"/staff/people/{first.id}"
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == first.id)) is None
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/review").status_code == 302
    assert browser.get("/review").status_code == 302
    assert open_reviewers(submission) == [second.id]
    assert submission.current_version.state in (State.SUBMITTED, State.IN_REVIEW)  # the work is kept

    refused = app.test_client().post("/sign-in", data={"email": first.email, "password": PASSWORD})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "This account has been deactivated" in page and "your program staff" in page
    wrong = app.test_client().post("/sign-in", data={"email": first.email, "password": "not the password"})
    assert "deactivated" not in wrong.get_data(as_text=True)  # only the right password learns it

    app.test_client().post("/password/forgot", data={"email": first.email})
    assert all(link_in(m) is None for m in mails_to(first.email))
    assert {"account.deactivate", "review.release", "account.sign_in_refused"} <= set(actions())


def test_deactivated_sign_in_names_the_support_contact(app, make_user, staff):
    person = make_user()
    admin.deactivate(staff=staff, user=person)
    db.session.commit()
    app.config["SUPPORT_CONTACT"] = "the program office, help@district.example"
    page = app.test_client().post("/sign-in", data={"email": person.email, "password": PASSWORD}).get_data(as_text=True)
    assert "contact the program office, help@district.example" in page


def test_reactivation_lets_the_person_sign_in_again(app, client, staff, make_user):
    person = make_user()
    client.post(f"/staff/people/{person.id}/deactivate")
    assert "Reactivate" in client.get(f"/staff/people/{person.id}").get_data(as_text=True)
    client.post(f"/staff/people/{person.id}/reactivate")
    assert app.test_client().post("/sign-in", data={"email": person.email, "password": PASSWORD}).status_code == 302
    assert "account.reactivate" in actions()


def test_the_last_active_staff_account_is_protected(client, staff, make_user):
    page = client.post(f"/staff/people/{staff.id}/roles", data={"reviewer": "y"})
    assert page.status_code == 422
    assert "You cannot remove the staff role from the last active staff account." in page.get_data(as_text=True)
    assert db.session.get(User, staff.id).is_staff

    # With a second staff member the first can step down; the second then cannot, nor be deactivated.
    other = make_user(roles=("staff",))
    assert client.post(f"/staff/people/{staff.id}/roles", data={"educator": "y"}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, staff.id).is_staff
    with pytest.raises(admin.AccountError, match="last active staff account"):
        admin.set_roles(staff=other, user=other, roles=["educator"])
    with pytest.raises(admin.AccountError, match="last active staff account"):
        admin.deactivate(staff=make_user(), user=other)


def test_a_deactivated_staff_account_does_not_count_as_the_one_left(make_user):
    first, second = make_user(roles=("staff",)), make_user(roles=("staff",))
    admin.deactivate(staff=first, user=second)
    with pytest.raises(admin.AccountError, match="last active staff account"):
        admin.set_roles(staff=first, user=first, roles=["educator"])


def test_staff_cannot_deactivate_themselves(client, staff, make_user):
    make_user(roles=("staff",))
    client.post(f"/staff/people/{staff.id}/deactivate", follow_redirects=False)
    assert db.session.get(User, staff.id).is_active
    page = client.get(f"/staff/people/{staff.id}").get_data(as_text=True)
    assert "You cannot deactivate your own account." in page


def test_staff_can_email_a_reset_link(client, staff, make_user):
    person = make_user(email="forgetful@example.org")
    client.post(f"/staff/people/{person.id}/send-reset")
    (message,) = mails_to("forgetful@example.org")
    assert link_in(message).startswith("http://127.0.0.1:5000/password/reset/")
    assert "account.reset_sent" in actions()


def test_a_deactivated_reviewer_gets_no_new_work_by_routing_or_by_hand(staff, make_reviewer, make_user,
                                                                      make_submission):
    reviewer = make_reviewer()
    admin.deactivate(staff=staff, user=reviewer)
    db.session.commit()
    submission = routed_submission(make_submission, make_user)
    assert open_reviewers(submission) == []
    with pytest.raises(reviews.ReviewError, match="cannot take this submission: inactive"):
        reviews.assign_by_hand(staff=staff, version=submission.current_version, reviewer_id=reviewer.id)

    admin.reactivate(staff=staff, user=reviewer)  # back on: the waiting submission reaches them at once
    assert open_reviewers(submission) == [reviewer.id]


def test_person_page_queries_do_not_grow_with_the_work_shown(client, staff, make_user, make_submission,
                                                            count_queries):
    educator = make_user()
    make_submission(educator=educator, slug="foundations")

    def queries() -> int:
        with count_queries() as counted:
            assert client.get(f"/staff/people/{educator.id}").status_code == 200
        return counted[0]

    one = queries()
    for slug in ("identifying-challenges", "engaging-stakeholders", "district-plan"):
        make_submission(educator=educator, slug=slug)
    assert queries() == one
