"""The reviewers' copy of a file under blind review: the same content without the author fields of its metadata.

Pure (no Flask). Made once at upload and stored beside the original. What is removed:

- PDF (pikepdf): the document information dictionary (Author, Title, Creator, Producer...), every XMP /Metadata
  stream, and the author (/T) of comments and other markup annotations.
- PNG: the text chunks (tEXt, iTXt, zTXt), eXIf and tIME. Chunk by chunk: the image data is untouched.
- JPEG: APP1 (EXIF, XMP), APP3 to APP13 (IPTC, Photoshop), APP15 and comments. Segment by segment: the image data
  is untouched (no re-encoding, no loss).
- Office files (docx, pptx, xlsx; lxml): the document properties (creator, last modified by, title, company,
  manager, custom properties), the authors and initials of comments and tracked changes (w:ins, w:del...), the
  comment authors of presentations and workbooks, the people parts (names, account ids), and the images inside.

Names written in the text itself stay: the educator is told so on the upload field.
"""

import io
import struct
import zipfile

import pikepdf
from lxml import etree


class CannotStrip(ValueError):
    """The file could not be read well enough to remove its metadata."""


NEUTRAL_NAME = "Author"
NEUTRAL_INITIALS = "A"


def strip_metadata(kind: str, data: bytes) -> bytes:
    """The reviewers' copy of a file of an allowed kind (see uploads.ALLOWED_TYPES)."""
    strip = {"pdf": strip_pdf, "png": strip_png, "jpeg": strip_jpeg}.get(kind, strip_office)
    return strip(data)


# ---------- PDF ----------

def strip_pdf(data: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for obj in pdf.objects:
                if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                    _strip_pdf_object(obj)
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False)
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError) as error:
        raise CannotStrip(str(error)) from error
    return out.getvalue()


def _strip_pdf_object(obj) -> None:
    if "/Metadata" in obj:
        del obj["/Metadata"]
    if "/PieceInfo" in obj:  # application data, often with the author's name
        del obj["/PieceInfo"]
    # Markup annotations (comments, highlights...) name their author in /T; a form field's /T is its name.
    is_annotation = obj.get("/Type") == "/Annot" or ("/Subtype" in obj and "/Rect" in obj)
    if is_annotation and obj.get("/Subtype") != "/Widget" and "/T" in obj:
        obj["/T"] = pikepdf.String(NEUTRAL_NAME)


# ---------- PNG ----------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"}


def strip_png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise CannotStrip("not a PNG file")
    out, position = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise CannotStrip("truncated PNG chunk")
        (length,), kind = struct.unpack(">I", data[position:position + 4]), data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            raise CannotStrip("truncated PNG chunk")
        if kind not in PNG_DROPPED:
            out.append(data[position:end])
        position = end
        if kind == b"IEND":
            break  # anything after the end is not part of the image
    return b"".join(out)


# ---------- JPEG ----------

JPEG_KEPT_APP = {0xE0, 0xE2, 0xEE}  # JFIF, ICC profile, Adobe colour transform: no personal data
STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: markers without a length


def strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise CannotStrip("not a JPEG file")
    out, position = [b"\xff\xd8"], 2
    while position < len(data):
        if data[position] != 0xFF:
            raise CannotStrip("unexpected bytes between JPEG segments")
        marker = data[position + 1] if position + 1 < len(data) else 0xD9
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            out.append(b"\xff\xd9")
            break  # anything after the end of the image is dropped
        if marker in STANDALONE:
            out.append(data[position:position + 2])
            position += 2
            continue
        if position + 4 > len(data):
            raise CannotStrip("truncated JPEG segment")
        end = position + 2 + struct.unpack(">H", data[position + 2:position + 4])[0]
        if _keeps_segment(marker):
            out.append(data[position:end])
        position = end
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next real marker
            scan_end = _scan_end(data, position)
            out.append(data[position:scan_end])
            position = scan_end
    return b"".join(out)


def _keeps_segment(marker: int) -> bool:
    if marker == 0xFE:  # comment
        return False
    if 0xE0 <= marker <= 0xEF:
        return marker in JPEG_KEPT_APP
    return True


def _scan_end(data: bytes, position: int) -> int:
    """The position of the first marker after entropy-coded data: 0xFF not followed by 0x00 (a stuffed byte) nor
    by a restart marker."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return len(data)
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        else:
            return position


# ---------- Office (OOXML) ----------

# docProps/core.xml and app.xml: elements (by local name) that name or describe the author.
CORE_REMOVED = {"creator", "lastModifiedBy", "title", "subject", "description", "keywords", "category"}
APP_REMOVED = {"Company", "Manager", "HyperlinkBase"}
# Attributes (by local name) naming a person, on any element: comments and tracked changes in Word (w:author,
# w:initials), people and authors parts of Word, PowerPoint and Excel.
PERSON_ATTRIBUTES = {"author": NEUTRAL_NAME, "initials": NEUTRAL_INITIALS, "displayName": NEUTRAL_NAME,
                     "userId": NEUTRAL_NAME, "providerId": "None"}
PEOPLE_ELEMENTS = {"cmAuthor", "author", "person"}  # their "name" attribute is a person's name
XML_HINTS = (b"author", b"initials", b"person", b"userid", b"displayname")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False)


def strip_office(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for info in source.infolist():
                    member = _strip_member(info.filename, source.read(info))
                    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    copy.compress_type = zipfile.ZIP_DEFLATED
                    target.writestr(copy, member)
    except (zipfile.BadZipFile, OSError, EOFError, etree.XMLSyntaxError) as error:
        raise CannotStrip(str(error)) from error
    return out.getvalue()


def _strip_member(name: str, data: bytes) -> bytes:
    if data.startswith(PNG_SIGNATURE):
        return _or_original(strip_png, data)
    if data.startswith(b"\xff\xd8"):
        return _or_original(strip_jpeg, data)
    if not name.endswith(".xml"):
        return data
    if name.startswith("docProps/"):
        return _rewrite(data, _strip_properties(name))
    if any(hint in data.lower() for hint in XML_HINTS):
        return _rewrite(data, _strip_people)
    return data


def _or_original(strip, data: bytes) -> bytes:
    # An image inside a document that cannot be parsed is kept: the document itself must still open.
    try:
        return strip(data)
    except CannotStrip:
        return data


def _rewrite(data: bytes, change) -> bytes:
    root = etree.fromstring(data, PARSER)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _strip_properties(name: str):
    def change(root) -> None:
        if name == "docProps/custom.xml":
            for child in list(root):
                root.remove(child)
            return
        removed = CORE_REMOVED if name == "docProps/core.xml" else APP_REMOVED
        for element in list(root.iter()):
            if _local(element.tag) in removed and element.getparent() is not None:
                element.getparent().remove(element)
        _strip_people(root)

    return change


def _strip_people(root) -> None:
    for element in list(root.iter()):
        local = _local(element.tag)
        if local == "presenceInfo" and element.getparent() is not None:
            element.getparent().remove(element)  # the author's account at their provider
            continue
        for attribute in element.attrib:
            attribute_name = _local(attribute)
            if attribute_name in PERSON_ATTRIBUTES:
                element.set(attribute, PERSON_ATTRIBUTES[attribute_name])
            elif attribute_name == "name" and local in PEOPLE_ELEMENTS:
                element.set(attribute, NEUTRAL_NAME)
        if local == "author" and element.text and element.text.strip():
            element.text = NEUTRAL_NAME  # Excel's <authors><author>Name</author></authors>
