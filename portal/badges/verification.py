"""Checking a credential file: is it genuine (signed with one of the portal's published keys), unaltered
(the signature covers every field) and current (not revoked on the status list)?

Pure: the caller passes the portal's keys, status list and lookup, so no network and no app are involved.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portal.badges import proof


@dataclass(frozen=True)
class Verification:
    signature_ok: bool
    issued: object | None  # the IssuedCredential with the document's id, when the portal has one (any status)
    status: str  # 'valid', 'revoked', 'unknown' (not issued by this portal) or 'invalid'
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    problem: str | None = None  # what is wrong, in plain words; None when valid


def _invalid(problem: str, signature_ok: bool = False, issued=None) -> Verification:
    return Verification(signature_ok=signature_ok, issued=issued, status="invalid", problem=problem)


def _unknown(problem: str, issued=None) -> Verification:
    return Verification(signature_ok=False, issued=issued, status="unknown", problem=problem)


# Bounds on the work a checked file can cause. Canonicalization grows fast with the number of nodes that
# have no id (blank nodes), so an uploaded file is refused before it is processed if it is far larger than
# any credential the portal issues (a few kilobytes and about twenty such nodes).
MAX_DOCUMENT_CHARS = 100_000
MAX_BLANK_NODES = 200
MAX_DEPTH = 20


def _too_large(document: dict) -> bool:
    if len(json.dumps(document)) > MAX_DOCUMENT_CHARS:
        return True
    blank, stack = 0, [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            blank += "id" not in node and "@id" not in node
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return blank > MAX_BLANK_NODES


def _issuer_id(document: dict):
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def check_document(
    document, *, did: str, keys: dict[str, Ed25519PublicKey], status_list_url: str,
    is_revoked_index: Callable[[int], bool], find_issued: Callable[[str], object | None],
) -> Verification:
    if not isinstance(document, dict):
        return _invalid("This is not a credential: a credential file holds one JSON object.")
    if _too_large(document):
        return _invalid("This file is far larger than a credential of this portal, so it was not checked.")
    # The credential its id names, if any: reported whatever the verdict, never trusted without a good one.
    issued = find_issued(document.get("id"))
    try:
        shape = proof.check_proof_shape(document.get("proof"))
    except proof.ProofError as error:
        return _invalid(str(error), issued=issued)
    method = shape["verificationMethod"]
    if _issuer_id(document) != did or not method.startswith(did + "#"):
        return _unknown("This credential was not issued by this portal.", issued)
    public_key = keys.get(method[len(did) + 1:])
    if public_key is None:
        return _unknown("This credential names a signing key this portal never published.", issued)
    try:
        genuine = proof.verify(document, public_key)
    except proof.ProofError as error:
        return _invalid(str(error), issued=issued)
    if not genuine:
        return _invalid("The signature does not match: the credential was changed after it was issued.",
                        issued=issued)
    if issued is None:
        return Verification(
            signature_ok=True, issued=None, status="unknown",
            problem="The signature checks out, but this portal has no record of issuing this credential.",
        )
    return _check_status(document.get("credentialStatus"), issued, status_list_url, is_revoked_index)


def _check_status(entry, issued, status_list_url: str, is_revoked_index) -> Verification:
    if not isinstance(entry, dict) or entry.get("statusListCredential") != status_list_url:
        return _invalid("The credential does not point at this portal's revocation list.", True, issued)
    index = entry.get("statusListIndex")
    if entry.get("statusPurpose") != "revocation" or not (isinstance(index, str) and index.isdigit()):
        return _invalid("The credential's revocation entry is malformed.", True, issued)
    if int(index) != issued.status_index:
        return _invalid("The credential's revocation entry is not the one it was issued with.", True, issued)
    if is_revoked_index(int(index)) or issued.is_revoked:
        return Verification(
            signature_ok=True, issued=issued, status="revoked", revoked_at=issued.revoked_at,
            revoked_reason=issued.revoked_reason or None,
            problem="The program staff revoked this credential.",
        )
    return Verification(signature_ok=True, issued=issued, status="valid")
