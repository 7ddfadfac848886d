"""The status of a credential in plain words: the public page's line and the file check's three answers."""

from datetime import datetime
from types import SimpleNamespace

import pytest

from portal.badges import verdict

REVOKED_AT = datetime(2026, 10, 2, 9, 30)


def checked(status, signature_ok=True, issued=None, reason=""):
    return SimpleNamespace(status=status, signature_ok=signature_ok, issued=issued, revoked_at=REVOKED_AT
                           if status == "revoked" else None, revoked_reason=reason, problem=None)


def answers(result) -> list[tuple[str, bool | None]]:
    return [(check.label, check.passed) for check in result.checks]


def test_status_valid_says_the_signature_checks_out_and_not_revoked():
    result = verdict.status(checked("valid"))
    assert (result.tone, result.headline) == ("valid", "Valid: the signature checks out and it has not been revoked")


def test_status_revoked_gives_the_date_and_the_reason():
    result = verdict.status(checked("revoked", reason="Plagiarised plan"))
    assert (result.tone, result.headline, result.reason) == ("revoked", "Revoked on 2 October 2026", "Plagiarised plan")


def test_status_revoked_can_leave_the_reason_out():
    assert verdict.status(checked("revoked", reason="Plagiarised plan"), show_reason=False).reason == ""


@pytest.mark.parametrize(("status", "signature_ok", "tone"), [
    ("invalid", False, "invalid"), ("revoked", False, "invalid"), ("unknown", True, "unknown"),
])
def test_status_other_cases(status, signature_ok, tone):
    assert verdict.status(checked(status, signature_ok)).tone == tone


def test_file_check_of_a_valid_file_answers_yes_three_times():
    result = verdict.file_check(checked("valid"), show_reason=True)
    assert result.headline == "Genuine, unaltered and current."
    assert answers(result) == [("Genuine", True), ("Unaltered", True), ("Current", True)]


def test_file_check_of_a_revoked_file_says_revoked_with_the_date():
    result = verdict.file_check(checked("revoked", reason="Issued in error"), show_reason=True)
    assert result.headline.startswith("Revoked on 2 October 2026.")
    assert result.reason == "Issued in error"
    assert answers(result) == [("Genuine", True), ("Unaltered", True), ("Current", False)]
    assert verdict.file_check(checked("revoked", reason="Issued in error"), show_reason=False).reason == ""


def test_file_check_of_an_altered_copy_of_a_known_credential_says_altered():
    result = verdict.file_check(checked("invalid", signature_ok=False, issued=object()), show_reason=True)
    assert result.tone == "invalid"
    assert result.headline.startswith("Altered")
    assert answers(result) == [("Genuine", False), ("Unaltered", False), ("Current", None)]


def test_file_check_of_a_stranger_file_says_not_genuine():
    result = verdict.file_check(checked("invalid", signature_ok=False), show_reason=True)
    assert result.headline.startswith("Not genuine")
    assert answers(result) == [("Genuine", False), ("Unaltered", None), ("Current", None)]


def test_file_check_with_an_unknown_status():
    result = verdict.file_check(checked("unknown"), show_reason=True)
    assert answers(result) == [("Genuine", True), ("Unaltered", True), ("Current", None)]

