"""The revocation list: a W3C Bitstring Status List credential, built from the database when asked.

Bit i (counting from the left of the first byte) is set when the credential with status_index i is revoked.
The list has STATUS_LIST_SIZE entries, the specification's minimum, so that a list says nothing about how
many credentials exist; indexes are drawn at random so that they say nothing about issue order.
"""

import base64
import gzip
from datetime import datetime

from sqlalchemy import func, select

from portal.badges import links, proof
from portal.badges.contexts import CREDENTIALS_V2
from portal.badges.documents import xsd_datetime
from portal.badges.keys import published_keys, signing_key
from portal.badges.models import STATUS_LIST_SIZE, IssuedCredential
from portal.extensions import db

_signed_lists: dict[tuple, dict] = {}  # (revoked indexes, key) -> signed list; the key changes on revoke


def encode_bits(indexes: list[int], size: int = STATUS_LIST_SIZE) -> str:
    """GZIP, then base64url without padding, with the multibase prefix 'u'."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_bits(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("the encoded list is not base64url multibase")
    text = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def bit_is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def current_bits() -> bytes:
    """The list's bits as they stand now, straight from the database: what checking a status needs,
    without the signing key."""
    indexes, _ = revoked_indexes()
    return decode_bits(encode_bits(indexes))


def revoked_indexes() -> tuple[list[int], datetime | None]:
    rows = db.session.execute(
        select(IssuedCredential.status_index).where(IssuedCredential.revoked_at.is_not(None))
        .order_by(IssuedCredential.status_index)
    )
    latest = db.session.scalar(select(func.max(IssuedCredential.revoked_at)))
    return [index for (index,) in rows], latest


def unsigned_list(indexes: list[int], valid_from: datetime) -> dict:
    url = links.status_list_url()
    return {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": links.issuer_did(),
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bits(indexes),
        },
    }


def status_list_credential() -> dict:
    """The signed list as it stands now. It is dated by the latest revocation (or the first key), so every
    app server builds the identical document, and rebuilt only when that changes."""
    indexes, latest = revoked_indexes()
    key = signing_key()
    valid_from = latest or published_keys()[0].created_at
    cache_key = (links.status_list_url(), tuple(indexes), key.key.public_key_multibase, valid_from)
    if cache_key not in _signed_lists:
        _signed_lists.clear()
        document = unsigned_list(indexes, valid_from)
        _signed_lists[cache_key] = proof.sign(
            document, private_key=key.private_key, verification_method=links.verification_method(key.key.key_id),
            created=xsd_datetime(valid_from),
        )
    return _signed_lists[cache_key]
