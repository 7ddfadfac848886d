import hashlib
import io
import struct
import zipfile
import zlib

import pytest

from portal.submissions.uploads import (
    ALLOWED_TYPES,
    UploadRejected,
    check_upload,
    detect_type,
    safe_display_name,
    store_upload,
    stored_path,
)

MB = 1024 * 1024
NOT_ALLOWED = "is not a PDF, DOCX, PPTX, XLSX, PNG or JPEG file."

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def make_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_office(main_part: str, **extra: bytes) -> bytes:
    return make_zip({"[Content_Types].xml": b"<Types/>", main_part: b"<x/>", **extra})


PNG = make_png()
DOCX = make_office("word/document.xml")
PPTX = make_office("ppt/presentation.xml")
XLSX = make_office("xl/workbook.xml")


@pytest.mark.parametrize(
    ("filename", "content", "kind"),
    [
        ("report.pdf", PDF, "pdf"),
        ("essay.docx", DOCX, "docx"),
        ("slides.pptx", PPTX, "pptx"),
        ("grades.xlsx", XLSX, "xlsx"),
        ("diagram.png", PNG, "png"),
        ("photo.jpg", JPEG, "jpeg"),
        ("photo.JPEG", JPEG, "jpeg"),
        ("REPORT.PDF", PDF, "pdf"),
        ("no extension", PDF, "pdf"),
        ("minutes 3.5.2024", DOCX, "docx"),
    ],
)
def test_check_upload_allowed_type_accepted(filename, content, kind):
    stream = io.BytesIO(content)

    file_type, size, sha256 = check_upload(stream, filename, max_bytes=10 * MB)

    assert file_type is ALLOWED_TYPES[kind]
    assert size == len(content)
    assert sha256 == hashlib.sha256(content).hexdigest()
    assert stream.tell() == 0


def test_allowed_types_metadata_exact():
    assert {k: (t.label, t.extension, t.mime) for k, t in ALLOWED_TYPES.items()} == {
        "pdf": ("PDF", ".pdf", "application/pdf"),
        "docx": ("DOCX", ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "pptx": ("PPTX", ".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        "xlsx": ("XLSX", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "png": ("PNG", ".png", "image/png"),
        "jpeg": ("JPEG", ".jpg", "image/jpeg"),
    }


def test_check_upload_pdf_name_with_text_content_rejected():
    stream = io.BytesIO(b"just some notes, not a PDF\n")

    with pytest.raises(UploadRejected) as caught:
        check_upload(stream, "report.pdf", max_bytes=10 * MB)

    assert str(caught.value) == f"“report.pdf” {NOT_ALLOWED}"
    assert stream.tell() == 0


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("archive.docx", make_zip({"notes.txt": b"hello"})),
        ("no-content-types.docx", make_zip({"word/document.xml": b"<x/>"})),
        ("unknown-package.docx", make_zip({"[Content_Types].xml": b"<Types/>", "content.xml": b"<x/>"})),
        ("macros.docx", make_office("word/document.xml", **{"word/vbaProject.bin": b"\x00"})),
        ("truncated.docx", DOCX[: len(DOCX) // 2]),
    ],
)
def test_check_upload_zip_that_is_not_office_rejected(filename, content):
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(content), filename, max_bytes=10 * MB)

    assert str(caught.value) == f"“{filename}” {NOT_ALLOWED}"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("scan.pdf", PNG, "“scan.pdf” is named .pdf but is a PNG file."),
        ("photo.png", JPEG, "“photo.png” is named .png but is a JPEG file."),
        ("essay.pdf", DOCX, "“essay.pdf” is named .pdf but is a DOCX file."),
        ("slides.DOCX", PPTX, "“slides.DOCX” is named .docx but is a PPTX file."),
    ],
)
def test_check_upload_extension_disagreeing_with_content_rejected(filename, content, message):
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(content), filename, max_bytes=10 * MB)

    assert str(caught.value) == message


def test_check_upload_oversize_rejected():
    stream = io.BytesIO(PDF + b"\0" * (1001 - len(PDF)))

    with pytest.raises(UploadRejected) as caught:
        check_upload(stream, "big.pdf", max_bytes=1000)

    assert str(caught.value) == "“big.pdf” is 1001 bytes; the limit is 1000 bytes."
    assert stream.tell() == 0


def test_check_upload_oversize_megabytes_rejected():
    content = PDF + b"\0" * (int(12.4 * MB) - len(PDF))

    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(content), "big.pdf", max_bytes=10 * MB)

    assert str(caught.value) == "“big.pdf” is 12.4 MB; the limit is 10 MB."


def test_check_upload_just_over_limit_rounds_size_up():
    content = PDF + b"\0" * (10 * MB + 1 - len(PDF))

    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(content), "big.pdf", max_bytes=10 * MB)

    assert str(caught.value) == "“big.pdf” is 10.1 MB; the limit is 10 MB."


def test_check_upload_exactly_max_bytes_accepted():
    content = PDF + b"\0" * (1000 - len(PDF))

    _, size, _ = check_upload(io.BytesIO(content), "fits.pdf", max_bytes=1000)

    assert size == 1000


def test_check_upload_empty_rejected():
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(b""), "x.pdf", max_bytes=10 * MB)

    assert str(caught.value) == "“x.pdf” is empty."


def test_check_upload_message_uses_safe_display_name():
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(b"text"), "../../x/re\x00port.pdf", max_bytes=10 * MB)

    assert str(caught.value) == f"“report.pdf” {NOT_ALLOWED}"


def test_detect_type_office_without_reading_members(monkeypatch):
    # Only the central directory may be read, so a zip bomb is never inflated.
    def refuse(*args, **kwargs):
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "read", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)

    assert detect_type(DOCX[:8], io.BytesIO(DOCX)) is ALLOWED_TYPES["docx"]


def test_detect_type_unknown_magic_none():
    assert detect_type(b"GIF89a\x01\x00", io.BytesIO(b"GIF89a\x01\x00")) is None


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\plan.pdf", "plan.pdf"),
        ("..\\..\\evil.pdf", "evil.pdf"),
        ("/etc/passwd", "passwd"),
        ("re\x00po\x1brt\u202e.pdf", "report.pdf"),
        ("  my\t\tfinal \n report .pdf ", "my final report .pdf"),
        ("", "file"),
        ("..", "file"),
        ("uploads/", "file"),
        ("\x00\x01", "file"),
        ("x" * 200 + ".pdf", "x" * 116 + ".pdf"),
        ("y" * 200, "y" * 120),
    ],
)
def test_safe_display_name_unsafe_input_reduced(filename, expected):
    assert safe_display_name(filename) == expected


def test_store_upload_random_name_round_trips(tmp_path):
    directory = tmp_path / "instance" / "uploads"  # created on demand
    stream = io.BytesIO(PDF)

    first = store_upload(stream, directory)
    second = store_upload(stream, directory)

    assert first != second
    assert len(first) == 32
    assert sorted(p.name for p in directory.iterdir()) == sorted([first, second])
    assert stored_path(directory, first).read_bytes() == PDF
    assert stored_path(directory, first).parent == directory
    assert stream.tell() == 0


@pytest.mark.parametrize(
    "name",
    ["../x", "", "x", "A" * 31, "A" * 33, "A" * 32 + "\n", "../" + "A" * 29, "A" * 28 + ".pdf", "A" * 31 + "/"],
)
def test_stored_path_non_token_name_rejected(tmp_path, name):
    with pytest.raises(ValueError) as caught:
        stored_path(tmp_path, name)

    assert str(caught.value) == "Invalid stored file name."
