"""Every kind of e-mail the portal sends names what happened in its subject and holds the absolute link (built from
PORTAL_URL, not the request's host) to the page it is about; followed by its recipient, that link opens the page."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts import links
from portal.audit import utcnow
from portal.badges import services as badges
from portal.badges.models import IssuedCredential
from portal.cohorts import members as membership
from portal.cohorts import services as cohorts
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions.models import State
from tests.conftest import PASSWORD
from tests.reviews.conftest import all_yes

PORTAL = "https://portal.example.org"
PLAN = "Creating a District Plan for Digital Equity"


@pytest.fixture(autouse=True)
def public_address(app):
    app.config["PORTAL_URL"] = PORTAL


def assignment_of(version, reviewer) -> Assignment:
    return db.session.scalar(
        select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer.id)
    )


def not_yet(version) -> dict:
    return {part.key: ("not_yet", "Say more about the families you serve.") for part in version.requirements.parts}


def received(w):
    submission = w.submit_plan()
    return submission.educator, "submission.received", f"Submitted: {PLAN}", PLAN


def assigned(w):
    rita = w.make_reviewer(name="Rita Reviewer")
    w.submit_plan()
    return rita, "review.assigned", f"New review assigned: {PLAN}", f"Review: {PLAN}"


def decided(results, subject):
    def scenario(w):
        rita = w.make_reviewer(name="Rita Reviewer")
        submission = w.submit_plan()
        version = submission.current_version
        reviews.confirm_review(reviewer=rita, assignment=assignment_of(version, rita), entries=results(version))
        db.session.commit()
        return submission.educator, "submission.decided", subject, PLAN

    return scenario


def reminded(days, subject):
    def scenario(w):
        rita = w.make_reviewer(name="Rita Reviewer")
        version = w.submit_plan().current_version
        assignment_of(version, rita).due_at = utcnow() + timedelta(days=days)
        reviews.send_reminders()
        db.session.commit()
        return rita, "review.reminder", subject, f"Review: {PLAN}"

    return scenario


def waiting_for_staff(w):
    staff = w.make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    submission = w.submit_plan()  # no reviewer exists
    return staff, "staff.attention", f"No reviewer available: submission {submission.id}", f"Submission {submission.id}"


def disagreement(w):
    w.app.config["CALIBRATION_SHARE"] = 1.0
    staff = w.make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    rita, raj = w.make_reviewer(name="Rita Reviewer"), w.make_reviewer(name="Raj Reviewer")
    submission = w.submit_plan()
    version = submission.current_version
    reviews.confirm_review(reviewer=rita, assignment=assignment_of(version, rita), entries=all_yes(version))
    reviews.confirm_review(reviewer=raj, assignment=assignment_of(version, raj), entries=not_yet(version))
    db.session.commit()
    return staff, "staff.attention", f"Needs adjudication: submission {submission.id}", f"Submission {submission.id}"


def new_cohort(w):
    w.make_user(name="Existing Person", organization="Riverside Unified School District")
    staff = w.make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    cohort = cohorts.create_cohort(
        name="Data Equity Cohort 2025", program="Digital Equity", description="", starts_on=date(2025, 1, 6),
        ends_on=date(2025, 12, 19), stack=w.credential("foundations").stack, credentials=[], actor=staff,
    )
    db.session.commit()
    return cohort, staff


def added_to_cohort(w):
    cohort, staff = new_cohort(w)
    dana = w.make_user(name="Dana Whitfield", email="dana@riverside.k12.us")
    membership.add_member(cohort=cohort, email=dana.email, name=dana.name,
                          organization="Riverside Unified School District", role="Coach", create_organization=False,
                          actor=staff)
    db.session.commit()
    return dana, "cohort.member_added", "You have been added to Data Equity Cohort 2025", "My cohorts"


def invited(w):
    cohort, staff = new_cohort(w)
    membership.add_member(cohort=cohort, email="new@riverside.k12.us", name="New Person",
                          organization="Riverside Unified School District", role="Coach", create_organization=False,
                          actor=staff)
    db.session.commit()
    return None, "cohort.invitation", "You are invited to Data Equity Cohort 2025", "Choose your password"


def password_reset(w):
    dana = w.make_user(name="Dana Whitfield")
    links.request_password_reset(email=dana.email)
    db.session.commit()
    return Signed(dana, out=True), "account.password_reset", "Reset your password", "Choose a new password"


def confirm_address(w):
    user = links.sign_up(email="new@riverside.k12.us", name="New Person", password="a long password",
                         organization="Riverside Unified School District")
    db.session.commit()
    return Signed(user, out=True), "account.confirm_email", "Confirm your email address", "Confirm your email address"


def sign_up_taken(w):
    dana = w.make_user(name="Dana Whitfield")
    links.sign_up(email=dana.email, name="Someone Else", password="a long password", organization="")
    db.session.commit()
    return (Signed(dana, out=True), "account.sign_up_existing", "Someone tried to sign up with your address",
            "Forgot your password?")


def address_change(w):
    dana = w.make_user(name="Dana Whitfield")
    links.request_email_change(user=dana, password=w.password, new_email="dana.new@riverside.k12.us")
    db.session.commit()
    return dana, "account.email_change_notice", "Your email address is being changed", "Your account"


def revoked(w):
    educator, *_ = decided(all_yes, "")(w)
    staff = w.make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.earner_id == educator.id))
    badges.revoke_credential(actor=staff, issued=issued, reason="Submitted work was not the educator's own.")
    db.session.commit()
    return educator, "badge.revoked", f"Credential revoked: {PLAN}", PLAN


def stack_earned(w):
    educator = w.make_user(name="Dana Whitfield")
    for slug in ("foundations", "identifying-challenges", "engaging-stakeholders", "district-plan"):
        w.make_submission(educator=educator, slug=slug, state=State.EARNED)
    badges.issue_missing()
    rita = w.make_reviewer(name="Rita Reviewer")
    version = w.make_submission(educator=educator, slug="implementing-plan", state=State.SUBMITTED).current_version
    reviews.route_submitted(version, actor=educator)
    reviews.confirm_review(reviewer=rita, assignment=assignment_of(version, rita), entries=all_yes(version))
    db.session.commit()
    return educator, "badge.stack_earned", "Stack credential earned: Digital Equity", "Digital Equity"


SCENARIOS = {
    "submission received": received,
    "review assigned": assigned,
    "submission earned": decided(all_yes, f"Earned: {PLAN}"),
    "submission not yet": decided(not_yet, f"Not yet: {PLAN}, feedback is ready"),
    "review due soon": reminded(1, f"Reminder: a review of “{PLAN}” is due"),
    "review overdue": reminded(-1, f"Overdue: the review of “{PLAN}” was due"),
    "staff: no reviewer available": waiting_for_staff,
    "staff: needs adjudication": disagreement,
    "cohort member added": added_to_cohort,
    "cohort invitation": invited,
    "password reset": password_reset,
    "address to confirm": confirm_address,
    "sign-up with a taken address": sign_up_taken,
    "address being changed": address_change,
    "credential revoked": revoked,
    "stack credential earned": stack_earned,
}


class Signed:
    """A recipient who follows the link signed out (a reset or confirmation link)."""

    def __init__(self, user, *, out: bool):
        self.user, self.out = user, out


class World:
    def __init__(self, **fixtures):
        self.__dict__.update(fixtures)


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_every_mail_links_to_its_page_for_its_recipient(
    scenario, app, client, login_as, make_user, make_reviewer, submit_plan, credential, make_submission
):
    world = World(app=app, make_user=make_user, make_reviewer=make_reviewer, submit_plan=submit_plan,
                  credential=credential, make_submission=make_submission, password=PASSWORD)
    recipient, kind, subject, heading = scenario(world)
    signed_out = isinstance(recipient, Signed)
    recipient = recipient.user if signed_out else recipient
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    if recipient is not None:
        query = query.where(OutboxMessage.to_address == recipient.email)
    message = db.session.scalars(query).first()

    assert message is not None, f"no {kind} mail was queued"
    assert message.subject.startswith(subject)
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith(PORTAL + "/") for link in links)
    if recipient is not None and not signed_out:
        login_as(recipient)
    # A one-time link puts its token in the session and redirects to a page without it.
    response = client.get(links[-1].removeprefix(PORTAL), follow_redirects=signed_out)
    assert response.status_code == 200, response.headers.get("Location")
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), flags=re.S).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", h1)).strip().startswith(heading)


def test_mail_kinds_covered_are_every_kind_the_portal_queues():
    """A new kind of mail must get a scenario above: the kinds named in the code are the kinds tested here."""
    import pathlib

    source = "\n".join(p.read_text() for p in pathlib.Path("portal").rglob("*.py"))
    kinds = set(re.findall(r'kind="([a-z_]+\.[a-z_]+)"', source))
    tested = {"submission.received", "review.assigned", "submission.decided", "review.reminder", "staff.attention",
              "cohort.member_added", "cohort.invitation", "account.password_reset", "account.confirm_email",
              "account.sign_up_existing", "account.email_change_notice", "badge.revoked", "badge.stack_earned"}
    assert kinds == tested


def test_public_link_keeps_query_and_fragment_and_uses_the_configured_address(app):
    from portal.links import public_link

    assert public_link("/submissions/3/versions/2?tab=files#part-2") == (
        f"{PORTAL}/submissions/3/versions/2?tab=files#part-2"
    )
    assert public_link("/no/such/page") == f"{PORTAL}/no/such/page"
