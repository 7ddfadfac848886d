"""Under blind review the reviewer's download is a copy without the author fields of the file's metadata; it still
opens; the educator keeps their original."""

import io
import re
import zipfile

import pikepdf
import pytest
from lxml import etree
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment
from portal.submissions import blind
from portal.submissions import services as submissions
from portal.submissions.models import Artifact, State
from tests.conftest import fill_and_submit

NAME = "Zelda Quixote"
PLANTED = (b"Zelda", b"Quixote", b"zelda.quixote", b"ZQ")


def make_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = NAME
    pdf.docinfo["/Title"] = f"District plan by {NAME}"
    pdf.docinfo["/Creator"] = f"Writer of {NAME}"
    pdf.docinfo["/Producer"] = f"{NAME}'s laptop"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [NAME]
        meta["dc:title"] = f"Plan of {NAME}"
    note = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[10, 10, 30, 30], T=NAME,
        Contents="Check the timeline",
    ))
    pdf.pages[0].obj["/Annots"] = pikepdf.Array([note])
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_itxt("Description", f"Drawn by {NAME}")
    info.add_text("Comment", f"zelda.quixote@example.org {NAME}", zip=True)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def make_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = NAME  # Artist
    exif[0x8298] = f"(c) {NAME}"  # Copyright
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (20, 120, 200)).save(out, "JPEG", exif=exif.tobytes(), comment=NAME.encode())
    return out.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"


def make_docx() -> bytes:
    members = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}"><w:body><w:p>'
            f'<w:ins w:id="1" w:author="{NAME}" w:date="2025-03-01T10:00:00Z"><w:r><w:t>Added goal</w:t></w:r></w:ins>'
            f'<w:del w:id="2" w:author="{NAME}" w:date="2025-03-01T10:00:00Z"><w:r><w:delText>Old</w:delText>'
            '</w:r></w:del><w:r><w:t>Our district plan.</w:t></w:r></w:p></w:body></w:document>'
        ).encode(),
        "word/comments.xml": (
            f'<?xml version="1.0"?><w:comments xmlns:w="{W}"><w:comment w:id="0" w:author="{NAME}" w:initials="ZQ">'
            '<w:p><w:r><w:t>Tighten this.</w:t></w:r></w:p></w:comment></w:comments>'
        ).encode(),
        "word/people.xml": (
            f'<?xml version="1.0"?><w15:people xmlns:w15="{W15}"><w15:person w15:author="{NAME}">'
            '<w15:presenceInfo w15:providerId="AD" w15:userId="zelda.quixote@example.org"/></w15:person></w15:people>'
        ).encode(),
        "docProps/core.xml": (
            '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:creator>{NAME}</dc:creator><cp:lastModifiedBy>{NAME}</cp:lastModifiedBy>'
            '<dc:title>Plan</dc:title></cp:coreProperties>'
        ).encode(),
        "docProps/app.xml": (
            '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>Microsoft Office Word</Application><Company>Quixote Schools</Company>'
            f'<Manager>{NAME}</Manager></Properties>'
        ).encode(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def reopen_pdf(data: bytes) -> bytes:
    """Every byte a reader could see: the file, and each stream decompressed."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        streams = [obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
        assert "/Author" not in pdf.docinfo and "/Metadata" not in pdf.Root
    return data + b"".join(streams)


def reopen_image(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.size in ((8, 8), (16, 16))
        assert not image.info.get("exif") and not image.getexif()
    return data


def reopen_zip(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, content in members.items():
        if name.endswith(".xml"):
            etree.fromstring(content)
    assert b"Added goal" in members["word/document.xml"] and b"Tighten this." in members["word/comments.xml"]
    return data + b"".join(members.values())


SAMPLES = {
    "pdf": ("plan.pdf", make_pdf, reopen_pdf),
    "png": ("map.png", make_png, reopen_image),
    "jpeg": ("photo.jpg", make_jpeg, reopen_image),
    "docx": ("plan.docx", make_docx, reopen_zip),
}


@pytest.fixture
def reviewed_upload(client, make_user, make_reviewer, make_submission, login_as):
    """Upload a file as the educator, submit, and return (download as the reviewer, download as the educator)."""

    def upload(filename: str, content: bytes):
        educator = make_user(name="Dana Whitfield")
        reviewer = make_reviewer()
        submission = make_submission(educator=educator, slug="district-plan", state=State.DRAFT)
        submissions.add_artifact(educator=educator, submission=submission, part_key="plan",
                                 stream=io.BytesIO(content), filename=filename, config=client.application.config)
        fill_and_submit(submission, educator)
        reviews.route_submitted(submission.current_version, actor=educator)
        db.session.commit()
        version = submission.current_version
        artifact = db.session.scalar(select(Artifact).where(Artifact.version_id == version.id,
                                                            Artifact.original_name == filename))
        assignment = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id))
        login_as(reviewer)
        for_reviewer = client.get(f"/review/assignments/{assignment.id}/files/{artifact.id}")
        login_as(educator)
        for_educator = client.get(f"/submissions/{submission.id}/files/{artifact.id}")
        assert for_reviewer.status_code == for_educator.status_code == 200
        return for_reviewer.data, for_educator.data

    return upload


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_reviewer_download_holds_none_of_the_planted_name_and_still_opens(reviewed_upload, kind):
    filename, make, reopen = SAMPLES[kind]
    original = make()
    assert b"Quixote" in original or kind in ("pdf", "docx")  # compressed in the original: planted all the same
    for_reviewer, for_educator = reviewed_upload(filename, original)
    assert for_educator == original  # the educator keeps their file as it was
    seen = reopen(for_reviewer)
    for planted in PLANTED:
        assert planted.lower() not in seen.lower(), planted


def test_office_comment_authors_of_presentations_and_workbooks_are_removed():
    members = {
        "[Content_Types].xml": b"<Types/>",
        "ppt/presentation.xml": b"<x/>",
        "ppt/commentAuthors.xml": (
            '<p:cmAuthorLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
            f'<p:cmAuthor id="1" name="{NAME}" initials="ZQ" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
        ).encode(),
        "xl/comments1.xml": (
            '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<authors><author>{NAME}</author></authors><commentList/></comments>"
        ).encode(),
        "xl/persons/person.xml": (
            '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
            f'<person displayName="{NAME}" id="{{1}}" userId="zelda.quixote@example.org" providerId="AD"/>'
            "</personList>"
        ).encode(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    stripped = blind.strip_metadata("pptx", out.getvalue())
    with zipfile.ZipFile(io.BytesIO(stripped)) as archive:
        text = b"".join(archive.read(name) for name in archive.namelist())
    assert not re.search(rb"zelda|quixote|ZQ", text, re.IGNORECASE)
    assert b'name="Author"' in text and b"<author>Author</author>" in text


def test_jpeg_strip_keeps_the_image_data_byte_for_byte():
    original = make_jpeg()
    stripped = blind.strip_jpeg(original)
    scan = original.index(b"\xff\xda")
    assert stripped.endswith(original[scan:])  # the scans (and the end) untouched: no re-encoding
    assert len(stripped) < len(original)


def test_unreadable_pdf_is_refused_with_a_message(client, make_user, make_submission):
    educator = make_user()
    submission = make_submission(educator=educator, slug="district-plan", state=State.DRAFT)
    with pytest.raises(Exception, match="could not be read as a PDF file"):
        submissions.add_artifact(educator=educator, submission=submission, part_key="plan",
                                 stream=io.BytesIO(b"%PDF-1.4\nnothing here\n"), filename="broken.pdf",
                                 config=client.application.config)
