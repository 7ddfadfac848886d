"""Staff pages that the flows elsewhere do not open: the submissions list (filtered by keyboard), one
submission, the reviewer pool, people and notices; each checked with axe-core on a desktop and a phone."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, STAFF_EMAIL


def staff_pages(page) -> list[tuple[str, str]]:
    """(label, path) of every page the sweep opens, the submission's path read off the list."""
    page.goto("/staff/submissions")
    first = page.locator("tbody tr").first.get_by_role("link").first.get_attribute("href")
    return [
        ("all submissions", "/staff/submissions"),
        ("one submission", first),
        ("reviewer pool", "/staff/reviewers"),
        ("people", "/staff/people"),
        ("notices", "/notices"),
        ("change password", "/account/password"),
    ]


def test_staff_filter_the_submissions_list_by_keyboard(page, sign_in, assert_accessible):
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD, next_path="/staff/submissions")

    page.get_by_label("State").focus()
    page.keyboard.press("End")  # the last state in the list: Withdrawn
    page.get_by_role("button", name="Show submissions").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "state=withdrawn" in page.url
    states = page.locator("tbody tr td:nth-child(6)").all_inner_texts()
    assert states and set(states) == {"Withdrawn"}
    expect(page.get_by_role("link", name="Clear the filters")).to_be_visible()
    assert_accessible(page, "submissions filtered by state")


def test_every_staff_page_passes_axe_on_desktop_and_phone(page, phone_page, sign_in, assert_accessible):
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD)
    sign_in(phone_page, STAFF_EMAIL, DEMO_PASSWORD)

    pages = staff_pages(page)
    assert re.fullmatch(r"/staff/submissions/\d+", pages[1][1])
    for label, path in pages:
        for viewer, size in ((page, "desktop"), (phone_page, "phone")):
            response = viewer.goto(path)
            assert response.status == 200, f"{label}: HTTP {response.status}"
            assert_accessible(viewer, f"{label}, {size}")
        # Nothing on a phone may need sideways scrolling except inside a table's own scroll region.
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{label}: the phone page is {overflow}px wider than the screen"
