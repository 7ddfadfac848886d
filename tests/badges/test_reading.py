"""Reading what an Open Badges 3.0 document says, for the public page and the file check."""

from datetime import datetime

import pytest

from portal.badges.reading import PartResult, parse_time, summarize

EMAIL_HASH = "sha256$0f3a6c2b9d"


def document() -> dict:
    part = "https://portal.example.org/stacks/digital-equity/foundations#part-"
    return {
        "id": "urn:uuid:2f1c7a52-4b0e-4d4e-9f7e-0d6a1b2c3d4e",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Foundations of Digital Equity",
        "validFrom": "2026-09-30T14:05:00Z",
        "issuer": {"id": "did:web:portal.example.org", "type": ["Profile"], "name": "Digital Equity Program",
                   "url": "https://portal.example.org/"},
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "identityHash": EMAIL_HASH},
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Dana Whitfield"},
            ],
            "achievement": {
                "id": "https://portal.example.org/stacks/digital-equity/foundations",
                "type": ["Achievement"], "achievementType": "MicroCredential",
                "name": "Foundations of Digital Equity",
                "creator": {"id": "https://www.cosn.org/", "type": ["Profile"], "name": "CoSN"},
                "resultDescription": [
                    {"id": part + "1", "type": ["ResultDescription"], "name": "Part 1. Overview"},
                    {"id": part + "2", "type": ["ResultDescription"], "name": "Part 2. Evidence"},
                ],
            },
            "result": [
                {"type": ["Result"], "resultDescription": part + "2", "value": "Yes"},
                {"type": ["Result"], "resultDescription": part + "1", "value": "Yes"},
            ],
        },
        "proof": {"type": "DataIntegrityProof"},
    }


def test_summarize_reads_every_fact_of_the_credential():
    summary = summarize(document())
    assert summary.credential_id == "urn:uuid:2f1c7a52-4b0e-4d4e-9f7e-0d6a1b2c3d4e"
    assert summary.name == "Foundations of Digital Equity"
    assert summary.kind == "MicroCredential"
    assert summary.earner == "Dana Whitfield"
    assert (summary.issuer, summary.issuer_url) == ("Digital Equity Program", "https://portal.example.org/")
    assert summary.creator == "CoSN"
    assert summary.valid_from == datetime(2026, 9, 30, 14, 5)
    # In the achievement's order, each matched to the subject's result by its id.
    assert summary.results == [PartResult("Part 1. Overview", "Yes"), PartResult("Part 2. Evidence", "Yes")]


def test_summarize_never_takes_the_hashed_email_for_the_name():
    doc = document()
    doc["credentialSubject"]["identifier"] = doc["credentialSubject"]["identifier"][:1]
    summary = summarize(doc)
    assert summary.earner == ""
    assert EMAIL_HASH not in repr(summary)


@pytest.mark.parametrize("junk", [
    {}, {"credentialSubject": "text"}, {"credentialSubject": [None]}, {"issuer": 5, "validFrom": 7},
    {"credentialSubject": {"identifier": "x", "achievement": [], "result": [5, {"resultDescription": []}]}},
    {"credentialSubject": {"achievement": {"resultDescription": [None, {"name": 3}, {"name": "Part A"}]}}},
])
def test_summarize_of_an_odd_document_gives_empty_values_not_an_error(junk):
    summary = summarize(junk)
    assert summary.earner == ""
    assert all(part.value == "" for part in summary.results)


def test_summarize_takes_the_issuer_given_as_a_bare_id():
    summary = summarize({**document(), "issuer": "did:web:portal.example.org"})
    assert summary.issuer == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-09-30T14:05:00Z", datetime(2026, 9, 30, 14, 5)),
    ("2026-09-30T16:05:00+02:00", datetime(2026, 9, 30, 14, 5)),
    ("2026-09-30T14:05:00", datetime(2026, 9, 30, 14, 5)),
    ("yesterday", None), (20260930, None), ("9" * 50, None),
])
def test_parse_time_gives_naive_utc(text, expected):
    assert parse_time(text) == expected
