"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C "Data Integrity EdDSA Cryptosuites v1.0").

Both the document and the proof options are canonicalized with RDF Dataset Canonicalization (RDFC-1.0,
the algorithm pyld calls URDNA2015), each hashed with SHA-256; Ed25519 signs the proof options' hash followed
by the document's hash. The signature is written base58btc multibase. Pure functions: no app, no database.
"""

import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from frozendict import frozendict
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


# What pyld made of a fixed context on top of a fixed active context, kept across calls (cleared when full), and
# the _uuid of each result: contexts made only of fixed contexts, on which a fixed context may be remembered.
_processed_contexts: dict[tuple, frozendict] = {}
_fixed_uuids: set[str] = set()
_PROCESSED_CONTEXTS_MAX = 500


class _Processor(JsonLdProcessor):
    """pyld's processor, refusing what a signature would not cover, and remembering across calls what it makes of
    contexts that never change.

    The refusal runs on the expansion that normalize makes itself: expanding an already expanded document again
    (as canonize did before) gives it back unchanged, and took nearly half of the time that remained.

    pyld processes the VC 2.0 and OB 3.0 contexts again for every document, and their type-scoped contexts again
    for every typed node (its own cache misses: each document gets new context objects, each type-scoped context
    is applied to a fresh copy): half of canonize's time. The result of processing depends only on the
    active context (pyld names each by a _uuid it never reuses, and never changes a context once it has one), the
    local context, the loader, the base and the flags; it is a frozendict that pyld never changes. So when both
    contexts are fixed (the active one is pyld's initial context or such a result; the local one is a URL or an
    object inside the documents the loader lists as fixed) the result is shared. A context written inside a
    document, and all that follows from it, is processed afresh every time, as are pyld's inner calls (with
    `cycles`), which see half-built contexts. Undefined terms are refused while expanding, not here.
    """

    def expand(self, input_, options):
        expanded = super().expand(input_, options)
        _refuse_relative_iris(expanded)
        return expanded

    def _process_context(self, active_ctx, local_ctx, options, override_protected=False, propagate=True,
                         validate_scoped=True, cycles=None):
        key = None
        if cycles is None and self._is_fixed(active_ctx, options):
            key = _fixed_context_key(local_ctx, options["documentLoader"])
        if key is None:
            return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                            validate_scoped, cycles)
        key = (active_ctx["_uuid"], key, options.get("base"), override_protected, propagate, validate_scoped)
        processed = _processed_contexts.get(key)
        if processed is None:
            processed = super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                                 validate_scoped)
            if isinstance(processed, frozendict):
                if len(_processed_contexts) >= _PROCESSED_CONTEXTS_MAX:
                    _processed_contexts.clear()
                    _fixed_uuids.clear()
                _processed_contexts[key] = processed
                _fixed_uuids.add(processed["_uuid"])
        return processed

    def _is_fixed(self, active_ctx, options) -> bool:
        return active_ctx is self._get_initial_context(options) or active_ctx.get("_uuid") in _fixed_uuids


def _fixed_context_key(local_ctx, loader):
    """A key naming local_ctx if it cannot change (URLs or objects the loader serves unchanged), else None."""
    fixed = getattr(loader, "fixed_objects", None)
    if fixed is None:
        return None
    if isinstance(local_ctx, str):
        return loader, local_ctx
    if isinstance(local_ctx, list) and all(isinstance(item, str) for item in local_ctx):
        return loader, tuple(local_ctx)
    if id(local_ctx) in fixed:
        return loader, id(local_ctx)
    return None


def canonize(document: dict, loader=None) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    processor = _Processor(on_property_dropped=_refuse_dropped)
    options = {
        "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader or document_loader,
        "base": None,
    }
    try:
        return processor.normalize(document, options)
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
