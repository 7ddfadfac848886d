"""Open Badges 3.0 baking: one uncompressed openbadgecredential iTXt chunk that gives back the exact JSON."""

import io
import json
import struct
import zlib

import pytest
from PIL import Image

from portal.badges.baking import KEYWORD, bake, unbake

CREDENTIAL = json.dumps({"id": "urn:uuid:1", "name": "Créer un plan « équité » & more", "proof": {"v": "z5"}})


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (10, 90, 160, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        found.append((png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]))
        offset += 12 + length
    return found


def credential_chunks(png: bytes) -> list[bytes]:
    return [data for kind, data in chunks(png) if kind == b"iTXt" and data.startswith(KEYWORD + b"\x00")]


def test_bake_round_trip_gives_identical_json():
    assert unbake(bake(png_bytes(), CREDENTIAL)) == CREDENTIAL


def test_bake_writes_exactly_one_uncompressed_itxt_chunk_before_iend():
    baked = bake(png_bytes(), CREDENTIAL)
    [data] = credential_chunks(baked)
    assert data[len(KEYWORD) + 1] == 0  # compression flag
    assert data[len(KEYWORD) + 2] == 0  # compression method
    assert data.endswith(CREDENTIAL.encode())
    assert [kind for kind, _ in chunks(baked)][-2:] == [b"iTXt", b"IEND"]


def test_bake_again_replaces_the_earlier_credential():
    twice = bake(bake(png_bytes(), "old"), CREDENTIAL)
    assert len(credential_chunks(twice)) == 1
    assert unbake(twice) == CREDENTIAL


def test_baked_png_still_opens_in_pillow():
    image = Image.open(io.BytesIO(bake(png_bytes(), CREDENTIAL)))
    image.load()
    assert image.size == (8, 8)
    assert image.text["openbadgecredential"] == CREDENTIAL


def test_unbake_plain_png_is_none():
    assert unbake(png_bytes()) is None


def test_unbake_reads_a_compressed_chunk_from_another_baker():
    itxt = KEYWORD + b"\x00\x01\x00\x00\x00" + zlib.compress(CREDENTIAL.encode())
    chunk = struct.pack(">I", len(itxt)) + b"iTXt" + itxt + struct.pack(">I", zlib.crc32(b"iTXt" + itxt))
    png = png_bytes()
    assert unbake(png[:-12] + chunk + png[-12:]) == CREDENTIAL


@pytest.mark.parametrize(
    "damage",
    [
        lambda png: b"",
        lambda png: b"GIF89a" + png[6:],
        lambda png: png[:40],
        lambda png: png[:-12],  # no IEND
        lambda png: png[:20] + bytes([png[20] ^ 0xFF]) + png[21:],  # header checksum wrong
        lambda png: png[:8] + struct.pack(">I", 0xFFFFFFF0) + png[12:],  # a chunk longer than the file
    ],
)
def test_unbake_damaged_png_raises_value_error(damage):
    with pytest.raises(ValueError):
        unbake(damage(bake(png_bytes(), CREDENTIAL)))


def test_bake_refuses_what_is_not_png():
    with pytest.raises(ValueError, match="not a PNG"):
        bake(b"%PDF-1.4", CREDENTIAL)


def test_unbake_refuses_a_compression_bomb():
    itxt = KEYWORD + b"\x00\x01\x00\x00\x00" + zlib.compress(b" " * (3 * 1024 * 1024))
    chunk = struct.pack(">I", len(itxt)) + b"iTXt" + itxt + struct.pack(">I", zlib.crc32(b"iTXt" + itxt))
    png = png_bytes()
    with pytest.raises(ValueError, match="too large"):
        unbake(png[:-12] + chunk + png[-12:])
