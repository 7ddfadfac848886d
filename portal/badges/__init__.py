"""Open Badges 3.0: issuing signed credentials for earned work, publishing the keys and the revocation list,
and checking credential files.

services.py is the interface (issue_for_version, issue_missing, revoke_credential, set_public,
verify_document, earned_count); documents.py builds the credential, proof.py signs it (eddsa-rdfc-2022),
keys.py holds the issuer key, status.py the Bitstring Status List, contexts/ the bundled JSON-LD contexts,
links.py every address a credential contains, views.py the DID document and the list.
"""
