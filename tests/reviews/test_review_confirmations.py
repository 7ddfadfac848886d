"""The scoring page asks before anything final, without JavaScript: confirming a review and declining one."""

import re

from portal.extensions import db
from portal.submissions.models import State
from tests.reviews.test_scoring import assignment_of


def _results(action, **overrides):
    form = {
        "action": action, "overview-result": "yes", "overview-feedback": "", "plan-result": "not_yet",
        "plan-feedback": "Goal 3 needs a number.", "reflection-result": "yes", "reflection-feedback": "",
    }
    return {**form, **overrides}


def test_confirm_button_asks_first_and_decides_nothing(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    assignment = assignment_of(version, reviewer)
    login_as(reviewer)
    page = client.post(f"/review/assignments/{assignment.id}", data=_results("check"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Confirm your review</h1>" in html
    assert "Resulting decision: Not yet" in html
    assert 'name="action" value="confirm"' in html and 'name="csrf_token"' in html
    # What will be confirmed travels in the form: exactly the results shown.
    assert re.search(r'name="plan-feedback" value="Goal 3 needs a number\."', html)
    db.session.expire_all()
    assert assignment.state == "open" and version.state == State.IN_REVIEW
    assert assignment.review.result_for("plan").feedback == "Goal 3 needs a number."  # saved, not final

    done = client.post(f"/review/assignments/{assignment.id}", data=_results("confirm"))
    assert done.status_code == 302 and done.headers["Location"].endswith("/review")
    db.session.expire_all()
    assert assignment.state == "done" and version.state == State.NOT_YET


def test_confirmation_step_is_refused_while_a_part_lacks_a_result(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    assignment = assignment_of(submit_plan().current_version, reviewer)
    login_as(reviewer)
    page = client.post(f"/review/assignments/{assignment.id}", data=_results("check", **{"reflection-result": ""}))
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Part 3: choose Yes or Not yet." in html and "Confirm your review" not in html


def test_confirmation_escapes_feedback_in_the_hidden_fields(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    assignment = assignment_of(submit_plan().current_version, reviewer)
    login_as(reviewer)
    sneaky = '"><script>alert(1)</script>'
    html = client.post(
        f"/review/assignments/{assignment.id}", data=_results("check", **{"plan-feedback": sneaky})
    ).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_decline_without_confirmation_only_asks(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    assignment = assignment_of(submit_plan().current_version, reviewer)
    login_as(reviewer)
    asked = client.post(f"/review/assignments/{assignment.id}/decline", data={"reason": "no_time"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "I do not have time to review it by the due date" in html
    assert 'name="confirmed" value="yes"' in html and 'name="csrf_token"' in html
    db.session.expire_all()
    assert assignment.state == "open"


def test_decline_confirmation_needs_csrf(app, client, make_reviewer, submit_plan, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    reviewer = make_reviewer()
    assignment = assignment_of(submit_plan().current_version, reviewer)
    login_as(reviewer)
    client.post(f"/review/assignments/{assignment.id}/decline", data={"reason": "conflict", "confirmed": "yes"})
    db.session.expire_all()
    assert assignment.state == "open"
