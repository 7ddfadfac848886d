"""What the portal publishes for issued credentials: its DID document and the revocation list credential.

Both are read by wallets and verifiers anywhere, so they are public, cacheable only briefly, and CORS-open.
"""

from flask import Blueprint, abort, current_app, jsonify

from portal.badges import links, models  # noqa: F401 -- models: the tables exist whenever the app does
from portal.badges.keys import IssuerKeyMissing, published_keys
from portal.badges.status import status_list_credential
from portal.extensions import db

bp = Blueprint("badges", __name__)


def did_document() -> dict:
    """Every published key, active and retired, as a Multikey able to assert credentials."""
    did = links.issuer_did()
    methods = [
        {"id": f"{did}#{key.key_id}", "type": "Multikey", "controller": did,
         "publicKeyMultibase": key.public_key_multibase}
        for key in published_keys()
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def _public_json(document: dict, content_type: str):
    response = jsonify(document)
    response.content_type = content_type
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/.well-known/did.json")
@bp.get("/did.json")  # where did:web resolves when PORTAL_URL has a path
def did_json():
    return _public_json(did_document(), "application/did+json")


@bp.get("/badges/status/revocation")
def status_list():
    try:
        document = status_list_credential()
    except IssuerKeyMissing:
        current_app.logger.error("The revocation list cannot be signed: the portal has no issuer key.")
        abort(503)
    db.session.commit()  # a key made or published on first use stays published
    return _public_json(document, "application/vc+ld+json")
