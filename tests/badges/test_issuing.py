"""Issuing on the decision: what the credential says, that it is written with the decision or not at all,
issuing what is missing, the stack certificate, and keys."""

import json

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.badges import keys, services
from portal.badges.documents import email_hash
from portal.badges.keys import IssuerKeyMissing
from portal.badges.models import IssuedCredential, IssuerKey
from portal.config import ProductionConfig
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions.models import State
from tests.badges.conftest import issued_for


def test_an_earned_decision_issues_an_open_badge(earn, make_user):
    educator = make_user(name="Dana Educator", email="dana@example.org")
    issued = issued_for(earn(educator))
    document = issued.document_json
    assert document["@context"] == [
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert document["id"] == f"urn:uuid:{issued.uuid}"
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["name"] == "Foundations of Digital Equity: Understanding the Homework Gap"
    assert document["validFrom"] == issued.version.decided_at.replace(microsecond=0).isoformat() + "Z"
    assert document["awardedDate"] == document["validFrom"]
    assert document["issuer"] == {
        "id": "did:web:127.0.0.1%3A5000", "type": ["Profile"], "name": "Micro-credential Portal",
        "url": "http://127.0.0.1:5000",
    }
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["proof"]["verificationMethod"] == "did:web:127.0.0.1%3A5000#key-1"
    assert document["proof"]["proofPurpose"] == "assertionMethod"


def test_the_subject_names_the_earner_and_hashes_the_email(earn, make_user):
    educator = make_user(name="Dana Educator", email="dana@example.org")
    issued = issued_for(earn(educator))
    name, email = issued.document_json["credentialSubject"]["identifier"]
    assert name == {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Dana Educator"}
    assert email["identityType"] == "emailAddress" and email["hashed"] is True
    assert email["identityHash"] == email_hash("dana@example.org", email["salt"])
    assert email["identityHash"].startswith("sha256$")
    assert "dana@example.org" not in issued.document


def test_the_achievement_has_its_parts_criteria_creator_and_image(earn, make_user):
    issued = issued_for(earn(make_user()))
    subject = issued.document_json["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["id"] == "http://127.0.0.1:5000/stacks/digital-equity/foundations"
    assert achievement["type"] == ["Achievement"] and achievement["achievementType"] == "MicroCredential"
    assert achievement["creator"] == {
        "id": "https://www.cosn.org/", "type": ["Profile"], "name": "Consortium for School Networking (CoSN)",
        "url": "https://www.cosn.org/",
    }
    assert achievement["image"]["type"] == "Image" and achievement["image"]["id"].startswith("http://127.0.0.1:5000/")
    narrative = achievement["criteria"]["narrative"]
    assert "Overview Questions" in narrative and "Reflection" in narrative and "every part “Yes”" in narrative
    descriptions = achievement["resultDescription"]
    assert [d["name"] for d in descriptions] == [
        "Part 1: Overview Questions", "Part 2: Evidence/Artifacts", "Part 3: Reflection",
    ]
    assert all(d["resultType"] == "RubricCriterionLevel" and d["allowedValue"] == ["Not yet", "Yes"]
               for d in descriptions)
    assert [(r["resultDescription"], r["value"]) for r in subject["result"]] == [
        (d["id"], "Yes") for d in descriptions
    ]


def test_the_status_entry_points_at_the_revocation_list(earn, make_user):
    issued = issued_for(earn(make_user()))
    assert issued.document_json["credentialStatus"] == {
        "id": f"http://127.0.0.1:5000/badges/status/revocation#{issued.status_index}",
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": str(issued.status_index),
        "statusListCredential": "http://127.0.0.1:5000/badges/status/revocation",
    }
    assert 0 <= issued.status_index < 131072


def test_status_indexes_and_share_tokens_are_random(earn, make_user):
    rows = [issued_for(earn(make_user())) for _ in range(4)]
    indexes = [row.status_index for row in rows]
    assert len(set(indexes)) == 4 and max(indexes) - min(indexes) > 3  # not handed out in order
    assert all(len(row.share_token) >= 40 for row in rows)
    assert not rows[0].is_public


def test_a_not_yet_decision_issues_nothing(make_submission, make_user, reviewer):
    submission = make_submission(educator=make_user(), state=State.SUBMITTED)
    version = submission.current_version
    reviews.route_submitted(version, actor=submission.educator)
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))
    entries = {part.key: ("yes", "") for part in version.requirements.parts}
    entries["reflection"] = ("not_yet", "Say more.")
    reviews.confirm_review(reviewer=assignment.reviewer, assignment=assignment, entries=entries)
    db.session.commit()
    assert db.session.scalar(select(IssuedCredential.id)) is None


def test_issue_fails_with_the_decision_and_the_decision_with_the_issue(make_submission, make_user, reviewer,
                                                                        monkeypatch):
    submission = make_submission(educator=make_user(), state=State.SUBMITTED)
    version = submission.current_version
    reviews.route_submitted(version, actor=submission.educator)
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))

    def fail(**_):
        raise RuntimeError("mail queue broken")

    monkeypatch.setattr(reviews.notifications, "notify", fail)  # runs after the credential is issued
    with pytest.raises(RuntimeError):
        reviews.confirm_review(reviewer=reviewer, assignment=assignment,
                               entries={p.key: ("yes", "") for p in version.requirements.parts})
    db.session.rollback()
    assert db.session.scalar(select(IssuedCredential.id)) is None
    assert db.session.get(type(version), version.id).state == State.SUBMITTED


def test_production_without_a_key_refuses_and_records_no_decision(app, make_submission, make_user, reviewer,
                                                                    tmp_path):
    assert ProductionConfig.BADGE_REQUIRE_KEY is True
    app.config.update(BADGE_REQUIRE_KEY=True, BADGE_KEY_FILE=str(tmp_path / "absent.txt"))
    submission = make_submission(educator=make_user(), state=State.SUBMITTED)
    version = submission.current_version
    reviews.route_submitted(version, actor=submission.educator)
    db.session.commit()
    with pytest.raises(IssuerKeyMissing, match="flask badges keygen"):
        keys.signing_key()
    assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))
    with pytest.raises(reviews.ReviewError, match="no issuer key"):
        reviews.confirm_review(reviewer=reviewer, assignment=assignment,
                               entries={p.key: ("yes", "") for p in version.requirements.parts})
    db.session.rollback()
    assert db.session.get(type(version), version.id).state == State.SUBMITTED
    assert not (tmp_path / "absent.txt").exists()


def test_development_makes_a_missing_key_on_first_use(app, tmp_path):
    app.config.update(BADGE_REQUIRE_KEY=False, BADGE_KEY_FILE=str(tmp_path / "new-key.txt"))
    signing = keys.signing_key()
    assert (tmp_path / "new-key.txt").stat().st_mode & 0o777 == 0o600
    assert signing.key.key_id == "key-1" and signing.key.is_active


def test_issue_missing_issues_earned_versions_that_lack_one(make_submission, make_user):
    educator = make_user()
    make_submission(educator=educator, state=State.EARNED)  # earned without the review hook
    make_submission(educator=make_user(), state=State.NOT_YET)
    assert services.issue_missing() == 1
    db.session.commit()
    assert services.issue_missing() == 0
    row = db.session.scalar(select(IssuedCredential))
    assert row.earner_id == educator.id and row.kind == "credential"


def test_holding_every_credential_of_the_stack_issues_the_certificate(earn, make_user, stack):
    from portal.catalog.models import Stack

    educator = make_user(name="Dana Educator")
    digital_equity = db.session.scalar(select(Stack))
    for credential in digital_equity.credentials[:-1]:
        earn(educator, credential.slug)
    assert db.session.scalar(select(IssuedCredential).where(IssuedCredential.kind == "stack")) is None
    earn(educator, digital_equity.credentials[-1].slug)
    certificate = db.session.scalar(select(IssuedCredential).where(IssuedCredential.kind == "stack"))
    document = certificate.document_json
    achievement = document["credentialSubject"]["achievement"]
    assert document["name"] == "Digital Equity" and achievement["achievementType"] == "Certificate"
    assert all(c.title in achievement["criteria"]["narrative"] for c in digital_equity.credentials)
    assert certificate.credential_id is None and certificate.stack_id == digital_equity.id
    assert services.earned_count(stack_id=digital_equity.id) == 1
    assert services.earned_count(credential_id=digital_equity.credentials[0].id) == 1


def test_keygen_retires_the_old_key_and_keeps_it_published(app, tmp_path):
    app.config.update(BADGE_KEY_FILE=str(tmp_path / "key.txt"))
    runner = app.test_cli_runner()
    assert "Made the issuer key key-1" in runner.invoke(args=["badges", "keygen"]).output
    assert "key-1 is in place" in runner.invoke(args=["badges", "keygen", "--if-missing"]).output
    assert "Made the issuer key key-2" in runner.invoke(args=["badges", "keygen"]).output
    published = db.session.scalars(select(IssuerKey).order_by(IssuerKey.id)).all()
    assert [(k.key_id, k.is_active) for k in published] == [("key-1", False), ("key-2", True)]
    assert keys.signing_key().key.key_id == "key-2"


def test_issuing_is_audited(earn, make_user):
    issued = issued_for(earn(make_user()))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "badge.issue"))
    assert (event.subject_type, event.subject_id, event.detail["uuid"]) == ("issued_credentials", issued.id,
                                                                           issued.uuid)
    assert json.loads(issued.document) == issued.document_json
