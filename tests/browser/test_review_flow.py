"""End to end in Chromium: the whole review cycle of the District Plan, blind both ways.

An educator submits; their own test reviewer scores it (the problem list, the decision preview, Not yet with
feedback); the educator reads the results, revises with the earlier feedback beside each part and resubmits; the
same reviewer gets the revision and marks every part Yes; the educator has earned the credential. axe-core runs on
every page of the cycle, and the scoring page is checked at 375px.

Determinism: the shared live server's demo reviewers already hold demo work, and routing picks the least loaded,
then least recently assigned, then lowest id. So the test makes its own reviewer (another organization, qualified
for every stack, room for plenty of work) and pauses every OTHER active reviewer qualified for Digital Equity
while it runs: the new reviewer is then the only eligible one, for the first version and for the revision. The
paused reviewers are resumed afterwards, and the test's reviewer is paused, so later tests see the server as before.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.services import get_or_create_organization
from portal.catalog.models import Stack
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, ReviewerProfile, reviewer_stacks
from portal.reviews.services import ensure_profile
from portal.submissions.models import Version
from tests.browser.conftest import follow, press

PLAN_URL = "/stacks/digital-equity/district-plan"
PLAN_TITLE = "Creating a District Plan for Digital Equity"
GOAL_FIELDS = ["statement", "action_steps", "timelines", "team_members", "partners", "measurable_outcomes"]
EDUCATOR_ORG = "Riverside Unified School District"  # where make_account puts everyone
REVIEWER_ORG = "Harbor Test District"
FEEDBACK = "Goal 2 needs a measurable outcome with a number."
OLD_OUTCOME = "Goal 2 measurable outcomes: written by the educator."
NEW_OUTCOME = "Hotspot checkouts rise from 40 to 120 a month by June."
NEED_FEEDBACK = "Part 2: explain what is missing, so the educator can act on it."
CHOOSE_PART_3 = "Part 3: choose Yes or Not yet."


# --- the test's own reviewer, the only one routing can choose ------------------------------------------------


@pytest.fixture
def accounts_for_review(live_app, make_account):
    """(educator, reviewer): a Foundations-earned educator and a fresh reviewer routing is sure to pick."""
    tag = uuid.uuid4().hex[:6]
    # The educator first: earning Foundations goes through the (still active) demo reviewers.
    educator = make_account(earned_foundations=True, name=f"Marisol Quintanilla {tag}")
    reviewer = make_account(roles=("reviewer",), name=f"Tobias Wrenfield {tag}")
    with live_app.app_context():
        user = db.session.get(User, reviewer.id)
        user.organization = get_or_create_organization(REVIEWER_ORG)
        profile = ensure_profile(user)
        profile.stacks = list(db.session.scalars(select(Stack)))
        profile.is_active = True
        profile.capacity = 50  # a confirm routes waiting work to whoever is free: keep room for the revision
        stack_id = db.session.scalar(select(Stack.id).where(Stack.slug == "digital-equity"))
        others = list(db.session.scalars(
            select(ReviewerProfile)
            .join(reviewer_stacks, reviewer_stacks.c.reviewer_id == ReviewerProfile.user_id)
            .where(reviewer_stacks.c.stack_id == stack_id, ReviewerProfile.is_active.is_(True),
                   ReviewerProfile.user_id != reviewer.id)
        ))
        paused = [p.user_id for p in others]
        for other in others:
            other.is_active = False
        db.session.commit()
        db.session.remove()
    try:
        yield educator, reviewer
    finally:
        with live_app.app_context():
            for user_id in paused:
                db.session.get(ReviewerProfile, user_id).is_active = True
            db.session.get(ReviewerProfile, reviewer.id).is_active = False
            db.session.commit()
            db.session.remove()


def assignments_of(live_app, submission_id: int) -> list[tuple[int, int, str]]:
    """(version number, reviewer id, state) of every assignment of the submission."""
    with live_app.app_context():
        rows = db.session.execute(
            select(Version.number, Assignment.reviewer_id, Assignment.state)
            .join(Version, Version.id == Assignment.version_id)
            .where(Version.submission_id == submission_id)
            .order_by(Version.number, Assignment.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


# --- a second person in a second browser context --------------------------------------------------------------


@pytest.fixture
def reviewer_page(browser, live_server):
    """A second 1280x900 context (the reviewer's browser), watched for script errors and CSP violations."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    problems: list[str] = []
    page = context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            problems.append(f"CSP violation on {page.url}: {msg.text}")

    page.on("pageerror", lambda error: problems.append(f"uncaught error on {page.url}: {error}"))
    page.on("console", on_console)
    yield page
    context.close()
    assert not problems, "Problems seen in the reviewer's browser:\n" + "\n".join(problems)


# --- page helpers ----------------------------------------------------------------------------------------------


def goal_field(goal: int, name: str) -> str:
    return f"#plan-goals-{goal - 1}-{name}"


def result_group(page, part: int):
    return page.get_by_role("group", name=f"Result for Part {part}")


def choose(page, part: int, label: str) -> None:
    """Select a result with the keyboard: focus the radio button and press Space."""
    radio = result_group(page, part).get_by_role("radio", name=label, exact=True)
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()


def feedback_box(page, part: int):
    return result_group(page, part).get_by_label("Feedback for the educator (required for Not yet)")


def unread_badge(page):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Notices")).locator(".tag")


def no_horizontal_scroll(page) -> dict:
    return page.evaluate("() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth})")


def assert_blind(page, educator, where: str) -> None:
    html = page.content()
    for secret in (educator.name, educator.email, EDUCATOR_ORG):
        assert secret not in html, f"{where} reveals the educator ({secret!r}) in a blind review"


def assert_reviewer_hidden(page, reviewer, where: str) -> None:
    html = page.content()
    for secret in (reviewer.name, reviewer.email, REVIEWER_ORG):
        assert secret not in html, f"{where} reveals the reviewer ({secret!r}) to the educator"


# --- the whole cycle ------------------------------------------------------------------------------------------


def test_a_submission_is_reviewed_revised_and_earned(
    page, reviewer_page, phone_page, accounts_for_review, live_app, sign_in, axe
):
    educator, reviewer = accounts_for_review

    me = page  # the educator's browser
    them = reviewer_page

    # 1. The educator starts the District Plan, fills every part and submits.
    sign_in(me, educator.email, educator.password)
    me.goto(PLAN_URL)
    follow(me, me.get_by_role("button", name="Start this credential"))
    expect(me).to_have_url(re.compile(r"/submissions/\d+$"))
    submission_id = int(re.search(r"/submissions/(\d+)$", me.url).group(1))
    me.get_by_label("Your answer to Part 1").fill(
        "A successful initiative has a named owner and shared data. Both keep the work going after launch."
    )
    for goal in (1, 2, 3):
        for name in GOAL_FIELDS:
            me.locator(goal_field(goal, name)).fill(f"Goal {goal} {name.replace('_', ' ')}: written by the educator.")
    me.locator("#reflection-text").fill("Writing the plan showed how much depends on partners outside school.")
    follow(me, me.get_by_role("button", name="Submit for review"))
    expect(me).to_have_url(re.compile(rf"/submissions/{submission_id}/versions/1$"))
    expect(me.locator("main .meta .state")).to_have_text("Submitted")
    unread_before = int(unread_badge(me).inner_text().split()[0]) if unread_badge(me).count() else 0
    assert assignments_of(live_app, submission_id) == [(1, reviewer.id, AssignmentState.OPEN)], (
        "version 1 was not routed to the test's reviewer alone"
    )

    # 2. The reviewer signs in and lands on their queue; the queue and the scoring page are blind.
    them.goto("/sign-in")
    sign_in(them, reviewer.email, reviewer.password)
    expect(them).to_have_url(re.compile(r"/review$"))
    expect(them.get_by_role("heading", level=1)).to_have_text("Review queue")
    entry = them.get_by_role("link", name=f"Submission {submission_id}, version 1", exact=True)
    expect(entry).to_be_visible()
    row = them.get_by_role("row").filter(has=entry)
    expect(row.get_by_role("cell").first).to_have_text(PLAN_TITLE)
    expect(row.get_by_role("cell").last).to_have_text("Not started")
    assert_blind(them, educator, "the review queue")
    axe.check(them, "review queue")

    follow(them, entry)
    expect(them).to_have_url(re.compile(r"/review/assignments/\d+$"))
    score_url = them.url
    expect(them.get_by_role("heading", level=1)).to_have_text(f"Review: {PLAN_TITLE}")
    expect(them.get_by_text("Blind review: the educator's name and organization are hidden from you.")).to_be_visible()
    expect(them.get_by_text("Goal 2 measurable outcomes: written by the educator.")).to_be_visible()
    assert_blind(them, educator, "the scoring page")
    axe.check(them, "scoring page, fresh")

    # The same scoring page on a 375px phone does not scroll sideways.
    sign_in(phone_page, reviewer.email, reviewer.password)
    phone_page.goto(score_url)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text(f"Review: {PLAN_TITLE}")
    overflow = no_horizontal_scroll(phone_page)
    assert overflow["scroll"] <= overflow["width"], f"the scoring page scrolls sideways on a 375px phone: {overflow}"

    # Part 1 Yes, Part 2 Not yet without feedback: Confirm is refused, with the problem next to Part 2.
    choose(them, 1, "Yes")
    choose(them, 2, "Not yet")
    press(them, "Confirm review")
    summary = them.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("link", name=NEED_FEEDBACK)).to_be_visible()
    expect(summary.get_by_role("link", name=CHOOSE_PART_3)).to_be_visible()  # Part 3 has no result yet
    part_2_error = result_group(them, 2).locator(".field-error")
    expect(part_2_error).to_have_text(NEED_FEEDBACK)
    expect(feedback_box(them, 2)).to_have_attribute("aria-describedby", part_2_error.get_attribute("id"))
    expect(result_group(them, 1).locator(".field-error")).to_have_count(0)
    # Nothing chosen so far was lost.
    expect(result_group(them, 1).get_by_role("radio", name="Yes", exact=True)).to_be_checked()
    expect(result_group(them, 2).get_by_role("radio", name="Not yet", exact=True)).to_be_checked()
    assert assignments_of(live_app, submission_id) == [(1, reviewer.id, AssignmentState.OPEN)]
    axe.check(them, "scoring page with the problem list")

    # Feedback for Part 2, typed with the keyboard, then Confirm again (it needs a result for every part first).
    feedback_box(them, 2).focus()
    them.keyboard.type(FEEDBACK)
    press(them, "Confirm review")
    expect(them.locator("#error-summary")).to_contain_text(CHOOSE_PART_3)
    expect(them.locator("#error-summary")).not_to_contain_text(NEED_FEEDBACK)
    expect(them.locator("#decision-preview")).to_have_count(0)
    expect(feedback_box(them, 2)).to_have_value(FEEDBACK)
    choose(them, 3, "Yes")
    press(them, "Confirm review")
    # Asked to confirm: the resulting decision and every result, nothing final yet.
    expect(them.get_by_role("heading", level=1)).to_have_text("Confirm your review")
    preview = them.locator("#decision-preview")
    expect(preview).to_be_visible()
    expect(preview.get_by_role("heading")).to_have_text("Resulting decision: Not yet")
    expect(them.locator(".result-summary")).to_contain_text(FEEDBACK)
    assert assignments_of(live_app, submission_id) == [(1, reviewer.id, AssignmentState.OPEN)]
    axe.check(them, "confirmation step of a review")

    press(them, "Yes, confirm this review")
    expect(them).to_have_url(re.compile(r"/review$"))
    expect(them.get_by_text("Your review is recorded. Thank you.")).to_be_visible()
    expect(them.get_by_role("link", name=f"Submission {submission_id}, version 1", exact=True)).to_have_count(1)
    expect(them.get_by_role("listitem").filter(
        has=them.get_by_role("link", name=f"Submission {submission_id}, version 1", exact=True)
    )).to_contain_text("confirmed")

    # 3. The educator is told, reads the results per part, and revises.
    me.goto("/my")
    expect(unread_badge(me)).to_have_text(f"{unread_before + 1} unread")
    follow(me, me.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Notices")))
    expect(me).to_have_url(re.compile(r"/notices$"))
    notice = me.get_by_role("button", name=f"“{PLAN_TITLE}”: a reviewer marked some parts Not yet.")
    expect(me.get_by_role("listitem").filter(has=notice).locator(".tag")).to_have_text("New")
    assert_reviewer_hidden(me, reviewer, "the notices page")
    axe.check(me, "notices page")

    follow(me, notice)
    expect(me).to_have_url(re.compile(rf"/submissions/{submission_id}/versions/1$"))
    expect(unread_badge(me)).to_have_text(f"{unread_before} unread")  # following the notice read it
    expect(me.locator("main .meta .state")).to_have_text("Not yet")
    for part, result in [(1, "Yes"), (2, "Not yet"), (3, "Yes")]:
        section = me.locator("section.part").nth(part - 1)
        expect(section.locator(".review-result")).to_contain_text(f"Reviewer's result: {result}")
    expect(me.locator("section.part").nth(1).locator(".review-result .rendered")).to_have_text(FEEDBACK)
    expect(me.locator("section.part").nth(0).locator(".review-result .rendered")).to_have_count(0)
    assert_reviewer_hidden(me, reviewer, "the version page with results")
    axe.check(me, "version page with the reviewer's results")

    follow(me, me.get_by_role("button", name="Revise and resubmit"))
    expect(me).to_have_url(re.compile(rf"/submissions/{submission_id}$"))
    expect(me.get_by_text("A new version is open. The reviewer's feedback is shown beside each part.")).to_be_visible()
    expect(me.locator("main .meta")).to_contain_text("Version 2")
    earlier = me.locator("#plan-earlier")
    expect(earlier).to_contain_text("Version 1: Not yet — feedback from the reviewer:")
    expect(earlier.locator(".rendered")).to_have_text(FEEDBACK)
    # Beside Part 2: inside Part 2's own section.
    expect(me.locator("section.part").nth(1).locator("#plan-earlier")).to_have_count(1)
    expect(me.locator("#overview-earlier")).to_contain_text("Version 1: Yes")
    expect(me.locator("#reflection-earlier")).to_contain_text("Version 1: Yes")
    assert_reviewer_hidden(me, reviewer, "the revision draft")
    axe.check(me, "revision draft with the earlier feedback")

    outcome = me.locator(goal_field(2, "measurable_outcomes"))
    expect(outcome).to_have_value(OLD_OUTCOME)  # the new version starts from the old text
    outcome.fill(NEW_OUTCOME)
    follow(me, me.get_by_role("button", name="Submit for review"))
    expect(me).to_have_url(re.compile(rf"/submissions/{submission_id}/versions/2$"))
    expect(me.locator("main .meta .state")).to_have_text("Submitted")
    expect(me.get_by_text(NEW_OUTCOME)).to_be_visible()

    # 4. The revision returns to the same reviewer, who marks every part Yes.
    assert assignments_of(live_app, submission_id) == [
        (1, reviewer.id, AssignmentState.DONE), (2, reviewer.id, AssignmentState.OPEN)
    ], "the revision did not return to the reviewer of version 1"
    follow(them, them.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews"))
    follow(them, them.get_by_role("link", name=f"Submission {submission_id}, version 2", exact=True))
    expect(them.get_by_text(NEW_OUTCOME, exact=True)).to_be_visible()
    assert_blind(them, educator, "the scoring page of the revision")
    # Beside Part 2: what version 1 got, and the words changed since, marked as text as well as by colour.
    earlier_plan = them.locator("#plan-earlier")
    expect(earlier_plan).to_contain_text("Result: Not yet")
    expect(earlier_plan.locator(".earlier-feedback")).to_have_text(FEEDBACK)
    changes = them.locator("#plan-changes")
    expect(changes).to_have_attribute("open", "")
    expect(changes.locator(".diff ins").first).to_contain_text("added:")
    expect(changes.locator(".diff del").first).to_contain_text("removed:")
    expect(changes).to_contain_text("Goal 2, Measurable Outcomes")
    expect(them.locator("#overview-changes summary")).to_have_text("Changes since version 1: none")
    axe.check(them, "scoring page of version 2 with earlier results and changes")
    for part in (1, 2, 3):
        choose(them, part, "Yes")
    press(them, "Confirm review")
    expect(them.locator("#decision-preview").get_by_role("heading")).to_have_text("Resulting decision: Earned")
    press(them, "Yes, confirm this review")
    expect(them).to_have_url(re.compile(r"/review$"))
    expect(them.get_by_text("Your review is recorded. Thank you.")).to_be_visible()

    # 5. The educator has earned it: told in Notices, shown on the version page and on My work.
    follow(me, me.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Notices")))
    follow(me, me.get_by_role("button", name=f"“{PLAN_TITLE}” was earned."))
    expect(me).to_have_url(re.compile(rf"/submissions/{submission_id}/versions/2#share$"))
    expect(me.locator("main .meta .state")).to_have_text("Earned")
    expect(me.get_by_text("Every part was marked “Yes”: you have earned this micro-credential.")).to_be_visible()
    expect(me.get_by_role("button", name="Revise and resubmit")).to_have_count(0)
    for part in (1, 2, 3):
        expect(me.locator("section.part").nth(part - 1).locator(".review-result")).to_contain_text(
            "Reviewer's result: Yes"
        )
    assert_reviewer_hidden(me, reviewer, "the earned version page")
    axe.check(me, "earned version page")

    follow(me, me.get_by_role("navigation", name="Main").get_by_role("link", name="My work"))
    expect(me).to_have_url(re.compile(r"/my$"))
    row = me.get_by_role("row").filter(has=me.get_by_role("link", name=PLAN_TITLE))
    expect(row.get_by_role("cell").first).to_have_text("Earned")
    expect(row.get_by_role("cell").nth(1)).to_have_text("2")

    axe.assert_clean()
