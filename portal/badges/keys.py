"""The issuer's Ed25519 keys: the private key lives outside the database and the repository (a file under
instance/ by default, BADGE_KEY_FILE for another path, or the value itself in BADGE_PRIVATE_KEY); its public
half, and every retired one, are published in the DID document through the issuer_keys table."""

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from flask import current_app
from sqlalchemy import select, update

from portal.audit import utcnow
from portal.badges.models import IssuerKey
from portal.badges.multibase import (
    private_key_from_multibase,
    private_key_multibase,
    public_key_from_multibase,
    public_key_multibase,
)
from portal.extensions import db

DEFAULT_KEY_FILENAME = "badge-issuer-key.txt"


class IssuerKeyMissing(RuntimeError):
    """No usable issuer key: nothing can be signed until an administrator makes one."""


@dataclass(frozen=True)
class SigningKey:
    key: IssuerKey
    private_key: Ed25519PrivateKey


def key_file() -> Path:
    configured = current_app.config.get("BADGE_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / DEFAULT_KEY_FILENAME


def encode_private(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return private_key_multibase(raw)


def encode_public(public_key: Ed25519PublicKey) -> str:
    return public_key_multibase(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def decode_public(multibase: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_key_from_multibase(multibase))


def configured_private_key() -> Ed25519PrivateKey | None:
    """The private key from BADGE_PRIVATE_KEY, else from the key file; None when neither holds one."""
    value = current_app.config.get("BADGE_PRIVATE_KEY") or ""
    source = "BADGE_PRIVATE_KEY"
    if not value:
        path = key_file()
        if not path.exists():
            return None
        value, source = path.read_text(encoding="utf-8").strip(), str(path)
    try:
        return Ed25519PrivateKey.from_private_bytes(private_key_from_multibase(value.strip()))
    except ValueError as error:
        raise IssuerKeyMissing(f"The issuer key in {source} is unreadable ({error}).") from None


def write_key_file(private_key: Ed25519PrivateKey) -> Path:
    """Write the private key where the portal reads it, readable by its owner only."""
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(encode_private(private_key) + "\n")
    return path


def published_keys() -> list[IssuerKey]:
    """Every key ever used, active and retired, oldest first: what the DID document lists."""
    return list(db.session.scalars(select(IssuerKey).order_by(IssuerKey.id)))


def register(public_key: Ed25519PublicKey) -> IssuerKey:
    """Publish public_key as the active key; the previous active key is retired but stays published."""
    db.session.execute(update(IssuerKey).where(IssuerKey.retired_at.is_(None)).values(retired_at=utcnow()))
    count = db.session.scalar(select(db.func.count(IssuerKey.id))) or 0
    key = IssuerKey(key_id=f"key-{count + 1}", public_key_multibase=encode_public(public_key))
    db.session.add(key)
    db.session.flush()
    return key


def generate() -> tuple[IssuerKey, Ed25519PrivateKey]:
    """A new key pair: published as the active key, the private half written to the key file."""
    private_key = Ed25519PrivateKey.generate()
    if not current_app.config.get("BADGE_PRIVATE_KEY"):
        write_key_file(private_key)
    return register(private_key.public_key()), private_key


def signing_key() -> SigningKey:
    """The active key with its private half. A configured key not yet published is published (that is how a
    key set through BADGE_PRIVATE_KEY, or a new file, takes over). Outside production a missing key is made;
    production refuses, as a key made on the fly would be lost with the next deployment."""
    private_key = configured_private_key()
    if private_key is None:
        if current_app.config.get("BADGE_REQUIRE_KEY"):
            raise IssuerKeyMissing(
                "The portal has no issuer key, so it cannot sign credentials. Run `flask badges keygen` "
                f"(it writes {key_file()}), or set BADGE_KEY_FILE or BADGE_PRIVATE_KEY."
            )
        key, private_key = generate()
        return SigningKey(key, private_key)
    public = encode_public(private_key.public_key())
    key = db.session.scalar(select(IssuerKey).where(IssuerKey.public_key_multibase == public))
    if key is None:
        key = register(private_key.public_key())
    elif key.retired_at is not None:
        raise IssuerKeyMissing(f"The configured issuer key ({key.key_id}) was retired; configure the active key.")
    return SigningKey(key, private_key)
