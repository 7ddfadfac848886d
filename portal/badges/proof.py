"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C "Data Integrity EdDSA Cryptosuites v1.0").

Both the document and the proof options are canonicalized with RDF Dataset Canonicalization (RDFC-1.0,
the algorithm pyld calls URDNA2015), each hashed with SHA-256; Ed25519 signs the proof options' hash followed
by the document's hash. The signature is written base58btc multibase. Pure functions: no app, no database.
"""

import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld.jsonld import JsonLdError, JsonLdProcessor

from portal.badges.contexts import document_loader
from portal.badges.multibase import decode_z, encode_z

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
DATETIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class ProofError(Exception):
    """The document or its proof cannot be processed; the message says why in plain words."""


def _refuse_dropped(term) -> None:
    # A property the contexts do not define would be left out of the canonical form, so a signature would
    # not cover it: refuse instead (what jsonld.js calls "safe mode").
    raise ProofError(f"The document uses a term its contexts do not define: {term!r}.")


def _refuse_relative_iris(node) -> None:
    # An undefined type, or an id that is not an absolute address, would not canonicalize the same way in
    # every processor (pyld resolves it against a made-up base, jsonld.js drops it): refuse it.
    if isinstance(node, list):
        for item in node:
            _refuse_relative_iris(item)
    elif isinstance(node, dict):
        types = node.get("@type") if isinstance(node.get("@type"), list) else []
        for value in types:
            if ":" not in value:
                raise ProofError(f"The document uses a type its contexts do not define: {value!r}.")
        if isinstance(node.get("@id"), str) and ":" not in node["@id"]:
            raise ProofError(f"The document uses an id that is not an absolute address: {node['@id']!r}.")
        for key, value in node.items():
            if key not in ("@type", "@id", "@value"):
                _refuse_relative_iris(value)


def canonize(document: dict, loader=None) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    processor = JsonLdProcessor(on_property_dropped=_refuse_dropped)
    options = {
        "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader or document_loader,
    }
    try:
        expanded = processor.expand(document, {"documentLoader": options["documentLoader"], "base": None})
        _refuse_relative_iris(expanded)
        return processor.normalize(expanded, options)
    except JsonLdError as error:
        deepest = error
        while deepest.__cause__ is not None:
            deepest = deepest.__cause__
        if isinstance(deepest, ProofError):
            raise deepest from None
        reason = deepest.args[0] if deepest.args else str(deepest)
        raise ProofError(f"The document is not valid JSON-LD for its contexts: {reason}") from None


def hash_data(document: dict, proof_options: dict, loader=None) -> bytes:
    """SHA-256 of the canonical proof options, then SHA-256 of the canonical document (without its proof)."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {**proof_options, "@context": document["@context"]}
    return hashlib.sha256(canonize(config, loader).encode()).digest() + hashlib.sha256(
        canonize(unsecured, loader).encode()
    ).digest()


def proof_options(*, verification_method: str, created: str) -> dict:
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }


def sign(document: dict, *, private_key: Ed25519PrivateKey, verification_method: str, created: str,
         loader=None) -> dict:
    """A copy of document with a DataIntegrityProof. created is an XML Schema dateTime ("2026-01-02T03:04:05Z")."""
    options = proof_options(verification_method=verification_method, created=created)
    signature = private_key.sign(hash_data(document, options, loader))
    return {**document, "proof": {**options, "proofValue": encode_z(signature)}}


def check_proof_shape(proof) -> dict:
    """The proof if it is one this cryptosuite verifies; otherwise ProofError saying what is wrong."""
    if not isinstance(proof, dict):
        raise ProofError("The credential has no proof (or more than one).")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"The proof is not a {PROOF_TYPE} of the {CRYPTOSUITE} cryptosuite.")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("The proof's purpose is not assertionMethod.")
    if not isinstance(proof.get("verificationMethod"), str):
        raise ProofError("The proof does not name its key.")
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and DATETIME_RE.match(created)):
        raise ProofError("The proof's creation time is not a date and time.")
    if not isinstance(proof.get("proofValue"), str):
        raise ProofError("The proof has no signature value.")
    return proof


def verify(document: dict, public_key: Ed25519PublicKey, loader=None) -> bool:
    """True when document's proof is a valid eddsa-rdfc-2022 signature by public_key. Raises ProofError
    when the document cannot be checked at all (no proof, an undefined term, a context we do not ship)."""
    if not isinstance(document, dict) or "@context" not in document:
        raise ProofError("This is not a JSON-LD credential (it has no @context).")
    proof = check_proof_shape(document.get("proof"))
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    try:
        signature = decode_z(proof["proofValue"])
    except ValueError:
        return False
    if len(signature) != 64:
        return False
    try:
        public_key.verify(signature, hash_data(document, options, loader))
    except InvalidSignature:
        return False
    return True
