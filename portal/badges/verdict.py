"""A Verification (portal.badges.services.verify_document) in plain words, for the public page and the file
check. Pure: no Flask, no database."""

from dataclasses import dataclass
from datetime import datetime

VALID = "Valid: the signature checks out and it has not been revoked"
NOT_SHARED = "Not shared"


@dataclass(frozen=True)
class Check:
    label: str  # "Genuine", "Unaltered", "Current"
    passed: bool | None  # None: it cannot be told
    text: str

    @property
    def answer(self) -> str:
        return {True: "Yes", False: "No", None: "Cannot tell"}[self.passed]


@dataclass(frozen=True)
class Verdict:
    tone: str  # "valid", "revoked", "invalid" or "unknown": the CSS class of the status box
    headline: str
    reason: str = ""  # the staff's reason for a revocation, when one was given and may be shown
    checks: tuple[Check, ...] = ()
    problem: str = ""  # what the check found wrong, in plain words, when it is not valid


def long_date(moment: datetime | None) -> str:
    return f"{moment.day} {moment:%B %Y}" if moment else "an unknown date"


def status(verification, *, show_reason: bool = True) -> Verdict:
    """The status line of the public page: valid, revoked on a date (with the reason), or what is wrong."""
    if verification.status == "valid":
        return Verdict("valid", VALID)
    if verification.status == "revoked" and verification.signature_ok:
        reason = (verification.revoked_reason or "") if show_reason else ""
        return Verdict("revoked", f"Revoked on {long_date(verification.revoked_at)}", reason=reason)
    problem = verification.problem or ""
    if not verification.signature_ok:
        return Verdict("invalid", "Not valid: the signature does not check out", problem=problem)
    return Verdict("unknown", "Status unknown: the portal cannot tell whether it was revoked", problem=problem)


def file_check(verification, *, show_reason: bool) -> Verdict:
    """The answer for an uploaded file: is it genuine (signed with the portal's key), unaltered (the signature
    covers every field) and current (not revoked). When the signature fails but the portal issued a credential
    with the file's id (verification.issued), the file is an altered copy of it."""
    if not verification.signature_ok:
        return _bad_signature(verification, verification.issued is not None)
    genuine = Check("Genuine", True, "It was signed with this portal's published key.")
    unaltered = Check("Unaltered", True, "Nothing in it has changed since it was issued.")
    if verification.status == "valid":
        current = Check("Current", True, "It has not been revoked.")
        return Verdict("valid", "Genuine, unaltered and current.", checks=(genuine, unaltered, current))
    if verification.status == "revoked":
        when = long_date(verification.revoked_at)
        current = Check("Current", False, f"It was revoked on {when}.")
        reason = (verification.revoked_reason or "") if show_reason else ""
        return Verdict("revoked", f"Revoked on {when}. The file is genuine and unaltered, but it no longer counts.",
                       reason=reason, checks=(genuine, unaltered, current))
    current = Check("Current", None, "The portal cannot say whether it was revoked.")
    return Verdict("unknown", "Genuine and unaltered, but its status is unknown.", checks=(genuine, unaltered, current),
                   problem=verification.problem or "")


def _bad_signature(verification, is_known_id: bool) -> Verdict:
    not_checked = Check("Current", None, "Not checked: a file that fails its signature proves nothing.")
    if is_known_id:
        checks = (
            Check("Genuine", False, "The signature does not match this file's content."),
            Check("Unaltered", False, "This portal issued a credential with this ID, but something in this file "
                                      "was changed after it was issued."),
            not_checked,
        )
        return Verdict("invalid", "Altered: this is not the credential as it was issued. Do not rely on it.",
                       checks=checks, problem=verification.problem or "")
    checks = (
        Check("Genuine", False, "The signature does not check out with this portal's published keys: the portal "
                                "did not issue it, or it was changed."),
        Check("Unaltered", None, "It cannot be told without a signature that checks out."),
        not_checked,
    )
    return Verdict("invalid", "Not genuine: this portal cannot confirm this credential. Do not rely on it.",
                   checks=checks, problem=verification.problem or "")
