"""Reading a credential file that someone uploads to be checked: the JSON itself, or a badge PNG with the
credential baked in. Bad files raise UploadProblem with a message to show next to the field."""

import json

from portal.badges.baking import unbake

# A credential is a few kilobytes of JSON; a baked badge adds its image. Both limits are far above any real file
# and low enough that no upload can keep a worker busy.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class UploadProblem(ValueError):
    """The uploaded file cannot be checked; str() is the message for the person who uploaded it."""


def read_limited(stream) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UploadProblem("The file is larger than 2 MB. A credential file or badge image is much smaller.")
    return data


def credential_from_upload(data: bytes) -> dict:
    """The credential in an uploaded file, as a dict: a baked PNG's openbadgecredential chunk, or the JSON."""
    if not data:
        raise UploadProblem("The file is empty. Choose the credential's .json file or its badge .png image.")
    if data.startswith(PNG_SIGNATURE):
        try:
            text = unbake(data)
        except ValueError as damage:
            raise UploadProblem(f"{damage} Download the badge image again, or check the .json file.") from None
        if text is None:
            raise UploadProblem("This PNG image has no credential baked into it. Use the badge image downloaded "
                                "from the portal, or the credential's .json file.")
        return _parse(text.encode("utf-8"))
    return _parse(data)


def _parse(raw: bytes) -> dict:
    if len(raw) > MAX_JSON_BYTES:
        raise UploadProblem("The credential in this file is larger than 256 KB, so it is not one this portal issued.")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UploadProblem("This file is neither a credential (.json) nor a badge image (.png). Choose the file "
                            "downloaded from the credential's page.") from None
    if not isinstance(document, dict) or "proof" not in document or "credentialSubject" not in document:
        raise UploadProblem("This JSON file is not a signed credential: it has no credentialSubject or no proof.")
    return document
