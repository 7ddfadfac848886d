"""End to end in Chromium: an educator drafts and submits the District Plan, with autosave, the live word
counter, the problem list, the prerequisite notice, keyboard-only use, two tabs, and axe-core on every page."""

import re

from playwright.sync_api import expect

STACK_URL = "/stacks/digital-equity"
PLAN_URL = "/stacks/digital-equity/district-plan"
STAFF_EMAIL, DEMO_PASSWORD = "staff@example.org", "demo-password"  # from portal.demo
PLAN_TITLE = "Creating a District Plan for Digital Equity"
FOUNDATIONS_TITLE = "Foundations of Digital Equity: Understanding the Homework Gap"
GOAL_FIELDS = ["statement", "action_steps", "timelines", "team_members", "partners", "measurable_outcomes"]
TWELVE_WORDS = "Every student needs a working device and a reliable connection at home."


def goal_field(goal: int, name: str) -> str:
    """The id of a field of goal number `goal` (1-based), as the draft page names it."""
    return f"#plan-goals-{goal - 1}-{name}"


def fill_goal(page, goal: int, fields=GOAL_FIELDS) -> None:
    for name in fields:
        page.locator(goal_field(goal, name)).fill(f"Goal {goal} {name.replace('_', ' ')}: written by the educator.")


def words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(1, n + 1))


def wait_until_saved(page) -> None:
    status = page.locator("#save-status")
    expect(status, "autosave never confirmed with “Saved at …” in #save-status").to_contain_text(
        "Saved at", timeout=10_000
    )


def start_district_plan(page) -> str:
    """From the credential page (signed in, Foundations earned): press Start; returns the draft's URL."""
    page.goto(PLAN_URL)
    page.get_by_role("button", name="Start this credential").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)
    return page.url


def problem_messages(page) -> list[str]:
    return [text.strip() for text in page.locator("#error-summary li").all_inner_texts()]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_until(page, predicate_js: str, *, limit: int = 60, key: str = "Tab") -> None:
    """Press Tab until predicate_js (a JS function of the focused element) is true."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({predicate_js})(el); }})()"):
            return
        seen.append(page.evaluate("(() => { const el = document.activeElement; "
                                  "return el.tagName + (el.id ? '#' + el.id : '') + ' ' + "
                                  "(el.innerText || el.value || '').slice(0, 30); })()"))
    raise AssertionError(f"{key} never reached the element {predicate_js}; focus went through: {seen}")


FOCUS_VISIBLE_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {outline: outline, shadow: !!shadow, focusVisible: el.matches(':focus-visible'),
          desc: el.tagName + ' ' + style.outlineStyle + ' ' + style.outlineWidth + ' ' + style.boxShadow};
}"""


def assert_focus_visible(page) -> None:
    state = page.evaluate(FOCUS_VISIBLE_JS)
    assert state["focusVisible"], f"the focused element does not match :focus-visible: {state['desc']}"
    assert state["outline"] or state["shadow"], f"no visible focus indicator on the focused element: {state['desc']}"


# --- a. the whole journey ----------------------------------------------------------------------------------


def test_educator_drafts_fixes_and_submits_the_district_plan(page, make_account, sign_in):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)

    # The catalog: / -> Digital Equity -> the credential.
    page.goto("/")
    page.get_by_role("link", name="Digital Equity", exact=True).click()
    expect(page).to_have_url(re.compile(STACK_URL + "$"))
    page.get_by_role("link", name=PLAN_TITLE).click()
    expect(page).to_have_url(re.compile(PLAN_URL + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)
    expect(page.locator("#prerequisite-notice")).to_have_count(0)

    page.get_by_role("button", name="Start this credential").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
    draft_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)

    # Part 1: the live counter follows the typing, autosave confirms, a reload shows exactly the text.
    overview = page.get_by_label("Your answer to Part 1")
    counter = page.locator("#overview-text-count")
    expect(counter).to_have_text("0 / 200 words")
    overview.press_sequentially(TWELVE_WORDS)
    expect(counter).to_have_text("12 / 200 words")
    wait_until_saved(page)
    page.reload()
    expect(page.locator("#overview-text")).to_have_value(TWELVE_WORDS)
    expect(page.locator("#overview-text-count")).to_have_text("12 / 200 words")
    page.locator("details[data-preview-for=overview-text] > summary").click()
    expect(page.locator("details[data-preview-for=overview-text] .preview-body")).to_have_text(TWELVE_WORDS)

    # Part 2: two goals in full, then a third block.
    expect(page.locator("fieldset.goal")).to_have_count(3)  # min_goals blank blocks are offered
    fill_goal(page, 1)
    fill_goal(page, 2)
    page.get_by_role("button", name="Add a goal").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator("fieldset.goal")).to_have_count(4)
    expect(page).to_have_url(re.compile(r"#plan-goal-3$"))
    expect(page.locator("#plan-goal-3")).to_be_focused()  # the new block, so keyboard users continue there
    expect(page.get_by_role("group", name="Goal 4")).to_be_visible()
    # The goal blocks kept what was typed.
    expect(page.locator(goal_field(2, "partners"))).to_have_value("Goal 2 partners: written by the educator.")

    # Goal 3 partly written, Part 3 empty: Submit lists every problem, each linked to its field.
    fill_goal(page, 3, ["statement", "action_steps", "timelines", "team_members"])
    page.get_by_role("button", name="Submit for review").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading")).to_have_text("Fix 3 problems before submitting")
    assert problem_messages(page) == [
        "Goal 3: Partners is required.",
        "Goal 3: Measurable Outcomes is required.",
        "Part 3 (Reflection) is empty.",
    ]
    expect(page).to_have_title(re.compile(r"^Fix 3 problems: "))
    # Nothing typed was lost, and the blank fourth block did not count as a goal.
    expect(page.locator("#overview-text")).to_have_value(TWELVE_WORDS)
    expect(page.locator(goal_field(3, "team_members"))).to_have_value("Goal 3 team members: written by the educator.")
    for message, target in [
        ("Goal 3: Partners is required.", goal_field(3, "partners")),
        ("Goal 3: Measurable Outcomes is required.", goal_field(3, "measurable_outcomes")),
        ("Part 3 (Reflection) is empty.", "#reflection-text"),
    ]:
        link = summary.get_by_role("link", name=message)
        expect(link).to_have_attribute("href", target)
        link.click()
        expect(page.locator(target)).to_be_focused()
        expect(page.locator(target)).to_have_attribute("aria-invalid", "true")
        expect(page.locator(target)).to_be_in_viewport()

    # Fix everything and submit.
    page.locator(goal_field(3, "partners")).fill("Riverside Public Library")
    page.locator(goal_field(3, "measurable_outcomes")).fill("Hotspot checkouts double by June")
    page.locator("#reflection-text").fill("Writing the plan showed how much depends on partners outside school.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+/versions/1$"))
    expect(page.get_by_text(f"Submitted. “{PLAN_TITLE}” is now waiting for a reviewer.")).to_be_visible()
    expect(page.locator("main .meta .state")).to_have_text("Submitted")
    expect(page.get_by_text("Goal 3 team members: written by the educator.")).to_be_visible()

    # My work lists it as Submitted; the draft page now shows the frozen version.
    page.get_by_role("link", name="My work").first.click()
    expect(page).to_have_url(re.compile(r"/my$"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=PLAN_TITLE))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").first).to_have_text("Submitted")
    page.goto(draft_url)
    expect(page).to_have_url(re.compile(r"/versions/1$"))


# --- b. over the word limit ----------------------------------------------------------------------------------


def test_a_draft_over_the_word_limit_saves_but_cannot_be_submitted(page, make_account, sign_in):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    start_district_plan(page)

    overview = page.locator("#overview-text")
    overview.fill(words(199))
    overview.press_sequentially(" and more words")
    counter = page.locator("#overview-text-count")
    expect(counter).to_have_text("202 / 200 words — 2 over the limit")
    expect(counter).to_have_class(re.compile(r"\bis-over\b"))
    wait_until_saved(page)

    page.reload()  # the draft was saved even though it is over the limit
    expect(page.locator("#overview-text")).to_have_value(words(199) + " and more words")
    expect(page.locator("#overview-text-count")).to_have_text("202 / 200 words — 2 over the limit")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#error-summary")).to_be_visible()
    problems = problem_messages(page)
    assert problems[0] == "Part 1 has 202 words; the limit is 200."
    assert "Part 3 (Reflection) is empty." in problems
    expect(page.locator("#overview-text-error")).to_have_text("Part 1 has 202 words; the limit is 200.")


# --- c. without the prerequisite -----------------------------------------------------------------------------


def test_an_educator_without_foundations_is_told_why_they_cannot_start(page, make_account, sign_in):
    newcomer = make_account(earned_foundations=False)
    sign_in(page, newcomer.email, newcomer.password)
    page.goto(PLAN_URL)
    notice = page.locator("#prerequisite-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("you cannot submit it yet")
    expect(notice).to_contain_text(FOUNDATIONS_TITLE)
    expect(notice.get_by_role("link", name=FOUNDATIONS_TITLE)).to_have_attribute(
        "href", "/stacks/digital-equity/foundations"
    )
    expect(page.get_by_role("button", name="Start this credential")).to_have_count(0)

    # Foundations itself has no prerequisite: the same educator can start that one.
    notice.get_by_role("link", name=FOUNDATIONS_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FOUNDATIONS_TITLE)
    expect(page.get_by_role("button", name="Start this credential")).to_be_visible()


# --- d. keyboard only ----------------------------------------------------------------------------------------


def test_keyboard_only_sign_in_and_start_a_draft(page, make_account):
    educator = make_account(earned_foundations=True)
    page.goto(PLAN_URL)

    # The skip link comes first and moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert focused_id(page) == "main"

    # The "Sign in" link of the call to action (it brings the educator back here).
    tab_until(page, "el => el.tagName === 'A' && el.getAttribute('href').includes('next=')")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))

    tab_until(page, "el => el.id === 'email'")
    assert_focus_visible(page)
    page.keyboard.type(educator.email)
    page.keyboard.press("Tab")
    assert focused_id(page) == "password"
    page.keyboard.type(educator.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(PLAN_URL + "$"))

    tab_until(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Start this credential'")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/submissions/\d+$"))

    tab_until(page, "el => el.id === 'overview-text'")
    assert_focus_visible(page)
    page.keyboard.type(TWELVE_WORDS)
    expect(page.locator("#overview-text-count")).to_have_text("12 / 200 words")
    wait_until_saved(page)

    # Shift+Tab goes back the way it came.
    page.keyboard.press("Shift+Tab")
    assert focused_id(page) != "overview-text"
    assert_focus_visible(page)


# --- e. two tabs ---------------------------------------------------------------------------------------------


def test_a_second_tab_is_told_about_the_conflict_and_keeps_its_text(context, page, make_account, sign_in):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    draft_url = start_district_plan(page)
    tab_a = page
    tab_b = context.new_page()
    tab_b.goto(draft_url)

    tab_a.locator("#overview-text").press_sequentially("Written in tab A.")
    wait_until_saved(tab_a)

    tab_b.locator("#overview-text").press_sequentially("Written in tab B instead.")
    alert = tab_b.get_by_role("alert")
    expect(alert).to_contain_text("another tab")
    expect(tab_b.locator("#save-status")).to_contain_text("Not saved")
    expect(tab_b.locator("#overview-text")).to_have_value("Written in tab B instead.")

    # Tab B did not overwrite what tab A saved.
    tab_a.reload()
    expect(tab_a.locator("#overview-text")).to_have_value("Written in tab A.")

    # "Save draft" in tab B shows the saved text for comparison (or saves at once); pressing it again keeps B's.
    tab_b.get_by_role("button", name="Save draft").click()
    if tab_b.locator("#conflict").count():
        expect(tab_b.locator("#conflict")).to_have_attribute("role", "alert")
        expect(tab_b.locator("details.saved-copy").first).to_contain_text("Written in tab A.")
        expect(tab_b.locator("#overview-text")).to_have_value("Written in tab B instead.")
        tab_b.get_by_role("button", name="Save draft").click()
    expect(tab_b.get_by_text("Draft saved.")).to_be_visible()
    expect(tab_b.locator("#overview-text")).to_have_value("Written in tab B instead.")


# --- f. axe-core on every page --------------------------------------------------------------------------------


def test_public_pages_are_accessible(page, axe, sign_in):
    page.goto("/")
    axe.check(page, "catalog index")
    page.goto(STACK_URL)
    axe.check(page, "stack page")
    page.goto(PLAN_URL)
    expect(page.get_by_role("link", name="create an account")).to_be_visible()
    axe.check(page, "credential page, signed out")

    page.goto("/sign-in")
    axe.check(page, "sign-in")
    sign_in(page, "nobody@example.org", "wrong password", expect_success=False)
    expect(page.locator("#error-summary")).to_contain_text("That email and password do not match an account.")
    axe.check(page, "sign-in with an error")

    page.goto("/sign-up")
    axe.check(page, "sign-up")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter your name.")
    axe.check(page, "sign-up with errors")

    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    axe.check(page, "404 page")
    axe.assert_clean()


def test_educator_pages_are_accessible(page, axe, make_account, sign_in):
    newcomer = make_account(earned_foundations=False)
    sign_in(page, newcomer.email, newcomer.password)
    page.goto(PLAN_URL)
    expect(page.locator("#prerequisite-notice")).to_be_visible()
    axe.check(page, "credential page, signed in without the prerequisite")
    page.get_by_role("button", name="Sign out").click()

    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    axe.check(page, "My work with only an earned credential")
    page.goto(PLAN_URL)
    expect(page.get_by_role("button", name="Start this credential")).to_be_visible()
    axe.check(page, "credential page, signed in with the prerequisite")

    page.get_by_role("button", name="Start this credential").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+$"))
    axe.check(page, "draft page, fresh")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#error-summary")).to_be_visible()
    axe.check(page, "draft page with the problem list")

    page.locator("#overview-text").fill(TWELVE_WORDS)
    for goal in (1, 2, 3):
        fill_goal(page, goal)
    page.locator("#reflection-text").fill("Planning showed how much the work depends on partners.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(re.compile(r"/versions/1$"))
    axe.check(page, "version page after submit")

    page.goto("/my")
    expect(page.get_by_role("link", name=PLAN_TITLE)).to_be_visible()
    axe.check(page, "My work")

    page.goto("/account/password")
    axe.check(page, "change password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#error-summary")).to_be_visible()
    axe.check(page, "change password with errors")
    axe.assert_clean()


def test_the_conflict_states_of_the_draft_page_are_accessible(context, page, axe, make_account, sign_in):
    educator = make_account(earned_foundations=True)
    sign_in(page, educator.email, educator.password)
    draft_url = start_district_plan(page)
    tab_b = context.new_page()
    tab_b.goto(draft_url)
    page.locator("#overview-text").fill("From tab A.")
    wait_until_saved(page)
    tab_b.locator("#overview-text").fill("From tab B.")
    expect(tab_b.get_by_role("alert")).to_contain_text("another tab")
    axe.check(tab_b, "draft page with the autosave conflict banner")
    tab_b.get_by_role("button", name="Save draft").click()
    if tab_b.locator("#conflict").count():
        axe.check(tab_b, "draft page with the server-rendered conflict and the saved copy")
    axe.assert_clean()


def test_staff_pages_are_accessible(page, axe, sign_in):
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff overview")
    axe.check(page, "staff overview")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.get_by_role("cell", name="staff@example.org")).to_be_visible()
    axe.check(page, "staff People page")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#error-summary")).to_be_visible()
    axe.check(page, "staff People page with errors")
    axe.assert_clean()


def test_the_draft_page_works_on_a_phone(phone_page, assert_accessible, make_account, sign_in):
    educator = make_account(earned_foundations=True)
    sign_in(phone_page, educator.email, educator.password)
    start_district_plan(phone_page)
    overflow = phone_page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth})"
    )
    assert overflow["scroll"] <= overflow["width"], f"the draft page scrolls sideways on a 375px phone: {overflow}"
    assert_accessible(phone_page, "draft page on a 375px phone")
