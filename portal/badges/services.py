"""Issuing, sharing, revoking and verifying Open Badges 3.0 credentials.

Every state change of an issued credential happens here. Services flush; the caller commits.
"""

from dataclasses import dataclass
from datetime import datetime

from portal.badges.models import IssuedCredential


@dataclass(frozen=True)
class Verification:
    signature_ok: bool
    issued: IssuedCredential | None
    status: str  # 'valid', 'revoked', 'unknown' (not issued here) or 'invalid'
    revoked_at: datetime | None = None
    revoked_reason: str = ""
    problem: str | None = None  # in plain words, for the person checking


def issue_for_version(*, version) -> IssuedCredential | None:
    raise NotImplementedError


def issue_missing() -> int:
    raise NotImplementedError


def revoke_credential(*, actor, issued: IssuedCredential, reason: str) -> None:
    raise NotImplementedError


def set_public(*, earner, issued: IssuedCredential, public: bool) -> None:
    raise NotImplementedError


def verify_document(document: dict) -> Verification:
    raise NotImplementedError


def earned_count(*, credential_id: int | None = None, stack_id: int | None = None) -> int:
    raise NotImplementedError
