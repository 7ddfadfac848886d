"""End to end in Chromium: staff create a cohort with a milestone, import a roster through its preview, read
the dashboard and filter its matrix with the keyboard, open the breakdowns and a CSV export; an educator sees
the cohort; an invited person sets a password through the emailed link, which then works no more.
axe-core runs on every cohort page (desktop, and the dashboard at 375px)."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import OutboxMessage
from tests.browser.conftest import follow, press

STAFF_EMAIL, DEMO_PASSWORD = "staff@example.org", "demo-password"  # from portal.demo
EDUCATOR_EMAIL, EDUCATOR_NAME = "educator@example.org", "Dana Whitfield"  # demo educator: Foundations earned
RIVERSIDE, MESA = "Riverside Unified School District", "Mesa County Schools"  # demo organizations
DEMO_COHORT = "Data Equity Cohort (demo)"
FOUNDATIONS = "Foundations of Digital Equity: Understanding the Homework Gap"
STACK_TITLES = [  # the Digital Equity stack, in order
    FOUNDATIONS,
    "Identifying Challenges in Ensuring Digital Equity",
    "Engaging Stakeholders to Address Gaps in Digital Equity",
    "Creating a District Plan for Digital Equity",
    "Implementing a District Plan for Digital Equity",
]
NEW_PASSWORD = "a long invited passphrase"
RUN = uuid.uuid4().hex[:6]
DESKTOP = {"width": 1280, "height": 900}


# --- helpers -------------------------------------------------------------------------------------------------


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=DESKTOP, **options): a page in a fresh browser context (another person's browser),
    watched for uncaught script errors and CSP violations like the conftest's contexts."""
    opened = []

    def make(viewport=DESKTOP, **options):
        context = browser.new_context(base_url=live_server, viewport=viewport, **options)
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        problems: list[str] = []

        def watch(page):
            def on_console(msg) -> None:
                if msg.type == "error" and "Content Security Policy" in msg.text:
                    problems.append(f"CSP violation on {page.url}: {msg.text}")

            page.on("pageerror", lambda error: problems.append(f"uncaught error on {page.url}: {error}"))
            page.on("console", on_console)

        context.on("page", watch)
        opened.append((context, problems))
        return context.new_page()

    yield make
    found = []
    for context, problems in opened:
        context.close()
        found += problems
    assert not found, "Problems seen in the browser:\n" + "\n".join(found)


def subnav(page, label: str):
    return page.get_by_role("navigation", name="This cohort").get_by_role("link", name=label, exact=True)


def flash(page):
    return page.locator(".flashes")


def choose_option(page, select, label: str) -> None:
    """Pick an option of a (closed) select with the arrow keys, as a keyboard user does."""
    select.focus()
    labels = [text.strip() for text in select.locator("option").all_inner_texts()]
    assert label in labels, f"no option {label!r} in {labels}"
    current = select.evaluate("s => s.selectedIndex")
    target = labels.index(label)
    for _ in range(abs(target - current)):
        page.keyboard.press("ArrowDown" if target > current else "ArrowUp")
    assert select.evaluate("s => s.options[s.selectedIndex].text.trim()") == label


def tab_to(page, predicate_js: str, limit: int = 15) -> None:
    """Press Tab until the focused element satisfies predicate_js (a JS function of the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => !!({predicate_js})(document.activeElement))()"):
            return
    raise AssertionError(f"Tab never reached {predicate_js}")


def filter_matrix(page, **labels) -> None:
    """Set the matrix filter's selects (label text -> option label) with the keyboard, then Tab to Show, Enter."""
    form = page.get_by_role("search", name="Filter members")
    for field_label, option in labels.items():
        choose_option(page, form.get_by_label(field_label, exact=True), option)
    tab_to(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Show'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#matrix$"))
    expect(page.locator("#matrix")).to_be_focused()  # keyboard users continue at the results


def figures(page) -> list[tuple[str, str]]:
    """The headline figures (value, label) of ul.figures in main."""
    return [tuple(x) for x in page.locator("main ul.figures li").evaluate_all(
        "lis => lis.map(li => [li.querySelector('.figure-value').textContent.trim(),"
        " li.querySelector('.figure-label').textContent.trim()])"
    )]


def table_rows(table) -> list[list[str]]:
    """Each body row of a table as the whitespace-normalized texts of its cells (th and td)."""
    return table.evaluate(
        "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim()))"
    )


def matrix_names(page) -> list[str]:
    return [row[0] for row in table_rows(page.locator("table.matrix"))]


def no_horizontal_scroll(page) -> dict:
    return page.evaluate("() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth})")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def outbox(live_app, addresses) -> list[tuple[str, str, str, str]]:
    """(to, kind, subject, body) of every cohort email queued to these addresses, oldest first."""
    with live_app.app_context():
        messages = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address.in_(list(addresses)),
                                        OutboxMessage.kind.startswith("cohort.")).order_by(OutboxMessage.id)
        ).all()
        found = [(m.to_address, m.kind, m.subject, m.body) for m in messages]
        db.session.remove()
    return found


def invitation_link(body: str) -> str:
    links = re.findall(r"https?://\S+/invitations/[A-Za-z0-9_-]+", body)
    assert len(links) == 1, f"expected one invitation link in the email:\n{body}"
    return links[0]


# --- the whole cohort journey -----------------------------------------------------------------------------------


def test_staff_build_a_cohort_and_an_invited_member_joins(
    page, phone_page, new_page, live_app, sign_in, axe, tmp_path
):

    today = datetime.now(UTC).date()  # the portal counts days in UTC
    cohort_name = f"Broadband Leaders {RUN}"
    starts, ends, due = today - timedelta(days=7), today + timedelta(days=300), today + timedelta(days=90)
    people = {  # the roster's new people: name -> (email, organization, role)
        "Avery Quinlan": (f"avery.{RUN}@example.org", RIVERSIDE, "Chief Technology Officer"),
        "Blake Moreno": (f"blake.{RUN}@example.org", RIVERSIDE, "Principal"),
        "Casey Lindqvist": (f"casey.{RUN}@example.org", MESA, "Curriculum Director"),
    }
    avery_email = people["Avery Quinlan"][0]

    # 1. Staff → Cohorts → New cohort.
    sign_in(page, STAFF_EMAIL, DEMO_PASSWORD)
    page.goto("/")
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff", exact=True))
    follow(page, page.get_by_role("navigation", name="Staff").get_by_role("link", name="Cohorts", exact=True))
    expect(page).to_have_url(re.compile(r"/staff/cohorts$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohorts")
    expect(page.get_by_role("navigation", name="Staff").get_by_role("link", name="Cohorts")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("row").filter(has=page.get_by_role("link", name=DEMO_COHORT))).to_have_count(1)
    axe.check(page, "cohorts overview")

    follow(page, page.get_by_role("link", name="New cohort"))
    expect(page).to_have_url(re.compile(r"/staff/cohorts/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New cohort")
    expect(page.get_by_label("Stack")).to_have_value(re.compile(r"^\d+$"))
    credential_boxes = page.get_by_role("group", name="Credentials").get_by_role("checkbox")
    expect(credential_boxes).to_have_count(len(STACK_TITLES))
    axe.check(page, "new-cohort form, fresh")

    # No name: the form comes back with the problem, focused, linked to the field.
    press(page, "Create the cohort")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Enter the cohort's name."])
    expect(summary.get_by_role("link")).to_have_attribute("href", "#name")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    axe.check(page, "new-cohort form with a validation error")

    # An end date before the start date is refused by the service, next to the end date.
    page.get_by_label("Name", exact=True).fill(cohort_name)
    page.get_by_label("Program").fill("Rural Broadband")
    page.get_by_label("Description").fill("District teams close the homework gap together.")
    page.get_by_label("Start date").fill(starts.isoformat())
    page.get_by_label("End date").fill((starts - timedelta(days=1)).isoformat())
    press(page, "Create the cohort")
    expect(page.locator("#error-summary").get_by_role("link")).to_have_text(
        ["The end date must be on or after the start date."]
    )
    expect(page.get_by_label("End date")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name", exact=True)).to_have_value(cohort_name)  # nothing typed was lost

    page.get_by_label("End date").fill(ends.isoformat())
    press(page, "Create the cohort")  # no credential ticked: the whole stack
    expect(page).to_have_url(re.compile(r"/staff/cohorts/\d+$"))
    cohort_id = int(re.search(r"/staff/cohorts/(\d+)$", page.url).group(1))
    expect(flash(page)).to_have_text(f"Cohort “{cohort_name}” created. Add its milestones and members next.")
    expect(page.get_by_role("heading", level=1)).to_have_text(cohort_name)
    expect(page.locator("main p.meta").first).to_have_text(
        f"Rural Broadband · Digital Equity: 5 credentials · {starts:%d %b %Y} to {ends:%d %b %Y}"
    )
    expect(page.locator("table.matrix")).to_have_count(0)  # no members yet

    # A milestone, from the dashboard's "Add a milestone".
    follow(page, page.locator("#milestones-heading + p").get_by_role("link", name="Add a milestone"))
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/milestones/new$"))
    page.get_by_label("Milestone").fill("Foundations earned")
    page.get_by_label("Target date").fill(due.isoformat())
    foundations_box = page.get_by_role("checkbox", name=f"1. {FOUNDATIONS}")
    foundations_box.press("Space")
    expect(foundations_box).to_be_checked()
    press(page, "Save the milestone")
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/edit#milestones$"))
    expect(flash(page)).to_have_text("Milestone saved.")
    expect(subnav(page, "Settings and milestones")).to_have_attribute("aria-current", "page")
    assert table_rows(page.locator("#milestones ~ .table-scroll table")) == [
        ["Foundations earned", f"{due:%d %b %Y}", f"1. {FOUNDATIONS}", "Delete"]
    ]

    # 2. Import a roster: four good rows, a bad email, a repeated email.
    roster = tmp_path / "roster.csv"
    avery, blake, casey = (people[n] for n in ("Avery Quinlan", "Blake Moreno", "Casey Lindqvist"))
    roster.write_text(
        "email,name,organization,role\n"
        f"{avery[0]},Avery Quinlan,{avery[1]},{avery[2]}\n"                      # line 2
        f"{blake[0]},Blake Moreno,{blake[1]},{blake[2]}\n"                       # line 3
        f"{EDUCATOR_EMAIL},{EDUCATOR_NAME},{RIVERSIDE},Assistant Superintendent\n"  # line 4: existing account
        f"{casey[0]},Casey Lindqvist,{casey[1]},{casey[2]}\n"                    # line 5
        f"not-an-email,Pat Nobody,{RIVERSIDE},Teacher\n"                          # line 6: bad email
        f" {avery[0].upper()} ,Avery Again,{RIVERSIDE},Teacher\n",               # line 7: same email as line 2
        encoding="utf-8",
    )
    follow(page, subnav(page, "Import roster"))
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/import$"))
    expect(page.get_by_role("heading", level=2, name="Import a roster")).to_be_visible()
    axe.check(page, "import page")

    page.get_by_label("Roster file (CSV)").set_input_files(roster)
    press(page, "Preview the import")
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/import/[\w-]+$"))
    preview_url = page.url
    expect(page.get_by_role("heading", level=2, name="Preview: roster.csv")).to_be_visible()
    expect(page.get_by_text("Nothing has been saved yet.")).to_be_visible()
    assert figures(page) == [
        ("3", "new accounts (each gets an invitation email)"),
        ("1", "existing account joining the cohort"),
        ("0", "members changed"),
        ("0", "unchanged"),
        ("2", "rows that cannot be imported"),
    ]
    assert table_rows(page.locator("table.problems")) == [
        ["6", "not-an-email", "“not-an-email” is not a valid email address."],
        ["7", avery[0].upper(), "Same email address as line 2."],
    ]
    assert table_rows(page.locator("table.plan")) == [
        ["2", avery[0], "Avery Quinlan", RIVERSIDE, avery[2], "New account"],
        ["3", blake[0], "Blake Moreno", RIVERSIDE, blake[2], "New account"],
        ["4", EDUCATOR_EMAIL, EDUCATOR_NAME, RIVERSIDE, "Assistant Superintendent", "New member (existing account)"],
        ["5", casey[0], "Casey Lindqvist", MESA, casey[2], "New account"],
    ]
    expect(page.get_by_text("New organizations to create")).to_have_count(0)
    expect(subnav(page, "Import roster")).to_have_attribute("aria-current", "page")
    axe.check(page, "import preview page")

    press(page, "Import 4 rows")
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/members$"))
    expect(flash(page)).to_have_text(
        "Roster imported: 3 new accounts (invited by email), 1 existing account added, 0 changed, 0 unchanged, "
        "2 rows skipped."
    )
    expect(page.get_by_role("heading", level=2, name="Members (4)")).to_be_visible()
    members_table = page.locator("section[aria-labelledby=list-heading] table")
    assert [row[:5] for row in table_rows(members_table)] == [
        ["Avery Quinlan", avery[0], RIVERSIDE, avery[2], "Invited: no password yet"],
        ["Blake Moreno", blake[0], RIVERSIDE, blake[2], "Invited: no password yet"],
        ["Casey Lindqvist", casey[0], MESA, casey[2], "Invited: no password yet"],
        [EDUCATOR_NAME, EDUCATOR_EMAIL, RIVERSIDE, "Assistant Superintendent", "Active"],
    ]
    expect(page.get_by_role("button", name="Send Avery Quinlan a new invitation")).to_be_visible()
    expect(page.get_by_role("button", name=f"Send {EDUCATOR_NAME} a new invitation")).to_have_count(0)
    axe.check(page, "members page")

    # The preview cannot be confirmed twice.
    page.goto(preview_url)
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/import$"))
    expect(flash(page)).to_have_text("That preview has expired or was already imported. Upload the file again.")

    # 3. The dashboard: headline figures, per-credential table, the milestone, the matrix.
    follow(page, subnav(page, "Dashboard"))
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}$"))
    dashboard_url = page.url
    headline = figures(page)
    assert [label for _, label in headline] == [
        "members", "median days from submission to decision (1 decision)",
        "earned on the first attempt (1 of 1 first versions decided)", "credentials issued to members",
    ]
    assert headline[0][0] == "4"
    assert headline[1][0] == "too few to tell", headline  # only Dana's Foundations was decided
    assert headline[2][0] == "too few to tell"  # 1 decision is under STATS_MIN_DECISIONS
    standing = table_rows(page.locator("section[aria-labelledby=standing] table"))
    assert [row[0] for row in standing] == [f"{n}. {t}" for n, t in enumerate(STACK_TITLES, start=1)]
    assert standing[0][1:6] == ["1", "0", "0", "0", "3"]  # Earned, In review, Not yet, Draft, Not started
    assert all(row[1:6] == ["0", "0", "0", "0", "4"] for row in standing[1:]), standing
    milestone = page.locator("section[aria-labelledby=milestones-heading]")
    expect(milestone.get_by_role("heading", level=3)).to_have_text(f"Foundations earned, due {due:%d %b %Y}")
    expect(milestone.get_by_text("1 met, 0 on track, 3 behind.")).to_be_visible()
    milestone.locator("summary", has_text="Who is behind").press("Enter")
    expect(milestone.locator("details li")).to_have_text(["Avery Quinlan", "Blake Moreno", "Casey Lindqvist"])

    status = page.get_by_role("search", name="Filter members").locator("xpath=following-sibling::p[@role='status']")
    expect(status).to_have_text("4 members")
    matrix = table_rows(page.locator("table.matrix"))
    assert [row[:4] for row in matrix] == [
        ["Avery Quinlan", RIVERSIDE, avery[2], "0"],
        ["Blake Moreno", RIVERSIDE, blake[2], "0"],
        ["Casey Lindqvist", MESA, casey[2], "0"],
        [EDUCATOR_NAME, RIVERSIDE, "Assistant Superintendent", "1"],
    ]
    for row in matrix[:3]:
        assert row[4:] == ["Not started"] * 5, row  # states as text, one per credential
    assert matrix[3][4] == "Earned", matrix[3]
    expect(page.locator("table.matrix thead th")).to_have_text(
        ["Member ▲, sort descending", "Organization, sort ascending", "Role, sort ascending", "Earned, sort ascending",
         *[f"{n}. {t}" for n, t in enumerate(STACK_TITLES, start=1)]],
    )
    axe.check(page, "dashboard, unfiltered")

    # Filter by organization with the keyboard: only the Riverside members.
    filter_matrix(page, Organization=RIVERSIDE)
    expect(page).to_have_url(re.compile(r"[?&]organization=\d+"))
    expect(status).to_have_text("3 members match the filter · Show everyone")
    assert matrix_names(page) == ["Avery Quinlan", "Blake Moreno", EDUCATOR_NAME]
    form = page.get_by_role("search", name="Filter members")
    assert form.get_by_label("Organization").evaluate("s => s.options[s.selectedIndex].text") == RIVERSIDE
    expect(page.get_by_role("link", name="Download the matrix (filtered) (CSV)")).to_be_visible()
    axe.check(page, "dashboard, filtered by organization")

    # The filtered matrix export holds the same rows.
    filtered = page.request.get(page.get_by_role("link", name="Download the matrix (filtered) (CSV)")
                                .get_attribute("href"))
    assert filtered.ok and filtered.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(filtered.text().lstrip("\ufeff"))))
    assert lines[0] == ["Name", "Email", "Organization", "Role", "Earned", *STACK_TITLES]
    assert [line[0] for line in lines[1:]] == ["Avery Quinlan", "Blake Moreno", EDUCATOR_NAME]

    # Every organization, state "Earned" on any credential: only Dana.
    filter_matrix(page, Organization="All organizations", State="Earned")
    expect(page).to_have_url(re.compile(r"[?&]state=earned"))
    expect(status).to_have_text("1 member matches the filter · Show everyone")
    assert matrix_names(page) == [EDUCATOR_NAME]
    axe.check(page, "dashboard, filtered by state")

    # "Not started" of Foundations: everyone but Dana.
    filter_matrix(page, State="Not started", **{"Of credential": FOUNDATIONS})
    expect(status).to_have_text("3 members match the filter · Show everyone")
    assert matrix_names(page) == ["Avery Quinlan", "Blake Moreno", "Casey Lindqvist"]
    follow(page, status.get_by_role("link", name="Show everyone"))
    expect(status).to_have_text("4 members")

    # 4. The breakdowns and one CSV export.
    follow(page, subnav(page, "By group"))
    expect(page).to_have_url(re.compile(rf"/staff/cohorts/{cohort_id}/groups$"))
    by_org = page.locator("section[aria-labelledby=organization]")
    expect(by_org.get_by_role("heading", level=2)).to_have_text("By organization")
    org_rows = table_rows(by_org.locator("table"))
    assert [row[:3] for row in org_rows] == [[MESA, "1", "0"], [RIVERSIDE, "3", "1"], ["All members", "4", "1"]]
    axe.check(page, "groups page")

    export_link = by_org.get_by_role("link", name="Download this table (CSV)")
    with page.expect_download() as info:
        export_link.press("Enter")
    download = info.value
    assert download.suggested_filename == f"{slug(cohort_name)}-by-organization.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff"), "the export should start with a byte-order mark"
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == ["Group", "Members", *[f"Earned: {t}" for t in STACK_TITLES], "First-attempt earn rate (%)",
                      "Median days to decision"]
    response = page.request.get(export_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{slug(cohort_name)}-by-organization.csv"'
    )

    # 5. The dashboard at 375px: no sideways page scroll; the matrix scrolls in its own region.
    sign_in(phone_page, STAFF_EMAIL, DEMO_PASSWORD)
    phone_page.goto(dashboard_url)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text(cohort_name)
    overflow = no_horizontal_scroll(phone_page)
    assert overflow["scroll"] <= overflow["width"], f"the dashboard scrolls sideways at 375px: {overflow}"
    region = phone_page.get_by_role("region", name=re.compile(r"^Members and the state of each credential"))
    assert region.evaluate("el => el.scrollWidth > el.clientWidth && getComputedStyle(el).overflowX === 'auto'")
    axe.check(phone_page, "dashboard at 375px")

    # The demo educator (an existing account the roster added) sees both cohorts and the profile page.
    dana = new_page()
    sign_in(dana, EDUCATOR_EMAIL, DEMO_PASSWORD)
    dana.goto("/my/cohorts")
    expect(dana.get_by_role("heading", level=1)).to_have_text("My cohorts")
    assert sorted(dana.get_by_role("heading", level=2).all_inner_texts()) == sorted([DEMO_COHORT, cohort_name])
    mine = dana.locator("section.panel").filter(has=dana.get_by_role("heading", level=2, name=cohort_name))
    expect(mine.locator("p.meta")).to_have_text(
        f"Rural Broadband · {starts:%d %b %Y} to {ends:%d %b %Y} · Your role: Assistant Superintendent"
    )
    expect(mine.locator("li")).to_have_text([f"Foundations earned, by {due:%d %b %Y}: Met"])
    assert [row[:2] for row in table_rows(mine.locator("table"))][0] == [f"1. {FOUNDATIONS}", "Earned"]
    axe.check(dana, "educator's /my/cohorts")
    follow(dana, dana.get_by_role("link", name="About you: optional questions for program reporting"))
    expect(dana).to_have_url(re.compile(r"/my/profile$"))
    expect(dana.get_by_role("heading", level=1)).to_have_text("About you")
    axe.check(dana, "educator's /my/profile")

    # 6. The invitation: from the outbox, opened in a fresh browser, a password set, signed in.
    # The import queued one invitation per new account, and a notice (not an invitation) for Dana.
    mail = outbox(live_app, [email for email, _, _ in people.values()] + [EDUCATOR_EMAIL])
    assert sorted((to, kind, subject) for to, kind, subject, _ in mail) == sorted(
        [(email, "cohort.invitation", f"You are invited to {cohort_name}") for email, _, _ in people.values()]
        + [(EDUCATOR_EMAIL, "cohort.member_added", f"You have been added to {cohort_name}")]
    ), mail
    link = invitation_link(next(body for to, kind, _, body in mail if to == avery_email))
    invitee = new_page()
    response = invitee.goto(link)
    assert response.status == 200
    assert response.headers.get("cache-control") == "no-store"
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(invitee.get_by_text(f"Welcome, Avery Quinlan. Choose a password for {avery_email}")).to_be_visible()
    axe.check(invitee, "invitation page")
    username = invitee.locator("input[name=username]")  # for password managers only: marked hidden
    axe.note(not username.is_visible(), (
        f"invitation page ({invitee.url}): the password-manager field input[name=username][hidden] is visible "
        f"and unlabeled: portal.css `input[type=\"text\"] {{display: block}}` overrides the hidden attribute"
    ))
    invitee.get_by_label("Choose a password").fill(NEW_PASSWORD)
    with invitee.expect_navigation():
        invitee.get_by_label("Choose a password").press("Enter")
    expect(invitee).to_have_url(re.compile(r"/my/cohorts$"))
    expect(flash(invitee)).to_have_text("Welcome, Avery Quinlan. Your password is set and you are signed in.")
    expect(invitee.get_by_role("button", name="Sign out")).to_be_visible()
    expect(invitee.get_by_role("heading", level=2)).to_have_text([cohort_name])
    axe.check(invitee, "invited member's /my/cohorts")

    response = invitee.goto(link)
    assert response.status == 410
    expect(invitee.get_by_role("heading", level=1)).to_have_text("This link has already been used")
    axe.check(invitee, "invitation page, link already used")

    # Staff now see Avery's account as active.
    page.goto(f"/staff/cohorts/{cohort_id}/members")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Avery Quinlan"))
    expect(row.get_by_role("cell").nth(3)).to_have_text("Active")
    expect(page.get_by_role("button", name="Send Avery Quinlan a new invitation")).to_have_count(0)

    axe.assert_clean()
