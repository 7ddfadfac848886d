"""Who may use the staff review pages: staff only; educators and reviewers get 403, anonymous users sign in."""

import pytest
from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.audit import AuditEvent
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, ReviewerProfile
from portal.submissions.models import State


@pytest.fixture
def planted(make_user, make_reviewer, submit_plan):
    """A routed submission, its author and its reviewer: everything a staff page could leak."""
    reviewer = make_reviewer(name="Rita Reviewer")
    author = make_user(name="Secret Author")
    submission = submit_plan(educator=author)
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == submission.current_version.id))
    return {"author": author, "reviewer": reviewer, "submission": submission, "assignment": assignment}


def pages(p) -> list[tuple[str, str]]:
    s, a, r = p["submission"], p["assignment"], p["reviewer"]
    return [
        ("GET", "/staff/submissions"),
        ("GET", f"/staff/submissions/{s.id}"),
        ("POST", f"/staff/submissions/{s.id}/assign"),
        ("POST", f"/staff/assignments/{a.id}/reassign"),
        ("GET", f"/staff/adjudicate/{s.current_version.id}"),
        ("POST", f"/staff/adjudicate/{s.current_version.id}"),
        ("GET", "/staff/reviewers"),
        ("POST", "/staff/reviewers"),
        ("GET", f"/staff/reviewers/{r.id}"),
        ("POST", f"/staff/reviewers/{r.id}"),
    ]


def sign_in(client, user):
    token = accounts.start_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def state_of(p):
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        db.session.get(Assignment, p["assignment"].id).state,
        db.session.get(ReviewerProfile, p["reviewer"].id).capacity,
    )


@pytest.mark.parametrize("who", ["author", "reviewer"])
def test_educators_and_reviewers_get_403_everywhere_and_change_nothing(client, planted, who):
    sign_in(client, planted[who])
    hidden = "Rita Reviewer" if who == "author" else "Secret Author"  # the other party's name
    before = state_of(planted)
    payload = {"reviewer": planted["reviewer"].id, "capacity": "0", "user_id": planted["reviewer"].id,
               "action": "pause"}

    for method, url in pages(planted):
        response = client.open(url, method=method, data=payload if method == "POST" else None)
        assert response.status_code == 403, (method, url)
        assert hidden not in response.get_data(as_text=True)

    assert state_of(planted) == before
    assert before[1] == AssignmentState.OPEN


def test_anonymous_is_sent_to_sign_in(client, planted):
    for method, url in pages(planted):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/sign-in?next="), (method, url)


def test_staff_reach_every_page(client, make_user, planted):
    sign_in(client, make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office"))
    statuses = {
        url: client.get(url).status_code for method, url in pages(planted) if method == "GET"
    }
    # The adjudication page sends staff back to the submission while there is nothing to adjudicate.
    assert statuses == {
        url: 302 if "/adjudicate/" in url else 200 for method, url in pages(planted) if method == "GET"
    }
    assert planted["submission"].current_version.state == State.SUBMITTED
