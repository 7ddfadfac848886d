"""The public catalog: the stack list, a stack's credentials in order, and a credential's requirements,
with the call to action each visitor gets (signed out, missing a prerequisite, ready to start)."""

import html
import re

import pytest
from sqlalchemy import func, select

from portal.catalog.models import Credential
from portal.extensions import db
from portal.submissions.models import State, Submission, Version
from tests.conftest import PASSWORD

STACK_URL = "/stacks/digital-equity"
PLAN_URL = "/stacks/digital-equity/district-plan"
START_URL = "/stacks/digital-equity/district-plan/start"
FOUNDATIONS_TITLE = "Foundations of Digital Equity: Understanding the Homework Gap"
TITLES = [
    FOUNDATIONS_TITLE,
    "Identifying Challenges in Ensuring Digital Equity",
    "Engaging Stakeholders to Address Gaps in Digital Equity",
    "Creating a District Plan for Digital Equity",
    "Implementing a District Plan for Digital Equity",
]
START_BUTTON = "Start this credential"
NOT_YET_ALLOWED = "You can read this credential, but you cannot submit it yet."


def text_of(response) -> str:
    """The page as a reader sees its text: entities such as &#39; decoded."""
    return html.unescape(response.get_data(as_text=True))


def part_sections(page: str) -> list[str]:
    return re.findall(r'<section class="part-spec".*?</section>', page, flags=re.S)


def prerequisite_notice(page: str) -> str | None:
    match = re.search(r'<p id="prerequisite-notice">(.*?)</p>', page, flags=re.S)
    return match.group(1) if match else None


def submissions_of(user) -> list[tuple[int, str, str]]:
    """(submission id, credential slug, current state) of every submission by user."""
    rows = db.session.execute(
        select(Submission.id, Submission.credential_id, Version.state)
        .join(Version)
        .where(Submission.educator_id == user.id)
        .order_by(Submission.id, Version.number)
    ).all()
    slugs = dict(db.session.execute(select(Credential.id, Credential.slug)).all())
    return [(sid, slugs[cid], state) for sid, cid, state in rows]


@pytest.fixture
def educator(make_user, login_as):
    user = make_user(name="Dana Whitfield")
    login_as(user)
    return user


# --- public pages ----------------------------------------------------------------


def test_index_signed_out_lists_the_stack_with_its_issuer(client, stack):
    response = client.get("/")

    page = text_of(response)
    assert response.status_code == 200
    assert f'<a href="{STACK_URL}">Digital Equity</a>' in page
    assert "Issued by Consortium for School Networking (CoSN) · 5 credentials" in page
    assert "Five micro-credentials that take a school district leader" in page


def test_index_without_stacks_says_nothing_is_published(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "No credentials have been published yet." in text_of(response)
    assert STACK_URL not in text_of(response)


def test_stack_page_signed_out_lists_the_five_credentials_in_order(client, stack):
    response = client.get(STACK_URL)

    page = text_of(response)
    links = re.findall(r'<h2><a href="/stacks/digital-equity/([a-z-]+)">([^<]+)</a></h2>', page)
    assert response.status_code == 200
    assert [title for _, title in links] == TITLES
    assert [slug for slug, _ in links] == [
        "foundations", "identifying-challenges", "engaging-stakeholders", "district-plan", "implementing-plan",
    ]
    assert "Issued by Consortium for School Networking (CoSN)" in page


def test_stack_page_tags_only_the_sample_credentials(client, stack):
    page = text_of(client.get(STACK_URL))

    cards = re.findall(r'<li class="card">.*?</li>\s*(?=<li class="card">|</ol>)', page, flags=re.S)
    tagged = ["Sample requirements" in card for card in cards]
    assert tagged == [True, True, True, False, True]


def test_credential_page_shows_the_district_plan_requirements(client, stack):
    response = client.get(PLAN_URL)

    page = text_of(response)
    assert response.status_code == 200
    assert "<h1>Creating a District Plan for Digital Equity</h1>" in page
    assert "Consortium for School Networking (CoSN) · Credential 4 of 5 in the Digital Equity stack" in page
    assert (
        "<h2>Key method</h2>\n  <p>The school district leader creates an actionable district plan to promote "
        "digital equity that consists of specific action steps, timelines, team members, and measurable outcomes.</p>"
    ) in page
    assert (
        "<p><strong>To earn the micro-credential, you must receive a “Yes” for Parts 1, 2, and 3.</strong></p>"
        in page
    )
    overview, plan, reflection = part_sections(page)

    assert "Part 1. Overview Questions</h3>" in overview
    assert (
        "<p>Describe two or more key elements of what a successful district-wide initiative looks like for your "
        "district. Why are these elements crucial to its success?</p>"
    ) in overview
    assert '<p class="rule">200-word limit.</p>' in overview
    assert (
        "Reviewers look for:</strong> Describes two or more key elements of a successful district-wide initiative "
        "for the district and explains why each is crucial to its success.</p>"
    ) in overview

    assert "Part 2. Evidence/Artifacts</h3>" in plan
    assert "<p>The plan should consist of three or more goals, with each goal containing the following:</p>" in plan
    assert "to begin the process of creating a plan to address digital equity in your district.</p>" in plan
    assert '<p class="rule">At least 3 goals, each with:</p>' in plan
    assert re.findall(r"<li>([^<]+)</li>", plan) == [
        "Action Steps", "Timelines", "Team Members", "Partners", "Measurable Outcomes",
    ]
    assert "word limit" not in plan
    assert (
        "Reviewers look for:</strong> Presents a plan of three or more goals that builds on the district's "
        "identified challenges and stakeholder engagement; every goal has specific action steps, timelines, team "
        "members, partners, and measurable outcomes that fit the local context.</p>"
    ) in plan

    assert "Part 3. Reflection</h3>" in reflection
    assert (
        "<p>How did the process of creating your plan in Part 2 impact your understanding of the nuts and bolts of "
        "trying to make digital equity a reality in your district?</p>"
    ) in reflection
    assert '<p class="rule">200-word limit.</p>' in reflection
    assert (
        "Reviewers look for:</strong> Explains how creating the plan in Part 2 changed or deepened the leader's "
        "understanding of the practical work of making digital equity a reality in the district.</p>"
    ) in reflection


def test_credential_page_links_the_prerequisite(client, stack):
    page = text_of(client.get(PLAN_URL))

    prerequisites = page.split("<h2>Prerequisites</h2>")[1].split("</ul>")[0]
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', prerequisites) == [
        ("/stacks/digital-equity/foundations", FOUNDATIONS_TITLE)
    ]


def test_credential_page_without_prerequisites_has_no_prerequisite_section(client, stack):
    page = text_of(client.get("/stacks/digital-equity/foundations"))

    assert "<h2>Prerequisites</h2>" not in page


def test_sample_credential_page_says_sample_requirements(client, stack):
    page = text_of(client.get("/stacks/digital-equity/foundations"))

    assert (
        '<p class="notice"><strong>Sample requirements.</strong> Sample requirements written for this portal. '
        "The issuer should replace them with the official requirements for this micro-credential.</p>"
    ) in page


def test_issuer_credential_page_has_no_sample_notice(client, stack):
    page = text_of(client.get(PLAN_URL))

    assert "Sample requirements" not in page


# --- the call to action ----------------------------------------------------------


def test_credential_page_signed_out_offers_sign_in_back_to_the_page(client, stack):
    page = text_of(client.get(PLAN_URL))

    assert f'<a href="/sign-in?next={PLAN_URL}">Sign in</a>' in page
    assert START_BUTTON not in page
    assert START_URL not in page
    assert prerequisite_notice(page) is None


def test_sign_in_link_from_credential_page_returns_to_it(client, stack, make_user):
    user = make_user()

    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "next": PLAN_URL})

    assert response.status_code == 302
    assert response.headers["Location"] == PLAN_URL


def test_credential_page_without_foundations_names_it_and_hides_start(client, stack, educator):
    page = text_of(client.get(PLAN_URL))

    notice = prerequisite_notice(page)
    assert notice is not None
    assert NOT_YET_ALLOWED in notice
    assert f'First earn <a href="/stacks/digital-equity/foundations">{FOUNDATIONS_TITLE}</a>.' in notice
    assert START_BUTTON not in page
    assert START_URL not in page


def test_start_without_foundations_creates_nothing_and_flashes_why(client, stack, educator):
    response = client.post(START_URL)

    assert response.status_code == 302
    assert response.headers["Location"] == PLAN_URL
    assert submissions_of(educator) == []
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    page = text_of(client.get(PLAN_URL))
    assert (
        '<p class="flash flash-error">Earn “Foundations of Digital Equity: Understanding the Homework Gap” '
        "before submitting this credential.</p>"
    ) in page


def test_credential_page_with_foundations_earned_offers_start(client, stack, educator, make_submission):
    make_submission(educator=educator, slug="foundations", state=State.EARNED)

    page = text_of(client.get(PLAN_URL))

    assert prerequisite_notice(page) is None
    assert NOT_YET_ALLOWED not in page
    assert f'<form method="post" action="{START_URL}" class="inline-form">' in page
    assert f'<button type="submit" class="button">{START_BUTTON}</button>' in page


def test_start_with_foundations_earned_creates_one_draft_and_opens_it(client, stack, educator, make_submission):
    foundations = make_submission(educator=educator, slug="foundations", state=State.EARNED)

    response = client.post(START_URL)

    (plan_row,) = [row for row in submissions_of(educator) if row[1] == "district-plan"]
    plan_id = plan_row[0]
    assert response.status_code == 302
    assert response.headers["Location"] == f"/submissions/{plan_id}"
    assert submissions_of(educator) == [(foundations.id, "foundations", "earned"), (plan_id, "district-plan", "draft")]


def test_start_twice_returns_the_same_submission(client, stack, educator, make_submission):
    make_submission(educator=educator, slug="foundations", state=State.EARNED)
    first = client.post(START_URL)

    second = client.post(START_URL)

    plan_rows = [row for row in submissions_of(educator) if row[1] == "district-plan"]
    assert len(plan_rows) == 1
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"] == f"/submissions/{plan_rows[0][0]}"


def test_credential_page_with_an_open_draft_offers_to_continue_it(client, stack, educator, make_submission):
    make_submission(educator=educator, slug="foundations", state=State.EARNED)
    draft = make_submission(educator=educator, slug="district-plan", state=State.DRAFT)

    page = text_of(client.get(PLAN_URL))

    assert "Your submission is <strong>Draft</strong>." in page
    assert f'<a class="button" href="/submissions/{draft.id}">Continue your draft</a>' in page
    assert START_BUTTON not in page


# --- not found -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/stacks/no-such-stack",
        "/stacks/digital-equity/no-such-credential",
        "/stacks/no-such-stack/district-plan",
    ],
)
def test_unknown_stack_or_credential_gives_the_friendly_404(client, stack, url):
    response = client.get(url)

    page = text_of(response)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert "The page may have moved, or you may not have access to it." in page
    assert '<a href="/">Go to the list of credentials</a>' in page
    assert "Traceback" not in page
