"""Layout on every page each role reaches, at 1280 px and at 375 px: nothing scrolls sideways except inside a
table region that is labelled, focusable and says it scrolls; the staff sub-navigation lines up with the
content; a submission and a review print without the navigation."""

import re

import pytest

from tests.browser.conftest import DEMO_PASSWORD, STAFF_EMAIL

PHONE_WIDTH = 375

# Elements that reach past the viewport's edge, except inside a labelled, focusable scroll region.
OVERFLOW_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || (box.right <= width + 1 && box.left >= -1)) continue;
    if (el.closest('.visually-hidden, .skip-link')) continue;
    const region = el.closest('[role=region][tabindex="0"]');
    if (region && (region.getAttribute('aria-label') || region.getAttribute('aria-labelledby'))) continue;
    const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).join('.') : '';
    outside.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (classes ? '.' + classes : ''));
  }
  return {page: document.scrollingElement.scrollWidth - window.innerWidth, outside: outside.slice(0, 8)};
}"""

HINTS_SCRIPT = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(region => region.scrollWidth > region.clientWidth + 1)
  .map(region => {
    const hint = region.previousElementSibling;
    return {label: region.getAttribute('aria-label') || region.getAttribute('aria-labelledby'),
            hinted: !!hint && hint.classList.contains('scroll-hint') && hint.offsetParent !== null,
            focusable: region.tabIndex === 0, role: region.getAttribute('role')};
  })"""


def links(page, path: str, pattern: str, limit: int = 2) -> list[str]:
    """The first few distinct links on a page whose path matches pattern."""
    page.goto(path)
    found = []
    for href in page.locator("main a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        href = href.split("#")[0]
        if re.fullmatch(pattern, href) and href not in found:
            found.append(href)
    return found[:limit]


def educator_pages(page) -> list[str]:
    credential = links(page, "/stacks/digital-equity", r"/stacks/digital-equity/[\w-]+", 1)
    mine = links(page, "/my", r"/submissions/\d+(/versions/\d+)?", 3)
    return ["/", "/stacks/digital-equity", *credential, "/my", *mine, "/my/cohorts", "/notices", "/account/password"]


def reviewer_pages(page) -> list[str]:
    return ["/review", *links(page, "/review", r"/review/assignments/\d+", 2), "/notices"]


def staff_pages(page) -> list[str]:
    submission = links(page, "/staff/submissions", r"/staff/submissions/\d+", 1)
    cohort = links(page, "/staff/cohorts", r"/staff/cohorts/\d+", 1)
    cohort_pages = links(page, cohort[0], r"/staff/cohorts/\d+/[\w/-]+", 6) if cohort else []
    educator = links(page, cohort[0], r"/staff/cohorts/\d+/educators/\d+|/staff/educators/\d+", 1) if cohort else []
    return [
        "/staff/submissions", "/staff/submissions?q=a", *submission, "/staff/reviewers", "/staff/people",
        "/staff/cohorts", "/staff/cohorts/new", *cohort, *cohort_pages, *educator,
    ]


ROLES = {
    "educator": ("educator@example.org", educator_pages),
    "reviewer": ("reviewer@example.org", reviewer_pages),
    "staff": (STAFF_EMAIL, staff_pages),
}


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_outside_a_labelled_table_region(role, page, phone_page, sign_in, axe):
    email, pages_of = ROLES[role]
    sign_in(page, email, DEMO_PASSWORD)
    sign_in(phone_page, email, DEMO_PASSWORD)
    paths = pages_of(page)
    assert len(paths) >= 3, paths

    for path in paths:
        for viewer, size in ((page, "1280 px"), (phone_page, f"{PHONE_WIDTH} px")):
            response = viewer.goto(path)
            axe.note(response.status == 200, f"{role} {path} at {size}: HTTP {response.status}")
            found = viewer.evaluate(OVERFLOW_SCRIPT)
            axe.note(found["page"] <= 0 and not found["outside"],
                     f"{role} {path} at {size}: {found['page']}px too wide; outside the screen: {found['outside']}")
            for region in viewer.evaluate(HINTS_SCRIPT):
                axe.note(region["hinted"] and region["focusable"] and region["role"] == "region" and region["label"],
                         f"{role} {path} at {size}: a table scrolls without a labelled, hinted region: {region}")
            axe.check(viewer, f"{role} {path} at {size}")
    axe.assert_clean()


def test_staff_submissions_list_shows_every_column_at_1280(page, sign_in):
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD, next_path="/staff/submissions")

    region = page.locator(".table-scroll").first
    assert region.evaluate("r => r.scrollWidth <= r.clientWidth"), "the list scrolls sideways at 1280 px"
    assert not page.locator(".scroll-hint").first.is_visible()


def test_a_phone_sees_the_scroll_hint_and_can_scroll_the_table_by_keyboard(phone_page, sign_in):
    sign_in(phone_page, STAFF_EMAIL, DEMO_PASSWORD, next_path="/staff/submissions")

    region = phone_page.locator(".table-scroll").first
    hint = phone_page.locator(".scroll-hint").first
    assert hint.is_visible() and "scroll sideways" in hint.inner_text().lower()
    region.focus()
    phone_page.keyboard.press("ArrowRight")
    phone_page.keyboard.press("ArrowRight")
    assert region.evaluate("r => r.scrollLeft") > 0


def test_header_and_staff_navigation_line_up_with_the_content(page, sign_in):
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD, next_path="/staff/reviewers")

    def left(selector: str) -> float:
        return page.locator(selector).first.evaluate("el => el.getBoundingClientRect().left")

    content = left("main h1")
    assert abs(left(".brand") - content) <= 1
    assert abs(left("nav[aria-label=Staff] a") + 12 - content) <= 1  # links are padded by .75rem


PRINT_HIDDEN = """() => [...document.querySelectorAll('.site-header, nav, .site-footer, .skip-link, form button')]
  .filter(el => getComputedStyle(el).display !== 'none').map(el => el.outerHTML.slice(0, 80))"""


def test_a_submission_and_a_review_print_without_navigation(page, phone_page, sign_in):
    sign_in(page, "reviewer@example.org", DEMO_PASSWORD)
    sign_in(phone_page, STAFF_EMAIL, DEMO_PASSWORD)
    review = links(page, "/review", r"/review/assignments/\d+", 1)[0]
    submission = links(phone_page, "/staff/submissions", r"/staff/submissions/\d+", 1)[0]
    version = links(phone_page, submission, r"/submissions/\d+/versions/\d+", 1)[0]

    for viewer, path in ((page, review), (phone_page, version)):
        viewer.emulate_media(media="print")
        viewer.goto(path)
        assert viewer.evaluate(PRINT_HIDDEN) == [], f"{path}: navigation or buttons would print"
        assert viewer.locator("main h1").is_visible()


@pytest.mark.parametrize("role", ROLES)
def test_nothing_scrolls_sideways_at_320_px(role, browser, live_server, sign_in):
    from tests.browser.conftest import _new_context

    email, pages_of = ROLES[role]
    context, watch = _new_context(browser, live_server, viewport={"width": 320, "height": 640}, is_mobile=True)
    try:
        narrow = context.new_page()
        sign_in(narrow, email, DEMO_PASSWORD)
        problems = []
        for path in pages_of(narrow):
            narrow.goto(path)
            found = narrow.evaluate(OVERFLOW_SCRIPT)
            if found["page"] > 0 or found["outside"]:
                problems.append(f"{path}: {found['page']}px too wide; outside the screen: {found['outside']}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
    watch.check()
