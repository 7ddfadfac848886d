"""The scoring page reads plain values and keeps some per process: each shows the change on the next request."""

from sqlalchemy import select, update

from portal import cache
from portal.catalog.models import Credential, Stack
from portal.extensions import db
from portal.reviews.models import Assignment
from tests.reviews.test_scoring import assignment_of


def _path(version, reviewer):
    return f"/review/assignments/{assignment_of(version, reviewer).id}"


def test_a_renamed_credential_shows_on_the_next_request(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    path = _path(submit_plan().current_version, reviewer)
    login_as(reviewer)
    assert "Review: Creating a District Plan for Digital Equity" in client.get(path).get_data(as_text=True)

    db.session.execute(update(Credential).where(Credential.slug == "district-plan").values(title="Plan Anew"))
    cache.changed("catalog")  # as loading a stack file does
    db.session.commit()

    assert "Review: Plan Anew" in client.get(path).get_data(as_text=True)


def test_each_version_shows_its_own_answers(client, make_reviewer, submit_plan, login_as, make_user):
    reviewer = make_reviewer(capacity=5)
    first, second = submit_plan().current_version, submit_plan().current_version
    second.answers = {**second.answers, "overview": {"text": "Only the second one says this."}}
    db.session.commit()
    login_as(reviewer)

    one = client.get(_path(first, reviewer)).get_data(as_text=True)
    two = client.get(_path(second, reviewer)).get_data(as_text=True)

    assert "Only the second one says this." in two and "Only the second one says this." not in one


def test_an_open_stack_names_the_educator_and_a_blind_one_never_reads_the_name(
    client, make_reviewer, submit_plan, login_as, make_user
):
    reviewer = make_reviewer()
    educator = make_user(name="Olive Openly")
    path = _path(submit_plan(educator=educator).current_version, reviewer)
    login_as(reviewer)
    assert "Olive Openly" not in client.get(path).get_data(as_text=True)

    db.session.execute(update(Stack).values(blind_review=False))
    cache.changed("catalog")
    db.session.commit()

    assert "by Olive Openly" in client.get(path).get_data(as_text=True)


def test_saving_twice_keeps_the_last_results(client, make_reviewer, submit_plan, login_as):
    reviewer = make_reviewer()
    version = submit_plan().current_version
    path = _path(version, reviewer)
    login_as(reviewer)
    form = {"overview-result": "yes", "plan-result": "not_yet", "plan-feedback": " First. ", "action": "save"}
    assert client.post(path, data=form).status_code == 302  # the first save makes the review and its rows
    assert client.post(path, data={**form, "plan-result": "yes", "plan-feedback": "Second."}).status_code == 302

    db.session.expire_all()
    review = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id)).review
    assert {r.part_key: (r.result, r.feedback) for r in review.results} == {
        "overview": ("yes", ""), "plan": ("yes", "Second."), "reflection": (None, "")}
    assert review.version.state == "in_review" and review.confirmed_at is None


def test_saving_without_the_csrf_token_stores_nothing(app, client, make_reviewer, submit_plan, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    reviewer = make_reviewer()
    version = submit_plan().current_version
    login_as(reviewer)

    refused = client.post(_path(version, reviewer), data={"overview-result": "yes", "action": "save"})

    assert refused.status_code == 400
    db.session.expire_all()
    assert assignment_of(version, reviewer).review is None and version.state == "submitted"
