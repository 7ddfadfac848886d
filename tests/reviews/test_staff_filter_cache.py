"""The staff submissions filter's option lists are cached per process: a new reviewer, a renamed one, someone
given the reviewer role and a loaded stack show on the next request; the cached lists hold nothing of the
person who asked (no CSRF token, no name)."""

import dataclasses
import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.accounts import services as accounts
from portal.catalog.loader import bundled_stack_paths, load_stack
from portal.catalog.services import sync_stack
from portal.cohorts.members import add_member
from portal.cohorts.models import Cohort
from portal.extensions import db
from portal.reviews import staff_views
from portal.staff import accounts as staff_accounts


def options(page: str, name: str) -> list[str]:
    """The labels of one select's options, in order."""
    select = re.search(rf'<select[^>]*id="{name}"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def reviewers_offered(client) -> list[str]:
    return options(client.get("/staff/submissions").get_data(as_text=True), "reviewer")[1:]  # after "Anyone"


@pytest.fixture
def staff(make_user, login_as):
    user = make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    login_as(user)
    return user


def test_a_new_reviewer_is_offered_on_the_next_request(client, staff, make_reviewer):
    make_reviewer(name="Rita Reviewer")
    assert reviewers_offered(client) == ["Rita Reviewer"]
    assert reviewers_offered(client) == ["Rita Reviewer"]  # from the cache now

    make_reviewer(name="Abel Adams")

    assert reviewers_offered(client) == ["Abel Adams", "Rita Reviewer"]


def test_a_renamed_reviewer_is_offered_by_the_new_name(client, staff, make_reviewer, stack, credential):
    rita = make_reviewer(name="Rita Reviewer")
    cohort = Cohort(name="Spring Cohort", stack_id=credential("foundations").stack_id)
    db.session.add(cohort)
    db.session.commit()
    assert reviewers_offered(client) == ["Rita Reviewer"]

    # A roster row with her address and another name renames her.
    add_member(cohort=cohort, email=rita.email, name="Rita Rivera", organization="Lakeview Charter Network",
               role="Coach", create_organization=False, actor=staff)
    db.session.commit()

    assert reviewers_offered(client) == ["Rita Rivera"]


def test_someone_given_the_reviewer_role_is_offered(client, staff, make_user, stack):
    educator = make_user(name="Eve Educator")
    assert reviewers_offered(client) == []

    staff_accounts.set_roles(staff=staff, user=educator, roles=["educator", "reviewer"])
    db.session.commit()

    assert reviewers_offered(client) == ["Eve Educator"]


def test_a_loaded_stack_changes_the_credential_options(client, staff, stack):
    page = client.get("/staff/submissions").get_data(as_text=True)
    assert "Foundations of Digital Equity: Understanding the Homework Gap" in options(page, "credential")

    spec = next(s for s in map(load_stack, bundled_stack_paths()) if s.credentials[0].slug == "foundations")
    renamed = dataclasses.replace(spec.credentials[0], title="Foundations, Second Edition")
    sync_stack(dataclasses.replace(spec, credentials=(renamed, *spec.credentials[1:])))
    db.session.commit()

    page = client.get("/staff/submissions").get_data(as_text=True)
    assert "Foundations, Second Edition" in options(page, "credential")
    assert "Foundations of Digital Equity: Understanding the Homework Gap" not in options(page, "credential")


def signed_in_client(app, user):
    """A second browser, signed in as `user`."""
    other = app.test_client()
    token = accounts.start_session(user)
    db.session.commit()
    with other.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return other


def csrf_secret_of(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("csrf_token")


def test_two_staff_in_turn_each_get_their_own_token_and_the_cache_holds_neither(
    app, client, staff, make_user, make_reviewer
):
    make_reviewer(name="Rita Reviewer")
    other = signed_in_client(app, make_user(name="Oscar Other", roles=("staff",), email="oscar@example.org"))
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    pages = {}
    for who, browser in (("stella", client), ("oscar", other), ("stella again", client)):
        page = browser.get("/staff/submissions", query_string={"reviewer": ""}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert signer.loads(token) == csrf_secret_of(browser)  # the token on the page is this browser's own
        pages[who] = page

    assert csrf_secret_of(client) != csrf_secret_of(other)
    assert options(pages["oscar"], "reviewer") == options(pages["stella"], "reviewer") == ["Anyone", "Rita Reviewer"]
    cached = [value for store in (staff_views._reviewer_options, staff_views._credential_options)
              for _, value in store._values.values()]
    assert cached  # the lists were cached, and hold only options
    for value in cached:
        html = str(value.html)
        assert "csrf" not in html and "Stella" not in html and "Oscar" not in html and "<option" in html
