"""What an Open Badges 3.0 credential says, read for people: the earner's name, the achievement, the issuer, the
date and the result of every part. Pure functions of the JSON document, no Flask and no database.

The document may come from anyone (an uploaded file), so every field is read defensively: a missing or oddly
typed field gives an empty value, never an exception. The earner's e-mail is never read: it is only present as a
salted hash, and nothing here looks at identifiers other than the name."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PartResult:
    name: str
    value: str


@dataclass(frozen=True)
class CredentialSummary:
    credential_id: str  # the document's id, e.g. "urn:uuid:..."
    name: str  # of the achievement, e.g. "Foundations of Digital Equity"
    kind: str  # the achievementType, e.g. "MicroCredential" or "Certificate"
    earner: str
    issuer: str
    issuer_url: str
    creator: str  # who made the achievement (CoSN for Digital Equity)
    achievement_url: str
    valid_from: datetime | None
    results: list[PartResult] = field(default_factory=list)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _text(value, limit: int = 500) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _subject(document: dict) -> dict:
    # VC 2.0 allows a list of subjects; an Open Badge has one.
    subject = document.get("credentialSubject")
    return _dict(subject[0] if isinstance(subject, list) and subject else subject)


def earner_name(subject: dict) -> str:
    """The IdentityObject of identityType "name" that is not hashed (the e-mail one always is)."""
    for identity in _list(subject.get("identifier")):
        identity = _dict(identity)
        if identity.get("identityType") == "name" and identity.get("hashed") is False:
            return _text(identity.get("identityHash"), 200)
    return _text(subject.get("name"), 200)


def parse_time(value) -> datetime | None:
    """An XML Schema dateTime as VC 2.0 writes it ("2026-11-30T11:35:01Z"), as naive UTC like the database."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    offset = parsed.utcoffset()
    return (parsed - offset).replace(tzinfo=None) if offset is not None else parsed


def part_results(achievement: dict, subject: dict) -> list[PartResult]:
    """One line per ResultDescription of the achievement, in its order, with the subject's Result for it."""
    values = {}
    for result in _list(subject.get("result")):
        result = _dict(result)
        key = result.get("resultDescription")
        if isinstance(key, str):
            values[key] = _text(result.get("value"), 100)
    lines = []
    for description in _list(achievement.get("resultDescription"))[:50]:
        description = _dict(description)
        name = _text(description.get("name"), 300)
        if name:
            lines.append(PartResult(name=name, value=values.get(description.get("id"), "")))
    return lines


def summarize(document: dict) -> CredentialSummary:
    subject = _subject(document)
    achievement = _dict(subject.get("achievement"))
    issuer = document.get("issuer")
    issuer = _dict(issuer) if not isinstance(issuer, str) else {"id": issuer}
    return CredentialSummary(
        credential_id=_text(document.get("id"), 200),
        name=_text(achievement.get("name"), 300) or _text(document.get("name"), 300),
        kind=_text(achievement.get("achievementType"), 100),
        earner=earner_name(subject),
        issuer=_text(issuer.get("name"), 300),
        issuer_url=_text(issuer.get("url"), 500),
        creator=_text(_dict(achievement.get("creator")).get("name"), 300),
        achievement_url=_text(achievement.get("id"), 500),
        valid_from=parse_time(document.get("validFrom")),
        results=part_results(achievement, subject),
    )
