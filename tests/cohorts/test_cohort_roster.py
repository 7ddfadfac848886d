"""Roster imports: parse, preview (writes nothing), confirm, re-import (changes nothing), and invitations."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Organization, User
from portal.audit import utcnow
from portal.cohorts import members as membership
from portal.cohorts.invitations import has_password
from portal.cohorts.models import Invitation, Membership, ProfileAnswer, RosterImport
from portal.cohorts.profile import active_fields
from portal.cohorts.roster import Action, plan_roster
from portal.extensions import db
from portal.notifications.models import OutboxMessage

RIVERSIDE = "Riverside Unified School District"
ROSTER = """email,name,organization,role,locale
dana@riverside.k12.us,Dana Whitfield,Riverside Unified School District,Chief Technology Officer,Rural
sam@riverside.k12.us,Sam Ortega,riverside unified school district,Director of Curriculum,
not-an-email,Pat Jones,Riverside Unified School District,Principal,
lee@riverside.k12.us,,Riverside Unified School District,Principal,
DANA@riverside.k12.us,Dana W.,Riverside Unified School District,CTO,
kim@nowhere.k12.us,Kim Park,Nowhere Schools,Equity Lead,
ray@riverside.k12.us,Ray Diaz,Riverside Unified School District,Coach,Moon base
"""


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (
        User, Membership, Organization, Invitation, OutboxMessage, ProfileAnswer,
    ))


@pytest.fixture
def cohort(make_cohort, make_user, fields):
    make_user(name="Existing Person", organization=RIVERSIDE)  # makes the organization exist
    return make_cohort(slugs=("foundations",))


def plan(cohort, text=ROSTER, create=False):
    return plan_roster(cohort=cohort, text=text, create_organizations=create, fields=active_fields())


def test_preview_lists_every_bad_row_with_line_and_reason(cohort):
    result = plan(cohort)
    problems = {p.line: p.reasons for p in result.problems}
    assert problems == {
        4: ["“not-an-email” is not a valid email address."],
        5: ["Name is missing."],
        6: ["Same email address as line 2."],
        7: ["Unknown organization “Nowhere Schools”. Check the spelling, or tick “create new organizations”."],
        8: ["“Moon base” is not one of the answers for Locale."],
    }
    assert [(r.row.line, r.row.email, r.action) for r in result.rows] == [
        (2, "dana@riverside.k12.us", Action.NEW_ACCOUNT), (3, "sam@riverside.k12.us", Action.NEW_ACCOUNT),
    ]
    assert result.rows[0].new_answers == {"locale": "Rural"}


def test_create_new_organizations_when_ticked(cohort):
    result = plan(cohort, create=True)
    assert result.new_organizations == ["Nowhere Schools"]
    assert 7 not in {p.line for p in result.problems}


def test_missing_columns_is_a_file_error(cohort):
    result = plan(cohort, "email,full name\na@b.org,A\n")
    assert result.file_errors == ["The first line must name the columns; missing: name, organization."]
    assert result.rows == []


def test_preview_writes_nothing(client, login_as, staff, cohort):
    login_as(staff)
    before = counts()
    response = upload(client, cohort)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Line" in page and "Same email address as line 2." in page and "Unknown organization" in page
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(RosterImport)) == 1  # only the staged file


def upload(client, cohort, text=ROSTER, create=False):
    data = {"file": (io.BytesIO(text.encode()), "roster.csv")}
    if create:
        data["create_organizations"] = "y"
    return client.post(f"/staff/cohorts/{cohort.id}/import", data=data, content_type="multipart/form-data")


def confirm(client, location):
    return client.post(location)


def test_confirm_imports_good_rows_and_invites_new_accounts(client, login_as, staff, cohort):
    login_as(staff)
    location = upload(client, cohort).headers["Location"]
    assert confirm(client, location).status_code == 302
    dana = db.session.scalar(select(User).where(User.email == "dana@riverside.k12.us"))
    assert dana.name == "Dana Whitfield" and dana.organization.name == RIVERSIDE and not has_password(dana)
    member = db.session.scalar(select(Membership).where(Membership.user_id == dana.id))
    assert member.district_role == "Chief Technology Officer"
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.to_address, m.kind) for m in mails] == [
        ("dana@riverside.k12.us", "cohort.invitation"), ("sam@riverside.k12.us", "cohort.invitation"),
    ]
    staged = db.session.scalar(select(RosterImport))
    assert staged.confirmed_at is not None and staged.csv_text == ""  # personal data not kept
    assert confirm(client, location).status_code == 302  # a second confirm finds nothing to import
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 2


def test_importing_the_same_file_twice_changes_nothing(client, login_as, staff, cohort):
    login_as(staff)
    confirm(client, upload(client, cohort).headers["Location"])
    before = counts()
    result = plan(cohort)
    assert [r.action for r in result.rows] == [Action.UNCHANGED, Action.UNCHANGED]
    location = upload(client, cohort).headers["Location"]
    assert "Importing this file would change nothing." in client.get(location).get_data(as_text=True)
    confirm(client, location)
    assert counts() == before


def test_reimport_shows_changes_and_keeps_the_educators_own_answers(client, login_as, staff, cohort, make_user):
    login_as(staff)
    existing = make_user(name="Jo Existing", organization=RIVERSIDE, email="jo@riverside.k12.us")
    confirm(client, upload(client, cohort, "email,name,organization,role\njo@riverside.k12.us,Jo Existing,"
                                           f"{RIVERSIDE},Coach\n").headers["Location"])
    db.session.add(ProfileAnswer(user_id=existing.id, field_id=_field_id("locale"), value="City"))
    db.session.commit()
    text = ("email,name,organization,role,locale,gender\n"
            f"jo@riverside.k12.us,Jo Exist,{RIVERSIDE},Principal,Rural,Woman\n")
    row = plan(cohort, text).rows[0]
    assert row.action == Action.CHANGED
    assert row.changes == ["name “Jo Existing” → “Jo Exist”", "role “Coach” → “Principal”", "fills in gender"]
    membership.confirm_import(cohort=cohort, staged=membership.stage_import(
        cohort=cohort, actor=staff, filename="again.csv", text=text, create_organizations=False), actor=staff)
    db.session.commit()
    answers = dict(db.session.execute(select(ProfileAnswer.field_id, ProfileAnswer.value).where(
        ProfileAnswer.user_id == existing.id)).all())
    assert answers == {_field_id("locale"): "City", _field_id("gender"): "Woman"}


def _field_id(key):
    return next(f.id for f in active_fields() if f.key == key)


def test_existing_account_joins_without_invitation(client, login_as, staff, cohort, make_user):
    login_as(staff)
    make_user(name="Jo Existing", organization=RIVERSIDE, email="jo@riverside.k12.us")
    text = f"email,name,organization,role\njo@riverside.k12.us,Jo Existing,{RIVERSIDE},Coach\n"
    assert plan(cohort, text).rows[0].action == Action.NEW_MEMBERSHIP
    confirm(client, upload(client, cohort, text).headers["Location"])
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.session.scalar(select(OutboxMessage.kind)) == "cohort.member_added"


def test_preview_of_another_staff_members_upload_is_not_found(client, login_as, staff, cohort, make_user):
    staged = membership.stage_import(cohort=cohort, actor=staff, filename="r.csv", text=ROSTER,
                                     create_organizations=False)
    db.session.commit()
    login_as(make_user(roles=("staff",)))
    response = client.post(f"/staff/cohorts/{cohort.id}/import/{staged.token}")
    assert response.status_code == 302 and "/import" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_add_and_remove_a_member_by_hand(client, login_as, staff, cohort):
    login_as(staff)
    response = client.post(f"/staff/cohorts/{cohort.id}/members", data={
        "email": "new@riverside.k12.us", "name": "New Person", "organization": RIVERSIDE, "role": "Coach",
    })
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@riverside.k12.us"))
    assert db.session.scalar(select(Invitation.user_id)) == user.id
    again = client.post(f"/staff/cohorts/{cohort.id}/members", data={
        "email": "new@riverside.k12.us", "name": "New Person", "organization": RIVERSIDE,
    }).get_data(as_text=True)
    assert "New Person is already a member of this cohort." in again
    unknown = client.post(f"/staff/cohorts/{cohort.id}/members", data={
        "email": "x@nowhere.org", "name": "X", "organization": "Nowhere",
    }).get_data(as_text=True)
    assert "Unknown organization “Nowhere”" in unknown
    members_page = client.get(f"/staff/cohorts/{cohort.id}/members").get_data(as_text=True)
    assert f'href="/staff/cohorts/{cohort.id}/members/{user.id}/remove">Remove New Person…</a>' in members_page
    asked = client.get(f"/staff/cohorts/{cohort.id}/members/{user.id}/remove")  # the link asks first
    assert asked.status_code == 200 and "Remove New Person from" in asked.get_data(as_text=True)
    assert 'name="csrf_token"' in asked.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
    assert client.post(f"/staff/cohorts/{cohort.id}/members/{user.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    assert db.session.get(User, user.id) is not None  # the account stays


# ---------- invitations ----------

def invitation_link() -> str:
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "cohort.invitation"))
    return re.search(r"http://127\.0\.0\.1:5000(/invitations/\S+)", body).group(1)


@pytest.fixture
def invited(client, login_as, staff, cohort):
    login_as(staff)
    client.post(f"/staff/cohorts/{cohort.id}/members", data={
        "email": "new@riverside.k12.us", "name": "New Person", "organization": RIVERSIDE,
    })
    with client.session_transaction() as session:
        session.clear()  # sign the staff member out of the test client
    return invitation_link()


def test_only_a_hash_of_the_token_is_stored(invited):
    token = invited.rsplit("/", 1)[1]
    stored = db.session.scalar(select(Invitation.token_hash))
    assert token not in stored and len(stored) == 64


def test_invitation_link_sets_the_password_signs_in_and_works_once(client, invited):
    response = client.get(invited)
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<meta name="referrer" content="same-origin">' in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Choose your password" in page and "new@riverside.k12.us" in page
    response = client.post(invited, data={"password": "a long new passphrase"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/cohorts")
    assert "My cohorts" in client.get("/my/cohorts").get_data(as_text=True)  # signed in
    user = db.session.scalar(select(User).where(User.email == "new@riverside.k12.us"))
    assert has_password(user)
    used = client.get(invited)
    assert used.status_code == 410 and "This link has already been used" in used.get_data(as_text=True)
    assert client.post(invited, data={"password": "another passphrase"}).status_code == 410


def test_invitation_refuses_a_short_password(client, invited):
    page = client.post(invited, data={"password": "short"}).get_data(as_text=True)
    assert "Use at least 8 characters." in page
    assert client.get(invited).status_code == 200  # still usable


def test_invitation_link_expires(client, invited, app):
    db.session.scalar(select(Invitation)).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(invited)
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
    assert client.post(invited, data={"password": "a long new passphrase"}).status_code == 410


def test_invitation_lifetime_is_a_setting(app, client, login_as, staff, cohort):
    app.config["INVITATION_DAYS"] = 2
    login_as(staff)
    client.post(f"/staff/cohorts/{cohort.id}/members", data={
        "email": "new@riverside.k12.us", "name": "New Person", "organization": RIVERSIDE,
    })
    invitation = db.session.scalar(select(Invitation))
    assert timedelta(days=1, hours=23) < invitation.expires_at - invitation.created_at <= timedelta(days=2)


def test_unknown_invitation_link_is_a_clear_404(client, app):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404 and "This link does not work" in response.get_data(as_text=True)


def test_resending_an_invitation_voids_the_old_link(client, login_as, staff, cohort, invited):
    user = db.session.scalar(select(User).where(User.email == "new@riverside.k12.us"))
    login_as(staff)
    assert client.post(f"/staff/cohorts/{cohort.id}/members/{user.id}/invite").status_code == 302
    assert client.get(invited).status_code == 410


def test_an_invited_account_cannot_sign_in_before_choosing_a_password(invited):
    from portal.accounts.services import authenticate

    assert authenticate("new@riverside.k12.us", "") is None
    assert authenticate("new@riverside.k12.us", "!") is None


def test_a_staged_roster_is_imported_once(cohort, staff):
    staged = membership.stage_import(cohort=cohort, actor=staff, filename="r.csv", text=ROSTER,
                                     create_organizations=False)
    membership.confirm_import(cohort=cohort, staged=staged, actor=staff)
    with pytest.raises(membership.MemberError):
        membership.confirm_import(cohort=cohort, staged=staged, actor=staff)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 2
