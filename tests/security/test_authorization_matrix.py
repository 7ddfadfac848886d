"""Who reaches what: every rule of the app's URL map x every role x their own and someone else's object.

POLICY names, for every endpoint, who may reach it. A route missing from POLICY fails
`test_every_route_has_a_policy` by name: adding a route means deciding here who may use it.

Reaching means the view ran for that person: a page, a redirect, a form answer (400/422). Being kept out
means a redirect to sign in (anonymous), 403 (a role's pages: staff, reviewer) or 404 (an object that
person may not see). GET rules are fetched; POST-only rules are posted empty (CSRF is off in tests), the
refusals first, so a refusal that wrote anything would show in the later answers.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import UserIdentity
from portal.audit import utcnow
from portal.badges import services as badges
from portal.catalog.models import Credential, Stack
from portal.cohorts import services as cohorts
from portal.cohorts.invitations import token_hash, unusable_password
from portal.cohorts.models import Invitation, Membership
from portal.extensions import db
from portal.notifications.models import Notice
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions.models import Artifact, State

# ---------- the policy table ----------
# Grants: "anyone"; "signed_in"; "owner" (the educator whose submission or notice it is); "assigned" (the
# reviewer the assignment belongs to); "reviewer" (any reviewer); "staff".

ANYONE = {"anyone"}
SIGNED_IN = {"signed_in"}
STAFF = {"staff"}
REVIEWER = {"reviewer"}
ASSIGNED = {"assigned"}
OWNER = {"owner"}
OWNER_OR_STAFF = {"owner", "staff"}
NOBODY: set[str] = set()

POLICY: dict[str, set[str]] = {
    "static": ANYONE,
    "catalog.index": ANYONE,
    "catalog.stack": ANYONE,
    "catalog.credential": ANYONE,
    "accounts.sign_in": ANYONE,
    "accounts.sign_up": ANYONE,
    "accounts.sign_out": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.people": STAFF,
    "cohorts.accept_invitation": ANYONE,  # the token in the address is the key
    "cohorts.mine": SIGNED_IN,
    "cohorts.my_profile": SIGNED_IN,
    "cohorts.overview": STAFF,
    "cohorts.new": STAFF,
    "cohorts.dashboard": STAFF,
    "cohorts.edit": STAFF,
    "cohorts.groups": STAFF,
    "cohorts.export_csv": STAFF,
    "cohorts.educator": STAFF,
    "cohorts.members": STAFF,
    "cohorts.remove_member": STAFF,
    "cohorts.resend_invitation": STAFF,
    "cohorts.import_roster": STAFF,
    "cohorts.import_preview": STAFF,
    "cohorts.milestone": STAFF,
    "cohorts.delete_milestone": STAFF,
    "notifications.index": SIGNED_IN,
    "notifications.mark_all_read": SIGNED_IN,
    "notifications.open_notice": OWNER,
    "submissions.dashboard": SIGNED_IN,
    "submissions.start": SIGNED_IN,
    "submissions.preview": SIGNED_IN,
    "submissions.edit": OWNER_OR_STAFF,  # staff are shown the version page
    "submissions.version": OWNER_OR_STAFF,
    "submissions.download": OWNER_OR_STAFF,
    "submissions.save": OWNER_OR_STAFF,  # staff are sent back: not their draft, nothing is saved
    "submissions.withdraw": OWNER_OR_STAFF,  # likewise refused by the service for staff
    "submissions.revise": OWNER,
    "reviews.queue": REVIEWER,
    "reviews.availability": REVIEWER,
    "reviews.score": ASSIGNED,
    "reviews.decline": ASSIGNED,
    "reviews.download": ASSIGNED,
    "staff_reviews.submissions": STAFF,
    "staff_reviews.submission": STAFF,
    "staff_reviews.assign": STAFF,
    "staff_reviews.reassign": STAFF,
    "staff_reviews.adjudicate": STAFF,
    "staff_reviews.reviewers": STAFF,
    "staff_reviews.edit_reviewer": STAFF,
    "accounts.signed_up": ANYONE,
    "accounts.account": SIGNED_IN,
    "accounts.change_email": SIGNED_IN,
    "accounts.resend_confirmation": SIGNED_IN,
    "accounts.session_status": ANYONE,  # tells the idle warning whether this browser is still signed in
    "accounts.extend_session": SIGNED_IN,
    "account_links.forgot_password": ANYONE,
    "account_links.reset_sent": ANYONE,
    "account_links.reset_link": ANYONE,  # the token in the address is the key
    "account_links.reset_password": ANYONE,
    "account_links.confirm_link": ANYONE,
    "account_links.confirm": ANYONE,
    "staff_accounts.person": STAFF,
    "staff_accounts.set_roles": STAFF,
    "staff_accounts.send_reset": STAFF,
    "staff_accounts.deactivate": STAFF,
    "staff_accounts.reactivate": STAFF,
    "two_step.verify": SIGNED_IN,  # or half signed in (password done, code pending); nobody else
    "two_step.setup": SIGNED_IN,
    "two_step.new_recovery_codes": SIGNED_IN,
    "two_step.reset": STAFF,
    # No district provider is configured in this app, so these answer 404 to everyone; the district tests
    # (tests/accounts/test_district_oidc.py) reach them through a real OpenID Provider.
    "district.start": NOBODY,
    "district.callback": NOBODY,
    "district.link": NOBODY,
    "district.methods": SIGNED_IN,
    "district.remove": OWNER,
    "staff.overview": STAFF,
    "staff_reviews.submissions_csv": STAFF,
    "staff_reviews.reviewers_csv": STAFF,
    "accounts.people_csv": STAFF,
    "submissions.remove_goal": OWNER_OR_STAFF,  # staff are sent to the version page, like edit
    "badges.did_json": ANYONE,
    "badges.status_list": ANYONE,
    "badges.public": ANYONE,  # the share token in the address is the key; a hidden one says "Not shared"
    "badges.verify": ANYONE,
    "badges.image": ANYONE,
    "badges.mine": SIGNED_IN,
    "badges.earned": OWNER,
    "badges.download_json": OWNER,
    "badges.download_png": OWNER,
    "badges.download_pdf": OWNER,
    "badges.visibility": OWNER,
    "badges.copy_link": OWNER,
    "badges.linkedin": OWNER,
    "badges_staff.issued": STAFF,
    "badges_staff.export": STAFF,
    "badges_staff.revoke": STAFF,
}

ROLES = ["anonymous", "educator", "other_educator", "reviewer", "staff"]
OWNERSHIP_GRANTS = {"owner", "assigned"}


# ---------- the world every endpoint is tried against ----------


@dataclass
class Objects:
    """The ids one role's URLs are built from: a submission with its file, notice and assignment."""

    owner: str  # the role whose objects these are
    reviewer: str | None
    submission_id: int
    artifact_id: int
    assignment_id: int
    notice_id: int
    version_id: int
    issued_id: int  # the credential the owner earned before this submission
    share_token: str
    identity_id: int  # the owner's linked district account


@dataclass
class World:
    users: dict
    mine: Objects  # the educator's submission, assigned to the reviewer
    theirs: Objects  # another educator's submission, assigned to another reviewer
    cohort_id: int
    milestone_id: int
    invitation_token: str
    stack_slug: str
    credential_slug: str


def _objects(owner_role, reviewer_role, submission, assignment, issued) -> Objects:
    identity = UserIdentity(user_id=submission.educator_id, provider="google", subject=f"sub-{owner_role}")
    db.session.add(identity)
    db.session.commit()
    version = submission.current_version
    artifact = db.session.scalar(select(Artifact).where(Artifact.version_id == version.id))
    notice = db.session.scalar(select(Notice).where(Notice.user_id == submission.educator_id))
    return Objects(owner_role, reviewer_role, submission.id, artifact.id, assignment.id, notice.id, version.id,
                   issued.id, issued.share_token, identity.id)


@pytest.fixture
def world(app, stack, make_user, make_submission) -> World:
    users = {
        "educator": make_user(name="Dana Owner", organization="Riverside Unified School District"),
        "other_educator": make_user(name="Omar Other", organization="Hillcrest School District"),
        "reviewer": make_user(name="Rae Reviewer", roles=("reviewer",), organization="Lakeview Charter Network"),
        "other_reviewer": make_user(name="Rob Second", roles=("reviewer",), organization="Summit Academy"),
        "staff": make_user(name="Morgan Staff", roles=("staff",), organization="CoSN Program Office"),
    }
    for key in ("reviewer", "other_reviewer"):
        reviews.ensure_profile(users[key]).stacks = list(db.session.scalars(select(Stack)))
    db.session.commit()
    routed = {}
    for educator, reviewer in (("educator", "reviewer"), ("other_educator", "other_reviewer")):
        earned = make_submission(educator=users[educator], slug="foundations", state=State.EARNED)
        issued = badges.issue_for_version(version=earned.current_version)
        db.session.commit()
        submission = make_submission(educator=users[educator], slug="identifying-challenges", state=State.SUBMITTED)
        reviews.route_submitted(submission.current_version, actor=users[educator])
        db.session.commit()
        assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == submission.current_version.id))
        assert assignment.reviewer_id == users[reviewer].id, "routing gave the world a different shape"
        routed[educator] = _objects(educator, reviewer if reviewer == "reviewer" else None, submission, assignment,
                                    issued)
    credential = db.session.scalar(select(Credential).where(Credential.slug == "foundations"))
    cohort = cohorts.create_cohort(
        name="Matrix Cohort", program="", description="", starts_on=date(2025, 1, 6), ends_on=date(2025, 12, 19),
        stack=credential.stack, credentials=[], actor=users["staff"],
    )
    milestone = cohorts.save_milestone(cohort=cohort, title="First", due_on=date(2025, 6, 1), credentials=[credential],
                                       actor=users["staff"])
    db.session.add(Membership(cohort_id=cohort.id, user_id=users["educator"].id, district_role="Director"))
    invited = make_user(name="Ines Invited")
    invited.password_hash = unusable_password()
    db.session.add(Invitation(user=invited, token_hash=token_hash("matrix-token"),
                              expires_at=utcnow() + timedelta(days=7)))
    db.session.commit()
    return World(users, routed["educator"], routed["other_educator"], cohort.id, milestone.id, "matrix-token",
                 credential.stack.slug, credential.slug)


def url_values(rule, world: World, objects: Objects) -> dict:
    """A value for every argument of the rule, from the world: the object set for ids of owned things."""
    values = {
        "submission_id": objects.submission_id, "artifact_id": objects.artifact_id, "number": 1,
        "assignment_id": objects.assignment_id, "notice_id": objects.notice_id, "version_id": objects.version_id,
        "cohort_id": world.cohort_id, "milestone_id": world.milestone_id, "name": "matrix",
        "user_id": world.users["educator"].id, "slug": world.stack_slug, "stack_slug": world.stack_slug,
        "credential_slug": world.credential_slug, "filename": "css/portal.css",
        "token": world.invitation_token if rule.endpoint == "cohorts.accept_invitation" else "no-such-import",
        "issued_id": objects.issued_id, "identity_id": objects.identity_id, "part_key": "needs_assessment",
    }
    if rule.endpoint == "badges.public":
        values["token"] = objects.share_token
    if rule.endpoint == "staff_reviews.edit_reviewer":
        values["user_id"] = world.users["reviewer"].id
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.endpoint}: give url_values a value for {sorted(missing)}"
    return {name: values[name] for name in rule.arguments}


def may_reach(grants: set[str], role: str, objects: Objects) -> bool:
    return (
        "anyone" in grants
        or ("signed_in" in grants and role != "anonymous")
        or ("owner" in grants and role == objects.owner)
        or ("assigned" in grants and role == objects.reviewer)
        or ("reviewer" in grants and role == "reviewer")
        or ("staff" in grants and role == "staff")
    )


def client_for(app, world: World, role: str):
    client = app.test_client()
    if role != "anonymous":
        token = accounts.start_session(world.users[role])
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
    return client


def kept_out(response, role: str) -> bool:
    if role == "anonymous" and response.status_code == 302:
        return "/sign-in" in response.headers["Location"]
    return response.status_code in (401, 403, 404)


# ---------- the tests ----------


def test_every_route_has_a_policy(app):
    routes = sorted({rule.endpoint for rule in app.url_map.iter_rules()})
    missing = [endpoint for endpoint in routes if endpoint not in POLICY]
    assert not missing, f"Add these endpoints to POLICY in {__file__} (who may reach them?): {missing}"
    stale = sorted(set(POLICY) - set(routes))
    assert not stale, f"POLICY names endpoints that no longer exist: {stale}"


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule))


def _all_rules():
    from portal import create_app  # a bare app, only to list its rules for parametrize

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [(rule.endpoint, rule.rule) for rule in _rules(app)]


@pytest.mark.parametrize(("endpoint", "path"), _all_rules(), ids=[f"{e} {p}" for e, p in _all_rules()])
def test_authorization_matrix(app, world, endpoint, path):
    app.config["NOT_FOUND_LIMIT"] = "10000 per minute"  # this test is made of 404s
    grants = POLICY.get(endpoint)
    assert grants is not None, f"{endpoint} ({path}) is missing from POLICY"
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
    method = "GET" if "GET" in rule.methods else "POST"
    object_sets = [world.mine, world.theirs] if grants & OWNERSHIP_GRANTS else [world.mine]
    cases = [(role, objects) for objects in object_sets for role in ROLES]
    cases.sort(key=lambda case: may_reach(grants, *case))  # refusals first: they must not change anything
    failures = []
    for role, objects in cases:
        with app.test_request_context():
            url = url_for(endpoint, **url_values(rule, world, objects))
        response = client_for(app, world, role).open(url, method=method)
        expected_reach = may_reach(grants, role, objects)
        if response.status_code >= 500 or kept_out(response, role) == expected_reach:
            whose = f"{objects.owner}'s objects"
            verdict = "reach" if expected_reach else "be kept out"
            failures.append(f"{role} on {whose}: {method} {url} -> {response.status_code}, should {verdict}")
    assert not failures, "\n".join(failures)
