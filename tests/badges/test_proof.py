"""eddsa-rdfc-2022 against the W3C specification's own test vector, and the refusals that keep a
signature meaningful (undefined terms, contexts we do not ship)."""

import copy
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld.jsonld import JsonLdError, JsonLdProcessor

from portal.badges import proof
from portal.badges.contexts import BUNDLED, document_loader, make_loader
from portal.badges.multibase import (
    b58decode,
    b58encode,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_multibase,
)

VECTORS = Path(__file__).parent / "fixtures" / "eddsa-rdfc-2022"
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"


def read(name):
    text = (VECTORS / name).read_text()
    return json.loads(text) if name.endswith((".json", ".jsonld")) else text


@pytest.fixture
def loader():
    return make_loader({EXAMPLES_CONTEXT: read("credentials-examples-v2.jsonld")})


@pytest.fixture
def key_pair():
    pair = read("keyPair.json")
    private_key = Ed25519PrivateKey.from_private_bytes(private_key_from_multibase(pair["privateKeyMultibase"]))
    return private_key, pair["publicKeyMultibase"]


def test_known_answer_proof_value_is_the_specifications(loader, key_pair):
    private_key, _ = key_pair
    config = read("proofConfigDataInt.json")
    signed = proof.sign(
        read("unsigned.json"), private_key=private_key, verification_method=config["verificationMethod"],
        created=config["created"], loader=loader,
    )
    assert signed["proof"]["proofValue"] == (
        "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"
    )
    assert signed == read("signedDataInt.json")


def test_known_answer_canonical_forms_are_the_specifications(loader):
    assert proof.canonize(read("unsigned.json"), loader) == read("canonDocDataInt.txt")
    config = read("proofConfigDataInt.json")
    assert proof.canonize(config, loader) == read("proofCanonDataInt.txt")


def test_known_answer_key_pair_matches(key_pair):
    private_key, public_multibase = key_pair
    assert public_key_multibase(public_key_from_multibase(public_multibase)) == public_multibase
    raw = private_key.public_key().public_bytes_raw()
    assert public_key_multibase(raw) == public_multibase


def test_the_specifications_signed_credential_verifies_and_a_change_does_not(loader, key_pair):
    public_key = key_pair[0].public_key()
    signed = read("signedDataInt.json")
    assert proof.verify(signed, public_key, loader) is True
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["alumniOf"] = "The School of Other Examples"
    assert proof.verify(changed, public_key, loader) is False
    changed = copy.deepcopy(signed)
    changed["proof"]["created"] = "2023-02-24T23:36:39Z"
    assert proof.verify(changed, public_key, loader) is False


def test_an_undefined_term_is_refused_not_silently_unsigned(loader, key_pair):
    document = read("unsigned.json")
    document["@context"] = ["https://www.w3.org/ns/credentials/v2"]  # no @vocab: "alumniOf" is undefined
    with pytest.raises(proof.ProofError, match="alumniOf"):
        proof.canonize(document, loader)


def test_a_context_that_is_not_bundled_is_never_fetched(key_pair):
    document = read("unsigned.json")  # uses the examples context, which the portal does not ship
    with pytest.raises(proof.ProofError, match="not bundled"):
        proof.sign(
            document, private_key=key_pair[0], verification_method="did:example:1#k", created="2024-01-01T00:00:00Z",
        )


def test_bundled_contexts_are_exactly_the_published_urls():
    assert set(BUNDLED) == {
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    }


@pytest.mark.parametrize("data", [b"", b"\0", b"\0\0\1", b"hello world", bytes(range(256))])
def test_base58_round_trips(data):
    assert b58decode(b58encode(data)) == data


def test_an_undefined_type_is_refused(loader):
    document = read("unsigned.json")
    document["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    del document["credentialSubject"]["alumniOf"]
    with pytest.raises(proof.ProofError, match="AlumniCredential"):
        proof.canonize(document, loader)


def test_a_relative_id_is_refused(loader):
    document = read("unsigned.json")
    document["credentialSubject"]["id"] = "abcdefgh"
    with pytest.raises(proof.ProofError, match="absolute"):
        proof.canonize(document, loader)


def pyld_alone(document, loader):
    """canonize as it was before it remembered processed contexts: pyld's own processor, a loader pyld
    cannot tell is fixed, and the refusal run on a separate expansion before normalizing."""

    def unmarked_loader(url, options=None):
        return loader(url, options)

    processor = JsonLdProcessor(on_property_dropped=proof._refuse_dropped)
    try:
        expanded = processor.expand(copy.deepcopy(document), {"documentLoader": unmarked_loader, "base": None})
        proof._refuse_relative_iris(expanded)
        return processor.normalize(expanded, {
            "algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": unmarked_loader,
        })
    except JsonLdError as error:
        while error.__cause__ is not None:
            error = error.__cause__
        raise error from None


def unsecured(issued):
    return {key: value for key, value in issued.document_json.items() if key != "proof"}


def test_canonize_gives_what_pyld_alone_gives_again_and_in_turn(issue, make_user, client, loader):
    documents = [
        (unsecured(issue(make_user(name="Ada One"))), document_loader),
        (unsecured(issue(make_user(name="Bea Two"))), document_loader),
        ({k: v for k, v in client.get("/badges/status/revocation").get_json().items() if k != "proof"},
         document_loader),
        (read("unsigned.json"), loader),
        (read("proofConfigDataInt.json"), loader),
    ]
    expected = [pyld_alone(document, its_loader) for document, its_loader in documents]
    assert len(set(expected)) == len(documents)
    for _ in range(3):  # the first round fills the cache, the others read it, one document after another
        assert [proof.canonize(document, its_loader) for document, its_loader in documents] == expected


def test_an_undefined_term_or_type_is_still_refused_once_the_contexts_are_remembered(issue, make_user):
    document = unsecured(issue(make_user()))
    assert proof.canonize(document) == pyld_alone(document, document_loader)
    for path in ((), ("credentialSubject",), ("credentialSubject", "achievement")):
        changed = copy.deepcopy(document)
        node = changed
        for key in path:
            node = node[key]
        node["favouriteColour"] = "blue"
        for canonicalize in (lambda d: pyld_alone(d, document_loader), proof.canonize):
            with pytest.raises(proof.ProofError, match="favouriteColour"):
                canonicalize(changed)
    changed = copy.deepcopy(document)
    changed["credentialSubject"]["achievement"]["type"] = ["Achievement", "Mystery"]
    with pytest.raises(proof.ProofError, match="Mystery"):
        proof.canonize(changed)
    assert proof.canonize(document) == pyld_alone(document, document_loader)


def test_a_context_written_inside_a_document_is_never_remembered(loader):
    document = read("unsigned.json")
    proof.canonize(document, loader)
    remembered = dict(proof._processed_contexts)
    document["@context"] = [*document["@context"], {"alumniOf": "https://example.org/elsewhere#alumniOf"}]
    assert "https://example.org/elsewhere#alumniOf" in proof.canonize(document, loader)
    document["@context"][-1]["alumniOf"] = "https://example.org/again#alumniOf"
    assert "https://example.org/again#alumniOf" in proof.canonize(document, loader)
    assert proof.canonize(document, loader) == pyld_alone(document, loader)
    assert proof._processed_contexts == remembered
