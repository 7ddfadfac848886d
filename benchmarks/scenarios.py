"""The scenarios: which pages are measured, by whom, against which target, and who signs in to drive them,
chosen from the generated data."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from benchmarks.clients import csrf_session, sign_in


@dataclass
class Scenario:
    name: str
    title: str
    method: str
    role: str  # who drives it: staff, reviewer, plan_reviewer, savers, confirmers, anonymous (no cookie)
    path: str = ""
    expect: int = 200
    target_ms: float | None = None
    pg_target_ms: float | None = None  # on PostgreSQL, when it differs from target_ms
    location: str = ""  # a redirect's expected Location: a path, or "self" for the request's own path
    pool: bool = False  # every request uses another (cookie, path, body): confirming cannot be repeated
    bare_params: dict = field(default_factory=dict)  # what the bare app's one query needs

    def target(self, database: str) -> float | None:
        return self.pg_target_ms if database == "postgresql" and self.pg_target_ms is not None else self.target_ms


CATALOG_STACK, CATALOG_CREDENTIAL = "digital-equity", "district-plan"  # the anonymous catalog page


def open_assignments(app, exclude_versions=()) -> list:
    """Open assignments of versions waiting for review, oldest first, with their reviewer and requirements."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.catalog.models import Credential
    from portal.extensions import db
    from portal.reviews.models import Assignment, ReviewerProfile
    from portal.submissions.models import Submission, Version

    with app.app_context():
        rows = db.session.execute(
            select(Assignment.id, Assignment.version_id, Assignment.reviewer_id, User.email, Credential.slug,
                   Version.requirements_id, Version.number)
            .join(User, User.id == Assignment.reviewer_id)
            .join(ReviewerProfile, ReviewerProfile.user_id == User.id)
            .join(Version, Version.id == Assignment.version_id)
            .join(Submission, Submission.id == Version.submission_id)
            .join(Credential, Credential.id == Submission.credential_id)
            .where(Assignment.state == "open", Version.state.in_(("submitted", "in_review")), User.is_reviewer)
            .order_by(Assignment.id)
        ).all()
        db.session.remove()
    return [row for row in rows if row.version_id not in set(exclude_versions)]


def pick_targets(app) -> dict:
    """Who signs in and which pages they open, chosen from the generated data."""
    from sqlalchemy import func, select

    from benchmarks.generate import EMAIL_DOMAIN
    from portal.accounts.models import User
    from portal.catalog.models import Requirements
    from portal.cohorts.models import Cohort, Membership
    from portal.extensions import db

    with app.app_context():
        staff = db.session.scalar(select(User.email).where(User.email == f"staff1@{EMAIL_DOMAIN}"))
        cohort = db.session.execute(
            select(Cohort.id, Cohort.name).where(Cohort.name.like("%(benchmark)%")).order_by(Cohort.id)
        ).first()
        members = db.session.scalar(select(func.count()).where(Membership.cohort_id == cohort.id))
        parts = {r.id: [p["key"] for p in r.parts_data] for r in db.session.scalars(select(Requirements))}
        db.session.remove()
    rows = open_assignments(app)
    plan_slugs = {"district-plan"}
    # First versions at every size: a revision's page also shows the earlier round (another, larger page), and
    # the sizes are compared page for page.
    essays = next(r for r in rows if r.slug not in plan_slugs and r.slug != "implementing-plan" and r.number == 1)
    plan = next(r for r in rows if r.slug in plan_slugs and r.number == 1)
    used = {essays.id, plan.id}
    savers, seen = [], set()
    for row in rows:  # two other reviewers, one open assignment each, for the two POSTing connections
        if row.id not in used and row.email not in seen:
            savers.append(row)
            seen.add(row.email)
        if len(savers) == 2:
            break
    used |= {row.id for row in savers}
    # For the in-process confirm measurement: one that warms the code up (the first signing of a credential,
    # the mail templates), then three counted, and one more under cProfile.
    left = [row for row in rows if row.id not in used]
    confirms, profiled = left[-4:], left[-5:-4]
    used |= {row.id for row in confirms + profiled}
    return {
        "staff": staff, "cohort_id": cohort.id, "cohort_members": members,
        "essays": essays, "plan": plan, "savers": savers, "parts": parts, "confirms": confirms,
        "profiled_confirm": profiled,
        # The versions the other scenarios show or write: the confirm scenario leaves them alone.
        "reserved_versions": {row.version_id for row in rows if row.id in used},
    }


def scenarios(targets: dict) -> list[Scenario]:
    """The measured requests, in the order they run: confirming last, since it decides versions and routes
    waiting work to the reviewers (which changes their queues)."""
    return [
        Scenario("staff-submissions", "Staff: all submissions (50 rows)", "GET", "staff", "/staff/submissions",
                 target_ms=25),
        Scenario("review-open", "Reviewer: open a submission to score (essays)", "GET", "reviewer",
                 f"/review/assignments/{targets['essays'].id}", target_ms=5,
                 bare_params={"assignment_id": targets["essays"].id}),
        Scenario("review-open-plan", "Reviewer: open a submission to score (district plan)", "GET",
                 "plan_reviewer", f"/review/assignments/{targets['plan'].id}", target_ms=5,
                 bare_params={"assignment_id": targets["plan"].id}),
        Scenario("review-save", "Reviewer: post a scored rubric (save, CSRF, 302)", "POST", "savers",
                 expect=302, target_ms=5, pg_target_ms=8, location="self"),
        Scenario("cohort-dashboard", f"Staff: cohort dashboard ({targets['cohort_members']} members)", "GET",
                 "staff", f"/staff/cohorts/{targets['cohort_id']}", target_ms=100,
                 bare_params={"cohort_id": targets["cohort_id"]}),
        Scenario("review-queue", "Reviewer: review queue (no target)", "GET", "reviewer", "/review",
                 bare_params={"reviewer_id": targets["essays"].reviewer_id}),
        Scenario("catalog-credential", "Anyone: a credential's catalog page (no sign-in)", "GET", "anonymous",
                 f"/stacks/{CATALOG_STACK}/{CATALOG_CREDENTIAL}", target_ms=2,
                 bare_params={"stack_slug": CATALOG_STACK, "credential_slug": CATALOG_CREDENTIAL}),
        Scenario("review-confirm", "Reviewer: confirm a review (each request another assignment)", "POST",
                 "confirmers", expect=302, location="/review", pool=True),
    ]


def bare_path(scenario: Scenario, path: str) -> str:
    """Where the bare app answers a request of the scenario: /<name>, and for a POST the assignment id too."""
    return f"/{scenario.name}/{path.rsplit('/', 1)[1]}" if scenario.method == "POST" else f"/{scenario.name}"


NOTE = "NOTEXX"  # replaced in each request's body, so that every save changes the stored feedback


def save_body(token: str, parts: list[str]) -> str:
    """A complete rubric: every part Yes with feedback, action=save (the assignment stays open)."""
    fields = [("csrf_token", token), ("action", "save")]
    for key in parts:
        fields += [(f"{key}-result", "yes"), (f"{key}-feedback", f"Clear and specific, note {NOTE}.")]
    return urllib.parse.urlencode(fields)


def sign_everyone_in(client, targets: dict, password: str) -> dict[str, str]:
    """Cookies per role, each already holding its CSRF secret (as a browser's would after the first form)."""
    cookies = {"anonymous": ""}
    staff = sign_in(client, targets["staff"], password)
    cookies["staff"], _ = csrf_session(client, staff, "/staff/submissions")
    reviewer = sign_in(client, targets["essays"].email, password)
    cookies["reviewer"], _ = csrf_session(client, reviewer, f"/review/assignments/{targets['essays'].id}")
    if targets["plan"].email == targets["essays"].email:
        cookies["plan_reviewer"] = cookies["reviewer"]
    else:
        plan = sign_in(client, targets["plan"].email, password)
        cookies["plan_reviewer"], _ = csrf_session(client, plan, f"/review/assignments/{targets['plan'].id}")
    return cookies


def saver_posts(client, targets: dict, password: str) -> list[tuple[str, str, str]]:
    posts = []
    for row in targets["savers"]:
        path = f"/review/assignments/{row.id}"
        cookie, token = csrf_session(client, sign_in(client, row.email, password), path)
        posts.append((cookie, path, save_body(token, targets["parts"][row.requirements_id])))
    return posts


def confirm_body(token: str, parts: list[str]) -> str:
    """Every part Yes, action=confirm: the version is decided (or waits for its second reviewer)."""
    fields = [("csrf_token", token), ("action", "confirm")]
    for key in parts:
        fields += [(f"{key}-result", "yes"), (f"{key}-feedback", "")]
    return urllib.parse.urlencode(fields)


def confirm_posts(app, client, targets: dict, password: str, sessions: dict, threads: int,
                  limit: int) -> list[tuple[str, str, str]]:
    """One (cookie, path, body) per open assignment left, at most `limit`, a multiple of `threads` (each wrk
    thread takes every threads-th one). One assignment per version: the two reviewers of a double-scored
    version confirming at the same moment would measure a race, not a confirm. A reviewer signs in once:
    `sessions` keeps their cookie and token."""
    posts, versions = [], set()
    for row in open_assignments(app, targets["reserved_versions"]):
        if row.version_id in versions or len(posts) == limit:
            continue
        versions.add(row.version_id)
        path = f"/review/assignments/{row.id}"
        if row.email not in sessions:
            sessions[row.email] = csrf_session(client, sign_in(client, row.email, password), path)
        cookie, token = sessions[row.email]
        posts.append((cookie, path, confirm_body(token, targets["parts"][row.requirements_id])))
    return posts[:len(posts) - len(posts) % threads]
