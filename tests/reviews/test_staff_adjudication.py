"""Staff adjudication of two reviewers who disagree: the page, refusals next to each part, and the decision."""

import html
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, Review
from portal.submissions.models import State
from tests.reviews.conftest import all_yes

PARTS = ("overview", "plan", "reflection")  # "Creating a District Plan"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def part_section(page: str, key: str) -> str:
    return re.search(rf'<section class="part" aria-labelledby="{key}-heading">(.*?)</section>', page, re.S).group(1)


def form_data(**parts) -> dict:
    """part key -> (result or None, feedback), as the page posts it."""
    data = {}
    for key, (result, feedback) in parts.items():
        if result:
            data[f"part_{key}-result"] = result
        data[f"part_{key}-feedback"] = feedback
    return data


@pytest.fixture
def disputed(app, make_user, login_as, make_reviewer, submit_plan):
    """A double-scored plan: Rita says Yes to everything, Raj says Not yet to the plan."""
    app.config["CALIBRATION_SHARE"] = 1.0
    rita, raj = make_reviewer(name="Rita Reviewer"), make_reviewer(name="Raj Reviewer")
    submission = submit_plan()
    version = submission.current_version
    for reviewer, entries in (
        (rita, all_yes(version, "Solid throughout.")),
        (raj, {**all_yes(version), "plan": ("not_yet", "Goal 2 has no **timeline**.")}),
    ):
        assignment = db.session.scalar(
            select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer.id)
        )
        reviews.confirm_review(reviewer=reviewer, assignment=assignment, entries=entries)
    db.session.commit()
    staff = make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    login_as(staff)
    return version, staff


def test_page_shows_answer_criterion_and_both_reviewers_per_part(client, disputed):
    version, _staff = disputed

    page = text_of(client.get(f"/staff/adjudicate/{version.id}"))

    plan = part_section(page, "plan")
    assert "Criterion:" in plan and "Presents a plan of three or more goals" in plan
    assert plan.count("<h4>Goal ") == 3 and "Close the homework gap" in plan and "Action Steps written" in plan
    assert "Rita Reviewer" in plan and "Solid throughout." in plan
    assert "Raj Reviewer" in plan and "Goal 2 has no <strong>timeline</strong>." in plan
    assert 'name="part_plan-result" id="plan-result-1" value="not_yet"' in plan
    # The page starts from the parts both reviewers agreed on, and asks only about the rest.
    assert page.index('id="agreed-heading"') < page.index('id="plan-heading"')
    assert "The two reviewers agree on 2 parts and disagree on 1 part." in page
    assert 'name="part_overview-result"' not in page and 'name="part_reflection-result"' not in page
    assert re.search(r'id="overview-agreed"><strong>Part 1\. Overview Questions</strong>: <span[^>]*>Yes</span>', page)


def test_not_yet_without_feedback_is_refused_next_to_the_part_and_typed_text_kept(client, disputed):
    version, _staff = disputed
    data = form_data(plan=("not_yet", "  "))

    response = client.post(f"/staff/adjudicate/{version.id}", data=data)

    assert response.status_code == 422
    page = text_of(response)
    plan = part_section(page, "plan")
    assert "Part 2: explain what is missing, so the educator can act on it." in plan
    assert re.search(r'id="plan-result-1" value="not_yet" checked', plan)
    no_result = text_of(client.post(f"/staff/adjudicate/{version.id}", data=form_data(plan=(None, "Half"))))
    assert "Part 2: choose Yes or Not yet." in part_section(no_result, "plan")
    assert "\nHalf</textarea>" in part_section(no_result, "plan")
    db.session.expire_all()
    assert version.state == State.IN_REVIEW
    assert db.session.scalar(select(Review).where(Review.is_adjudication)) is None


@pytest.mark.parametrize(
    ("plan_result", "expected"), [("yes", State.EARNED), ("not_yet", State.NOT_YET)]
)
def test_valid_adjudication_decides_the_version(client, disputed, plan_result, expected):
    version, staff = disputed
    data = form_data(plan=(plan_result, "Timelines are missing."))

    response = client.post(f"/staff/adjudicate/{version.id}", data=data)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/submissions/{version.submission_id}")
    db.session.expire_all()
    assert version.state == expected
    adjudication = db.session.scalar(select(Review).where(Review.is_adjudication))
    assert adjudication.reviewer_id == staff.id
    assert {r.part_key: (r.result, r.feedback) for r in adjudication.results} == {
        "overview": ("yes", "Solid throughout."), "plan": (plan_result, "Timelines are missing."),
        "reflection": ("yes", "Solid throughout."),
    }
    follow = text_of(client.get(response.headers["Location"]))
    assert f"Decided: {expected.label}." in follow and "Adjudication by Stella Staff (staff)" in follow


def test_settled_version_sends_staff_back_to_the_submission(client, disputed):
    version, _staff = disputed
    everything_yes = form_data(**{key: ("yes", "") for key in PARTS})
    client.post(f"/staff/adjudicate/{version.id}", data=everything_yes)

    again = client.post(f"/staff/adjudicate/{version.id}", data=everything_yes, follow_redirects=True)

    assert "This version does not need adjudication" in text_of(again)
    assert len(db.session.scalars(select(Review).where(Review.is_adjudication)).all()) == 1


def test_a_staff_member_who_reviewed_the_version_cannot_adjudicate_it(app, client, login_as, make_user, submit_plan):
    app.config["CALIBRATION_SHARE"] = 1.0
    both = make_user(name="Sam Both", roles=("staff", "reviewer"), organization="CoSN Program Office")
    reviews.ensure_profile(both).stacks = []
    other = make_user(name="Olga Other", roles=("reviewer",), organization="Lakeview Charter Network")
    reviews.ensure_profile(other)
    db.session.commit()
    version = submit_plan().current_version  # nobody qualified yet: it waits
    for person in (both, other):  # hand-assignment, like routing, takes only reviewers qualified for the stack
        reviews.ensure_profile(person).stacks = [version.submission.credential.stack]
    for reviewer, entries in ((both, all_yes(version)), (other, {**all_yes(version), "plan": ("not_yet", "No.")})):
        reviews.assign_by_hand(staff=both, version=version, reviewer_id=reviewer.id)
        db.session.flush()
        assignment = db.session.scalar(
            select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer.id)
        )
        reviews.confirm_review(reviewer=reviewer, assignment=assignment, entries=entries)
    db.session.commit()
    login_as(both)

    page = client.get(f"/staff/adjudicate/{version.id}")
    posted = client.post(f"/staff/adjudicate/{version.id}", data=form_data(**{k: ("yes", "") for k in PARTS}))

    assert "another staff member must adjudicate it" in text_of(page)
    assert posted.status_code == 200
    db.session.expire_all()
    assert version.state == State.IN_REVIEW


def test_unknown_version_is_404(client, disputed):
    assert client.get("/staff/adjudicate/999999").status_code == 404


def test_agreed_parts_keep_both_feedbacks_once_and_skip_disputed_parts(disputed):
    version, _staff = disputed
    agreed = reviews.agreed_parts(reviews.confirmed_reviews(version))
    assert agreed == {"overview": ("yes", "Solid throughout."), "reflection": ("yes", "Solid throughout.")}


def test_agreed_parts_need_two_regular_reviews():
    assert reviews.agreed_parts([]) == {}
