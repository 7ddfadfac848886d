"""End to end in Chromium: the daily path of each role without a stumble.

- every Yes / Not yet radio button sits on one line with its own label, the whole row clickable, at 1280 and
  375 px, on the scoring page and the adjudication page;
- declining a review asks first;
- withdrawing and starting again keeps both attached files;
- staff land on the overview and find the adjudication from it; removing a goal or a cohort member asks first;
- axe-core on every page this work changed.

The work is set up through the services with reviewers chosen by hand (never routed), so the demo reviewers of
the shared live server are not involved and other tests are not disturbed.
"""

import io
import re

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.services import get_or_create_organization
from portal.catalog.models import Credential
from portal.cohorts.models import Cohort, Membership
from portal.demo import _answers
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions import services as submissions
from tests.browser.conftest import DEMO_PASSWORD, STAFF_EMAIL, follow, press
from tests.conftest import TINY_PDF

DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}


def _submitted_to(live_app, educator_id: int, reviewer_ids: list[int], slug: str = "foundations") -> tuple[int, int]:
    """(version id, submission id) of a submission by the educator, handed by staff to exactly these reviewers."""
    with live_app.app_context():
        educator = db.session.get(User, educator_id)
        staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
        credential = db.session.scalar(select(Credential).where(Credential.slug == slug))
        submission = submissions.start_submission(educator=educator, credential=credential)
        version = submission.current_version
        submissions.save_draft(educator=educator, submission=submission, answers=_answers(credential),
                               base_revision=version.revision)
        for part in version.requirements.parts:
            for _ in range(part.min_files):
                submissions.add_artifact(educator=educator, submission=submission, part_key=part.key,
                                         stream=io.BytesIO(TINY_PDF), filename="evidence.pdf",
                                         config=current_app.config)
        submissions.submit(educator=educator, submission=submission)
        for reviewer_id in reviewer_ids:
            reviewer = db.session.get(User, reviewer_id)
            reviewer.organization = get_or_create_organization("Harbor Test District")
            profile = reviews.ensure_profile(reviewer)
            if credential.stack not in profile.stacks:
                profile.stacks.append(credential.stack)  # hand-assignment follows the routing rule
            reviews.assign_by_hand(staff=staff, version=version, reviewer_id=reviewer_id)
        db.session.commit()
        ids = version.id, submission.id
        db.session.remove()
    return ids


def _assignment_id(live_app, version_id: int, reviewer_id: int) -> int:
    with live_app.app_context():
        found = db.session.scalar(select(Assignment.id).where(
            Assignment.version_id == version_id, Assignment.reviewer_id == reviewer_id))
        db.session.remove()
    return found


def _radio_rows_problems(page) -> list[str]:
    """Every radio button must share its line with its own label text, right beside it, and each choice must
    have a line of its own."""
    return page.evaluate("""() => {
      const problems = [];
      for (const group of document.querySelectorAll('fieldset')) {
        const rows = [...group.querySelectorAll('label.choice')];
        rows.forEach((row, i) => {
          const input = row.querySelector('input[type=radio]').getBoundingClientRect();
          const text = row.querySelector('span').getBoundingClientRect();
          const name = `${group.querySelector('legend').textContent.trim()} / ${row.textContent.trim()}`;
          const inputMiddle = input.top + input.height / 2;
          if (inputMiddle < text.top || inputMiddle > text.bottom) {
            problems.push(`${name}: label not on the radio's line`);
          }
          if (text.left < input.right || text.left - input.right > 40) {
            problems.push(`${name}: label not right beside its radio`);
          }
          if (i > 0 && row.getBoundingClientRect().top < rows[i - 1].getBoundingClientRect().bottom - 1) {
            problems.push(`${name}: shares a line with the choice above`);
          }
        });
        if (rows.length && rows.length !== group.querySelectorAll('input[type=radio]').length) {
          problems.push(`${group.querySelector('legend').textContent.trim()}: a radio button outside its labelled row`);
        }
      }
      return problems;
    }""")


def _no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_reviewer_radio_rows_and_decline_confirmation(browser, live_server, live_app, make_account, sign_in, axe):
    educator = make_account()
    reviewer = make_account(roles=("reviewer",))
    version_id, _submission_id = _submitted_to(live_app, educator.id, [reviewer.id])
    score_url = f"/review/assignments/{_assignment_id(live_app, version_id, reviewer.id)}"

    for size in (DESKTOP, PHONE):
        context = browser.new_context(base_url=live_server, viewport=size)
        page = context.new_page()
        page.goto("/sign-in")
        sign_in(page, reviewer.email, reviewer.password)
        expect(page).to_have_url(re.compile(r"/review$"))  # a reviewer lands on the queue
        page.goto(score_url)
        assert _radio_rows_problems(page) == [], f"at {size['width']} px"
        assert _no_sideways_scroll(page) <= 0, f"the scoring page scrolls sideways at {size['width']} px"
        # The whole row is the target: a click at the far end of the "Not yet" row, away from its text.
        row = page.get_by_role("group", name="Result for Part 1").locator("label.choice").nth(1)
        row.scroll_into_view_if_needed()
        box = row.bounding_box()
        page.mouse.click(box["x"] + box["width"] - 6, box["y"] + box["height"] / 2)
        expect(row.locator("input")).to_be_checked()
        # The criterion sits right above the result controls (phone) or beside them (desktop).
        criterion = page.locator("#overview-criterion").bounding_box()
        legend = page.get_by_role("group", name="Result for Part 1").locator("legend").bounding_box()
        assert criterion["y"] < legend["y"] and legend["y"] - (criterion["y"] + criterion["height"]) < 80
        axe.check(page, f"scoring page at {size['width']} px")
        context.close()

    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, reviewer.email, reviewer.password)
    page.goto(score_url)
    page.get_by_label("Why are you declining?").select_option("conflict")
    press(page, "Decline…")
    expect(page.get_by_role("heading", level=1)).to_have_text("Decline this review?")
    expect(page.get_by_text("I have a conflict of interest")).to_be_visible()
    axe.check(page, "decline confirmation")
    follow(page, page.get_by_role("link", name="No, keep this review"))
    expect(page).to_have_url(re.compile(re.escape(score_url) + "$"))
    expect(page.get_by_role("group", name="Result for Part 1")).to_be_visible()  # still theirs
    context.close()
    axe.assert_clean()


def test_withdraw_and_restart_keeps_both_files(page, make_account, sign_in, axe):
    educator = make_account()
    sign_in(page, educator.email, educator.password)
    expect(page).to_have_url(re.compile(r"/my$"))  # an educator lands on My work
    page.goto("/stacks/digital-equity/foundations")
    follow(page, page.get_by_role("button", name="Start this credential"))
    files = [{"name": name, "mimeType": "application/pdf", "buffer": TINY_PDF + name.encode()}
             for name in ("survey.pdf", "budget.pdf")]
    page.locator("#data_snapshot-files").set_input_files(files)
    press(page, "Save draft")
    expect(page.locator(".file-list li")).to_have_count(2)
    press(page, "Withdraw this draft")
    expect(page.locator("main .meta .state")).to_have_text("Withdrawn")

    page.goto("/stacks/digital-equity/foundations")
    follow(page, page.get_by_role("button", name="Start this credential"))
    expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
    expect(page.locator(".flash-info")).to_have_text(re.compile(
        r"Carried over from your withdrawn submission: .*2 attached files \(“survey\.pdf”, “budget\.pdf”\)\."))
    expect(page.locator(".file-list li a")).to_have_text(["survey.pdf", "budget.pdf"])
    axe.check(page, "restarted draft with the carry-over message")
    axe.assert_clean()


def test_removing_a_written_goal_asks_first(page, make_account, sign_in, axe):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    page.goto("/stacks/digital-equity/district-plan")
    follow(page, page.get_by_role("button", name="Start this credential"))
    expect(page.get_by_label("Action Steps, goal 1")).to_be_visible()  # the label names its goal
    page.get_by_label("Action Steps, goal 2").fill("Survey every family about home internet.")
    press(page, "Remove goal 2")
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove goal 2?")
    expect(page.get_by_text("Survey every family about home internet.")).to_be_visible()
    axe.check(page, "remove goal confirmation")
    follow(page, page.get_by_role("link", name="No, keep it"))
    expect(page.get_by_label("Action Steps, goal 2")).to_have_value("Survey every family about home internet.")
    press(page, "Remove goal 2")
    press(page, "Yes, remove goal 2")
    expect(page.get_by_text("Goal 2 removed.")).to_be_visible()
    expect(page.get_by_label("Action Steps, goal 2")).to_have_value("")
    axe.assert_clean()


@pytest.fixture
def disputed_version(live_app, make_account):
    """A Foundations version two test reviewers disagree on (one says Not yet to the reflection)."""
    educator = make_account()
    first, second = make_account(roles=("reviewer",)), make_account(roles=("reviewer",))
    share = live_app.config["CALIBRATION_SHARE"]
    live_app.config["CALIBRATION_SHARE"] = 1.0  # both reviews are needed, so they can disagree
    try:
        version_id, submission_id = _submitted_to(live_app, educator.id, [first.id, second.id])
        assignment_ids = [_assignment_id(live_app, version_id, r.id) for r in (first, second)]
        with live_app.app_context():
            for (reviewer, harsh), assignment_id in zip(((first, False), (second, True)), assignment_ids, strict=True):
                assignment = db.session.get(Assignment, assignment_id)
                entries = {p.key: ("yes", "") for p in assignment.version.requirements.parts}
                if harsh:
                    entries["reflection"] = ("not_yet", "Say what you would do differently.")
                reviews.confirm_review(reviewer=db.session.get(User, reviewer.id), assignment=assignment,
                                       entries=entries)
            db.session.commit()
            db.session.remove()
    finally:
        live_app.config["CALIBRATION_SHARE"] = share
    return version_id, submission_id


def test_staff_land_on_the_overview_and_adjudicate_only_the_disputed_part(
    browser, live_server, page, disputed_version, sign_in, axe
):
    version_id, submission_id = disputed_version
    page.goto("/sign-in")
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff overview")
    staff_nav = page.get_by_role("navigation", name="Staff").get_by_role("link")
    expect(staff_nav.first).to_have_text("Overview")
    expect(page.get_by_role("link", name=re.compile(r"^\d+ adjudications? pending$"))).to_be_visible()
    axe.check(page, "staff overview, desktop")

    follow(page, page.get_by_role("link", name=f"Submission {submission_id}, version 1", exact=True))
    expect(page).to_have_url(re.compile(rf"/staff/adjudicate/{version_id}$"))
    expect(page.get_by_text("The two reviewers agree on 2 parts and disagree on 1 part.")).to_be_visible()
    expect(page.locator("#agreed-heading")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(2)  # Yes and Not yet for the one disputed part
    assert _radio_rows_problems(page) == []
    axe.check(page, "adjudication page")

    phone = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, STAFF_EMAIL, DEMO_PASSWORD, next_path=f"/staff/adjudicate/{version_id}")
    assert _radio_rows_problems(phone) == []
    assert _no_sideways_scroll(phone) <= 0
    phone.goto("/staff/")
    assert _no_sideways_scroll(phone) <= 0
    axe.check(phone, "staff overview, phone")
    phone.context.close()

    group = page.get_by_role("group", name="Your result for Part 3")
    group.get_by_role("radio", name="Yes", exact=True).focus()
    page.keyboard.press("Space")
    press(page, "Decide this version")
    expect(page.get_by_text("Decided: Earned. The educator has been told.")).to_be_visible()
    axe.assert_clean()


def test_removing_a_cohort_member_asks_first(page, live_app, make_account, sign_in, axe):
    person = make_account(name="Quinn Removable")
    with live_app.app_context():
        cohort = db.session.scalars(select(Cohort).order_by(Cohort.id)).first()
        db.session.add(Membership(cohort_id=cohort.id, user_id=person.id))
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD, next_path=f"/staff/cohorts/{cohort_id}/members/{person.id}/remove")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove Quinn Removable from")
    axe.check(page, "remove member confirmation")
    press(page, "Yes, remove Quinn Removable")
    expect(page.get_by_text("Quinn Removable removed from the cohort.")).to_be_visible()
    axe.assert_clean()


def test_criterion_stays_in_view_beside_a_long_answer(page, live_app, make_account, sign_in, axe):
    educator = make_account(earned_foundations=True)
    reviewer = make_account(roles=("reviewer",))
    version_id, _ = _submitted_to(live_app, educator.id, [reviewer.id], slug="district-plan")
    sign_in(page, reviewer.email, reviewer.password)
    page.goto(f"/review/assignments/{_assignment_id(live_app, version_id, reviewer.id)}")
    answer = page.locator("section.review-part").nth(1).locator(".review-answer")
    assert answer.bounding_box()["height"] > 900, "the plan's answer should be longer than the screen"
    # Scroll to the last goal of the plan: the criterion of Part 2 is still on screen, beside it.
    page.get_by_role("heading", name="Goal 3").scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    criterion = page.locator("#plan-criterion")
    box = criterion.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900, f"the criterion scrolled out of view: {box}"
    assert box["x"] > answer.bounding_box()["x"] + answer.bounding_box()["width"], "the criterion is not beside it"
    axe.check(page, "scoring page of a long plan")
    axe.assert_clean()


def test_autosave_replaces_the_pages_word_limit_message(page, make_account, sign_in):
    educator = make_account()
    sign_in(page, educator.email, educator.password)
    page.goto("/stacks/digital-equity/foundations")
    follow(page, page.get_by_role("button", name="Start this credential"))
    essay = page.get_by_label("Your answer to Part 1")
    essay.fill("word " * 205)
    press(page, "Submit for review")  # refused: the problems are listed, and shown under each field
    message = page.locator("#overview-text-error")
    expect(message).to_have_text("Part 1 has 205 words; the limit is 200.")
    summary_item = page.locator("#error-summary li").filter(has_text="Part 1 has 205 words")
    expect(summary_item).to_have_count(1)
    page.get_by_label("Your answer to Part 1").fill("Short enough now.")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Saved at"))
    expect(message).to_have_count(0)  # the live counter and the message agree
    expect(summary_item).to_have_text("Fixed: Part 1 has 205 words; the limit is 200.")
    expect(page.get_by_label("Your answer to Part 1")).to_have_attribute(
        "aria-describedby", "overview-text-hint overview-text-count")
    page.get_by_label("Your answer to Part 1").fill("word " * 210)
    expect(message).to_have_text("Part 1 has 210 words; the limit is 200.")


def test_a_notice_about_work_given_to_someone_else_says_so(page, live_app, make_account, sign_in, axe):
    educator = make_account()
    first, second = make_account(roles=("reviewer",)), make_account(roles=("reviewer",))
    version_id, _ = _submitted_to(live_app, educator.id, [first.id])
    assignment_id = _assignment_id(live_app, version_id, first.id)
    with live_app.app_context():
        staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
        second_user = db.session.get(User, second.id)
        second_user.organization = get_or_create_organization("Harbor Test District")
        reviews.ensure_profile(second_user).stacks = list(reviews.ensure_profile(db.session.get(User, first.id)).stacks)
        reviews.reassign(staff=staff, assignment=db.session.get(Assignment, assignment_id), reviewer_id=second.id)
        db.session.commit()
        db.session.remove()
    sign_in(page, first.email, first.password, next_path="/notices")
    item = page.locator(".notice-item").filter(has_text="New review")
    expect(item.locator(".tag")).to_have_text("No longer current")
    expect(item).to_contain_text("staff gave this review to another reviewer.")
    axe.check(page, "notices with one no longer current")
    follow(page, item.get_by_role("button"))
    expect(page.locator("#closed-note")).to_contain_text("This review is no longer yours")
    axe.check(page, "scoring page of a review that went elsewhere")
    axe.assert_clean()
