"""Checking and storing evidence files ("artifacts") attached to a submission.

Pure stdlib so it can be tested without an app. The type is decided by the file's
content, never by its name or the browser's Content-Type, and files are stored under
random names so nothing the user sends ever becomes part of a path.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 64 * 1024
DISPLAY_NAME_MAX = 120


@dataclass(frozen=True)
class FileType:
    kind: str
    label: str
    extension: str
    mime: str


ALLOWED_TYPES: dict[str, FileType] = {
    t.kind: t
    for t in (
        FileType("pdf", "PDF", ".pdf", "application/pdf"),
        FileType(
            "docx",
            "DOCX",
            ".docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        FileType(
            "pptx",
            "PPTX",
            ".pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        FileType(
            "xlsx",
            "XLSX",
            ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        FileType("png", "PNG", ".png", "image/png"),
        FileType("jpeg", "JPEG", ".jpg", "image/jpeg"),
    )
}

# Extensions we recognise in a user's file name. Only these are compared with the
# content: "notes" or "minutes 3.5.2024" carry no claim about the type, ".pdf" does.
_NAME_EXTENSIONS = {t.extension: t.kind for t in ALLOWED_TYPES.values()} | {".jpeg": "jpeg"}

# OOXML packages are ZIP files; the main part tells Word, PowerPoint and Excel apart.
_OOXML_MAIN_PART = {
    "docx": "word/document.xml",
    "pptx": "ppt/presentation.xml",
    "xlsx": "xl/workbook.xml",
}

# secrets.token_urlsafe(24) -> 32 characters of the base64url alphabet, no padding.
_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{32}")
# A file being written, not yet published: the final name and this suffix.
TEMP_SUFFIX = ".part"

# An Office file is a ZIP: what its directory declares is checked before any member is unpacked (the reviewers'
# copy unpacks them all). Real documents of 10 MB unpack to a few times that; a zip bomb to gigabytes.
ARCHIVE_MAX_UNPACKED = 200 * 1024 * 1024
ARCHIVE_MAX_RATIO = 250  # unpacked / packed, for archives that unpack to more than 1 MB (real XML: 10 to 50)
ARCHIVE_MAX_MEMBERS = 5000


class UploadRejected(ValueError):
    """str(error) is a message that can be shown to the educator as is."""


def _types_sentence() -> str:
    labels = [t.label for t in ALLOWED_TYPES.values()]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def detect_type(head: bytes, stream: BinaryIO) -> FileType | None:
    """The allowed type the content is, or None. `head` is the first bytes (8 suffice)."""
    if head.startswith(b"%PDF-"):
        return ALLOWED_TYPES["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ALLOWED_TYPES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return ALLOWED_TYPES["jpeg"]
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        # ZipFile only parses the central directory here; no member is ever opened,
        # so a zip bomb costs no more than its (size-limited) directory.
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    # Macro-enabled variants (.docm/.pptm/.xlsm) share the main part names; they are not
    # the allowed types and reviewers should not be handed macros.
    if any(name.endswith("vbaProject.bin") for name in names):
        return None
    for kind, main_part in _OOXML_MAIN_PART.items():
        if main_part in names:
            return ALLOWED_TYPES[kind]
    return None


def safe_display_name(filename: str) -> str:
    """The user's file name made safe to show and to put in a download header."""
    # Browsers (old IE, some clients) send full paths, with either separator.
    name = re.split(r"[\\/]", filename or "")[-1]
    # Whitespace becomes a space; other control/format characters (NUL, bidi overrides
    # that make "exe.pdf" look like "fdp.exe", ...) are dropped.
    name = "".join(
        " " if ch.isspace() else "" if unicodedata.category(ch).startswith("C") else ch
        for ch in unicodedata.normalize("NFC", name)
    )
    name = " ".join(name.split())
    if len(name) > DISPLAY_NAME_MAX:
        dot = name.rfind(".")
        ext = name[dot:] if dot > 0 and len(name) - dot <= 16 else ""
        name = name[: DISPLAY_NAME_MAX - len(ext)].rstrip() + ext
    if name.strip(".") == "":
        return "file"
    return name


def format_size(size: int, *, round_up: bool) -> str:
    # A file just over the limit must not read "10 MB; the limit is 10 MB", so sizes of
    # rejected files are rounded up and limits rounded normally.
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            tenths = size * 10 / scale
            value = (math.ceil(tenths) if round_up else round(tenths)) / 10
            return f"{value:g} {unit}"
    return f"{size} bytes"


def check_upload(stream: BinaryIO, filename: str, *, max_bytes: int) -> tuple[FileType, int, str]:
    """Validate an upload; return (file_type, size, sha256 hex) or raise UploadRejected.

    `stream` must be seekable (werkzeug's FileStorage.stream is). It is left at position 0.
    """
    display = safe_display_name(filename)
    try:
        # Size by seeking, so an oversize file is refused before any of it is read.
        size = stream.seek(0, 2)
        if size == 0:
            raise UploadRejected(f"“{display}” is empty.")
        if size > max_bytes:
            raise UploadRejected(
                f"“{display}” is {format_size(size, round_up=True)}; "
                f"the limit is {format_size(max_bytes, round_up=False)}."
            )
        stream.seek(0)
        head = stream.read(8)
        stream.seek(0)
        file_type = detect_type(head, stream)
        if file_type is None:
            raise UploadRejected(f"“{display}” is not a {_types_sentence()} file.")
        if file_type.kind in _OOXML_MAIN_PART:
            check_archive(stream, display)
        extension = Path(display).suffix.lower()
        claimed = _NAME_EXTENSIONS.get(extension)
        if claimed is not None and claimed != file_type.kind:
            raise UploadRejected(f"“{display}” is named {extension} but is a {file_type.label} file.")
        digest = hashlib.sha256()
        stream.seek(0)
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
        return file_type, size, digest.hexdigest()
    finally:
        stream.seek(0)


def check_archive(stream: BinaryIO, display: str) -> None:
    """Refuse a ZIP whose declared unpacked size, or packing ratio, no real document has (a zip bomb)."""
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if len(members) > ARCHIVE_MAX_MEMBERS or unpacked > ARCHIVE_MAX_UNPACKED or (
        unpacked > 1024 * 1024 and unpacked / packed > ARCHIVE_MAX_RATIO
    ):
        raise UploadRejected(
            f"“{display}” unpacks to {format_size(unpacked, round_up=True)}, far more than any real document: "
            "it was refused. Save it again from the program that made it, then upload it."
        )


def new_stored_name() -> str:
    return secrets.token_urlsafe(24)


def stage_file(data: BinaryIO | bytes, directory: Path) -> str:
    """Write the content under a new random name plus TEMP_SUFFIX and return the name (without the suffix).
    publish() gives the file its name once the row that refers to it is committed, so a worker killed before
    the commit leaves only a temporary file, which the sweep removes. OSError (a full disk) is left to the
    caller, with nothing half-written left behind."""
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = new_stored_name()
    path = temp_path(directory, stored_name)
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    stream.seek(0)
    # "x": never overwrite an existing file, however unlikely a name collision is.
    # Opened outside the try so a collision cannot delete the file that was there.
    out = path.open("xb")
    try:
        with out:
            copy_stream(stream, out)
    except BaseException:
        path.unlink(missing_ok=True)  # no half-written files left behind
        raise
    finally:
        stream.seek(0)
    return stored_name


def copy_stream(stream: BinaryIO, out: BinaryIO) -> None:
    while chunk := stream.read(CHUNK_SIZE):
        out.write(chunk)


def publish(directory: Path, stored_name: str) -> None:
    """Give a staged file its final name (atomic on one filesystem)."""
    temp = temp_path(directory, stored_name)
    if temp.exists():
        temp.replace(stored_path(directory, stored_name))


def temp_path(directory: Path, stored_name: str) -> Path:
    return stored_path(directory, stored_name).with_name(stored_name + TEMP_SUFFIX)


def store_upload(stream: BinaryIO, directory: Path) -> str:
    """Copy the stream into `directory` under a new random name, published at once, and return that name."""
    stored_name = stage_file(stream, directory)
    publish(directory, stored_name)
    return stored_name


def is_stored_name(name: str) -> bool:
    return isinstance(name, str) and _STORED_NAME.fullmatch(name) is not None


def stored_path(directory: Path, stored_name: str) -> Path:
    """The path of a stored file; refuses any name store_upload could not have made."""
    # fullmatch (not match + $) so a trailing newline or "../" can never get through.
    if not isinstance(stored_name, str) or not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("Invalid stored file name.")
    return directory / stored_name
