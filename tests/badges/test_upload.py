"""Reading an uploaded credential file: the JSON, or a badge PNG with the credential baked in."""

import io
import json

import pytest
from PIL import Image

from portal.badges.baking import bake
from portal.badges.upload import MAX_FILE_BYTES, UploadProblem, credential_from_upload, read_limited

CREDENTIAL = {"id": "urn:uuid:1", "credentialSubject": {"name": "Dana"}, "proof": {"proofValue": "z5"}}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (10, 90, 160, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def test_json_file_gives_the_credential():
    assert credential_from_upload(json.dumps(CREDENTIAL).encode()) == CREDENTIAL


def test_json_file_with_a_byte_order_mark_gives_the_credential():
    assert credential_from_upload(b"\xef\xbb\xbf" + json.dumps(CREDENTIAL).encode()) == CREDENTIAL


def test_baked_png_gives_the_credential_inside():
    assert credential_from_upload(bake(png(), json.dumps(CREDENTIAL))) == CREDENTIAL


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"%PDF-1.4 not a credential", "neither a credential"),
    (b"\xff\xfe\x00garbage", "neither a credential"),
    (b"[" * 100_000 + b"]" * 100_000, "neither a credential"),
    (b'{"id": "urn:uuid:1"}', "not a signed credential"),
    (b'["proof", "credentialSubject"]', "not a signed credential"),
    (b"x" * 300_000, "larger than 256 KB"),
])
def test_bad_files_are_refused_with_a_plain_message(data, message):
    with pytest.raises(UploadProblem, match=message):
        credential_from_upload(data)


def test_png_without_a_credential_is_refused():
    with pytest.raises(UploadProblem, match="has no credential baked into it"):
        credential_from_upload(png())


def test_damaged_png_is_refused():
    baked = bytearray(bake(png(), json.dumps(CREDENTIAL)))
    baked[-30] ^= 0xFF  # inside the credential chunk: its checksum no longer matches
    with pytest.raises(UploadProblem, match="Download the badge image again"):
        credential_from_upload(bytes(baked))


def test_png_with_something_else_baked_in_is_refused():
    with pytest.raises(UploadProblem, match="neither a credential"):
        credential_from_upload(bake(png(), "not json"))


def test_read_limited_refuses_a_file_over_the_limit():
    assert read_limited(io.BytesIO(b"x" * MAX_FILE_BYTES)) == b"x" * MAX_FILE_BYTES
    with pytest.raises(UploadProblem, match="larger than 2 MB"):
        read_limited(io.BytesIO(b"x" * (MAX_FILE_BYTES + 1)))
