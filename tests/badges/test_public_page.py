"""The public verification page of a shared credential, and the counts of people who earned a credential.

Anyone may open the page without signing in; it states the status checked live. Data that must never show is
planted (the e-mail, the submission's text) and asserted absent."""

from portal.badges import services as badges
from portal.extensions import db
from tests.conftest import complete_answers

EMAIL = "dana.whitfield.private@example.org"
VALID = "Valid: the signature checks out and it has not been revoked"


def page(client, issued) -> str:
    response = client.get(f"/credentials/{issued.share_token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def submitted_texts(credential) -> list[str]:
    """Every piece of text the educator wrote (complete_answers is what the earn fixture submits)."""
    texts = []
    for answer in complete_answers(credential).values():
        texts += [answer["text"]] if "text" in answer else [v for goal in answer["goals"] for v in goal.values()]
    return texts


def test_shared_credential_shows_its_facts_and_a_valid_status(client, make_user, issue, credential):
    dana = make_user(name="Dana Whitfield", email=EMAIL)
    issued = issue(dana, "foundations", public=True)
    html = page(client, issued)
    assert VALID in html
    assert "Dana Whitfield" in html
    assert "Foundations of Digital Equity" in html
    assert "Digital Equity" in html and "credential 1 of 5" in html
    assert "Micro-credential Portal" in html  # the issuer, from the settings
    assert "Consortium for School Networking (CoSN)" in html  # the achievement's creator
    assert f"urn:uuid:{issued.uuid}" in html
    assert f"{issued.issued_at.day} {issued.issued_at:%B %Y}" in html
    parts = credential("foundations").requirements.parts
    for number, part in enumerate(parts, start=1):
        assert f'<tr><th scope="row">Part {number}: {part.title}</th><td>Yes</td></tr>' in html
    assert 'href="/verify"' in html


def test_public_page_never_shows_the_email_or_the_submission(client, make_user, issue, credential):
    dana = make_user(name="Dana Whitfield", email=EMAIL)
    html = page(client, issue(dana, "foundations", public=True))
    assert EMAIL not in html and "dana.whitfield.private" not in html
    for text in submitted_texts(credential("foundations")):
        assert text not in html


def test_revoked_credential_says_revoked_on_the_date_with_the_reason(client, make_user, issue, staff):
    issued = issue(make_user(name="Dana Whitfield"), public=True)
    assert VALID in page(client, issued)
    badges.revoke_credential(actor=staff, issued=issued, reason="The plan was copied from another district.")
    db.session.commit()
    html = page(client, issued)
    assert VALID not in html
    assert f"Revoked on {issued.revoked_at.day} {issued.revoked_at:%B %Y}" in html
    assert "Reason given by the program staff: The plan was copied from another district." in html
    assert "Dana Whitfield" in html  # still says what it was


def test_hidden_credential_shows_only_not_shared(client, make_user, issue, credential):
    dana = make_user(name="Dana Whitfield", email=EMAIL)
    issued = issue(dana, "foundations")
    html = page(client, issued)
    assert "<h1>Not shared</h1>" in html
    for secret in ("Dana Whitfield", EMAIL, "Foundations of Digital Equity", issued.uuid, "Valid", "Revoked"):
        assert secret not in html
    for text in submitted_texts(credential("foundations")):
        assert text not in html


def test_credential_hidden_again_shows_not_shared(client, make_user, issue):
    dana = make_user(name="Dana Whitfield")
    issued = issue(dana, public=True)
    badges.set_public(earner=dana, issued=issued, public=False)
    db.session.commit()
    html = page(client, issued)
    assert "Not shared" in html and "Dana Whitfield" not in html


def test_unknown_or_overlong_token_is_not_found(client, make_user, issue):
    issued = issue(make_user(), public=True)
    assert client.get("/credentials/not-a-real-token").status_code == 404
    assert client.get(f"/credentials/{issued.share_token}x").status_code == 404
    assert client.get("/credentials/" + "a" * 5000).status_code == 404


def test_public_page_needs_no_sign_in_and_works_signed_in(client, make_user, issue, login_as):
    issued = issue(make_user(name="Dana Whitfield"), public=True)
    assert VALID in page(client, issued)
    login_as(make_user(name="Someone Else"))
    assert VALID in page(client, issued)


# ---------- how many people earned it ----------

def test_counts_on_the_public_credential_and_stack_pages(client, make_user, issue, staff):
    first = issue(make_user(), "foundations", public=True)
    assert "Earned by 1 person." in page(client, first)
    second = issue(make_user(), "foundations")
    revoked = issue(make_user(), "foundations")
    badges.revoke_credential(actor=staff, issued=revoked, reason="")
    db.session.commit()
    assert "Earned by 2 people." in page(client, first)  # a revoked credential no longer counts
    credential_page = client.get("/stacks/digital-equity/foundations").get_data(as_text=True)
    assert '<p class="earned-count" id="earned-count">Earned by 2 people.</p>' in credential_page
    stack_page = client.get("/stacks/digital-equity").get_data(as_text=True)
    assert '<p class="earned-count" id="stack-earned-count">Nobody has earned it yet.</p>' in stack_page
    assert "Earned by 2 people." in stack_page  # Foundations' card
    assert stack_page.count("Nobody has earned it yet.") == 5  # the stack credential and four others
    assert second.earner.name not in credential_page + stack_page


def test_stack_credential_public_page_and_count(client, make_user, issue, credential):
    from sqlalchemy import select

    from portal.badges.models import IssuedCredential, Kind

    earner = make_user(name="Dana Whitfield")
    for c in credential("foundations").stack.credentials:
        issue(earner, c.slug)
    stack_issued = db.session.scalar(select(IssuedCredential).where(
        IssuedCredential.earner_id == earner.id, IssuedCredential.kind == Kind.STACK))
    badges.set_public(earner=earner, issued=stack_issued, public=True)
    db.session.commit()
    html = page(client, stack_issued)
    assert VALID in html and "Dana Whitfield" in html
    assert "every credential of the stack" in html
    for c in credential("foundations").stack.credentials:
        assert c.title in html
    stack_page = client.get("/stacks/digital-equity").get_data(as_text=True)
    assert '<p class="earned-count" id="stack-earned-count">Earned by 1 person.</p>' in stack_page


def test_catalog_counts_change_on_the_next_request_after_issuing_and_revoking(client, make_user, issue, staff):
    def shown() -> str:
        page = client.get("/stacks/digital-equity/foundations").get_data(as_text=True)
        return page.split('id="earned-count">')[1].split("</p>")[0]

    assert shown() == "Nobody has earned it yet."  # now cached
    issued = issue(make_user(), "foundations")
    assert shown() == "Earned by 1 person."
    badges.revoke_credential(actor=staff, issued=issued, reason="")
    db.session.commit()
    assert shown() == "Nobody has earned it yet."
