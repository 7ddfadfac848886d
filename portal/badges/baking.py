"""Open Badges 3.0 baking: a credential carried inside its badge image (pure, no Flask).

A baked PNG holds exactly one iTXt chunk with the keyword "openbadgecredential", uncompressed, whose
text is the signed credential JSON exactly as issued (Open Badges 3.0, section "Baking", PNG).
Everything here reads bytes a stranger may upload, so each loop and size is bounded and any damage is
reported as a ValueError with a plain message, never another exception.
"""

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
MAX_PNG_BYTES = 20 * 1024 * 1024
MAX_CHUNKS = 10_000
MAX_TEXT_BYTES = 1024 * 1024  # a credential is a few kilobytes; a compressed chunk may not unpack past this


def bake(png: bytes, credential_json: str) -> bytes:
    """The PNG with credential_json in one uncompressed openbadgecredential iTXt chunk, placed right
    before IEND; any such chunk already there is dropped first, so re-baking never leaves two."""
    chunks = [c for c in _chunks(png) if not _is_credential_chunk(c)]
    chunk = _make_chunk(b"iTXt", _itxt_data(credential_json))
    body = b"".join(_make_chunk(kind, data) for kind, data in chunks[:-1])
    return PNG_SIGNATURE + body + chunk + _make_chunk(*chunks[-1])


def unbake(png: bytes) -> str | None:
    """The credential text baked into png, or None when it carries none.

    Raises ValueError when png is not a well-formed PNG or the chunk is damaged."""
    for kind, data in _chunks(png):
        if kind == b"iTXt" and data.startswith(KEYWORD + b"\x00"):
            return _read_itxt_text(data)
    return None


def _itxt_data(text: str) -> bytes:
    # keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text
    return KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")


def _read_itxt_text(data: bytes) -> str:
    rest = data[len(KEYWORD) + 1:]
    if len(rest) < 2:
        raise ValueError("The badge's credential chunk is cut short.")
    compressed, method, rest = rest[0], rest[1], rest[2:]
    parts = rest.split(b"\x00", 2)
    if len(parts) != 3:
        raise ValueError("The badge's credential chunk is cut short.")
    text = parts[2]
    if compressed:
        if method != 0:
            raise ValueError("The badge's credential chunk uses an unknown compression.")
        text = _inflate(text)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("The badge's credential is not UTF-8 text.") from None


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(data, MAX_TEXT_BYTES + 1)
    except zlib.error:
        raise ValueError("The badge's credential chunk could not be decompressed.") from None
    if len(text) > MAX_TEXT_BYTES:
        raise ValueError("The badge's credential is too large.")
    return text


def _is_credential_chunk(chunk: tuple[bytes, bytes]) -> bool:
    kind, data = chunk
    return kind in (b"iTXt", b"tEXt", b"zTXt") and data.startswith(KEYWORD + b"\x00")


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Every (type, data) of png up to and including IEND, with lengths and CRCs checked."""
    if not isinstance(png, bytes | bytearray):
        raise ValueError("A PNG image is bytes.")
    if len(png) > MAX_PNG_BYTES:
        raise ValueError("The image is too large.")
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("This is not a PNG image.")
    chunks, offset = [], len(PNG_SIGNATURE)
    while len(chunks) < MAX_CHUNKS:
        kind, data, offset = _read_chunk(png, offset)
        chunks.append((kind, data))
        if kind == b"IEND":
            if chunks[0][0] != b"IHDR":
                raise ValueError("The PNG image does not start with its header chunk.")
            return chunks
    raise ValueError("The PNG image has too many chunks.")


def _read_chunk(png: bytes, offset: int) -> tuple[bytes, bytes, int]:
    if offset + 12 > len(png):
        raise ValueError("The PNG image is cut short.")
    length, kind = struct.unpack(">I4s", png[offset:offset + 8])
    end = offset + 8 + length
    if end + 4 > len(png):
        raise ValueError("The PNG image is cut short.")
    data = bytes(png[offset + 8:end])
    (crc,) = struct.unpack(">I", png[end:end + 4])
    if crc != zlib.crc32(kind + data):
        raise ValueError("The PNG image is damaged (a chunk's checksum is wrong).")
    return kind, data, end + 4


def _make_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
