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
    role: str  # which signed-in account drives it: staff, reviewer, plan_reviewer, savers
    path: str = ""
    expect: int = 200
    target_ms: float | None = None
    # POST: one (cookie, path, body) per wrk thread, filled in after sign-in
    posts: list[tuple[str, str, str]] = field(default_factory=list)


def pick_targets(app) -> dict:
    """Who signs in and which pages they open, chosen from the generated data."""
    from sqlalchemy import func, select

    from benchmarks.generate import EMAIL_DOMAIN
    from portal.accounts.models import User
    from portal.catalog.models import Credential
    from portal.cohorts.models import Cohort, Membership
    from portal.extensions import db
    from portal.reviews.models import Assignment, ReviewerProfile
    from portal.submissions.models import Submission, Version

    with app.app_context():
        staff = db.session.scalar(select(User.email).where(User.email == f"staff1@{EMAIL_DOMAIN}"))
        cohort = db.session.execute(
            select(Cohort.id, Cohort.name).where(Cohort.name.like("%(benchmark)%")).order_by(Cohort.id)
        ).first()
        members = db.session.scalar(select(func.count()).where(Membership.cohort_id == cohort.id))
        rows = db.session.execute(
            select(Assignment.id, User.email, Credential.slug, Version.requirements_id)
            .join(User, User.id == Assignment.reviewer_id)
            .join(ReviewerProfile, ReviewerProfile.user_id == User.id)
            .join(Version, Version.id == Assignment.version_id)
            .join(Submission, Submission.id == Version.submission_id)
            .join(Credential, Credential.id == Submission.credential_id)
            .where(Assignment.state == "open", Version.state.in_(("submitted", "in_review")), User.is_reviewer)
            .order_by(Assignment.id)
        ).all()
        from portal.catalog.models import Requirements

        parts = {r.id: [p["key"] for p in r.parts_data] for r in db.session.scalars(select(Requirements))}
        db.session.remove()
    plan_slugs = {"district-plan"}
    essays = next(r for r in rows if r.slug not in plan_slugs and r.slug != "implementing-plan")
    plan = next(r for r in rows if r.slug in plan_slugs)
    used = {essays.id, plan.id}
    savers, seen = [], set()
    for row in rows:  # two other reviewers, one open assignment each, for the two POSTing connections
        if row.id not in used and row.email not in seen:
            savers.append(row)
            seen.add(row.email)
        if len(savers) == 2:
            break
    used |= {row.id for row in savers}
    confirms = [row for row in rows if row.id not in used][-3:]  # for the in-process confirm measurement
    return {
        "staff": staff, "cohort_id": cohort.id, "cohort_members": members,
        "essays": essays, "plan": plan, "savers": savers, "parts": parts, "confirms": confirms,
    }


def scenarios(targets: dict) -> list[Scenario]:
    return [
        Scenario("staff-submissions", "Staff: all submissions (50 rows)", "GET", "staff", "/staff/submissions",
                 target_ms=25),
        Scenario("review-open", "Reviewer: open a submission to score (essays)", "GET", "reviewer",
                 f"/review/assignments/{targets['essays'].id}", target_ms=10),
        Scenario("review-open-plan", "Reviewer: open a submission to score (district plan)", "GET",
                 "plan_reviewer", f"/review/assignments/{targets['plan'].id}", target_ms=10),
        Scenario("review-save", "Reviewer: post a scored rubric (save, CSRF, 302)", "POST", "savers",
                 expect=302, target_ms=20),
        Scenario("cohort-dashboard", f"Staff: cohort dashboard ({targets['cohort_members']} members)", "GET",
                 "staff", f"/staff/cohorts/{targets['cohort_id']}", target_ms=100),
        Scenario("review-queue", "Reviewer: review queue (no target)", "GET", "reviewer", "/review"),
    ]


NOTE = "NOTEXX"  # replaced in each request's body, so that every save changes the stored feedback


def save_body(token: str, parts: list[str]) -> str:
    """A complete rubric: every part Yes with feedback, action=save (the assignment stays open)."""
    fields = [("csrf_token", token), ("action", "save")]
    for key in parts:
        fields += [(f"{key}-result", "yes"), (f"{key}-feedback", f"Clear and specific, note {NOTE}.")]
    return urllib.parse.urlencode(fields)


def sign_everyone_in(client, targets: dict, password: str) -> dict[str, str]:
    """Cookies per role, each already holding its CSRF secret (as a browser's would after the first form)."""
    cookies = {}
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
