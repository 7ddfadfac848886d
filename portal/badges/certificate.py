"""The PDF certificate of an earned credential, made with ReportLab from one page template (pure, no Flask).

The page template draws what every certificate shares (the border, the badge, the QR code of the
public verification page and the credential ID); the story poured into its frame says who earned what,
from whom, when, and the result of every part. Text is set in Bitstream Vera (shipped with ReportLab),
embedded, so accented names print as typed.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import reportlab
import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepInFrame

ACCENT = colors.HexColor("#1d4f91")
GOLD = colors.HexColor("#d6aa3a")
MUTED = colors.HexColor("#4a5663")
PAGE = landscape(letter)
MARGIN = 0.45 * inch
QR_SIZE = 1.25 * inch
FONT_DIR = Path(reportlab.__file__).parent / "fonts"


@dataclass(frozen=True)
class Certificate:
    earner: str
    title: str  # the credential's name, or the stack's for the stack credential
    kind_label: str  # "micro-credential" or "stack credential"
    stack: str
    issuer: str
    earned_at: datetime
    results: list[tuple[str, str]]  # (part or credential, result)
    credential_id: str  # urn:uuid:...
    verify_url: str
    badge_png: bytes | None = None


def certificate_pdf(certificate: Certificate) -> bytes:
    """The one-page certificate as PDF bytes."""
    _register_fonts()
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer, pagesize=PAGE, title=f"{certificate.title}: {certificate.earner}", author=certificate.issuer,
        subject=f"Certificate, {certificate.credential_id}", creator="Micro-credential Portal",
    )
    # The story stays above the footer and the QR code, right of the badge.
    frame = Frame(2.6 * inch, 2.3 * inch, PAGE[0] - 3.5 * inch, PAGE[1] - 3.15 * inch, id="body")
    document.addPageTemplates([PageTemplate(id="certificate", frames=[frame], onPage=_page(certificate))])
    story = KeepInFrame(frame._width, frame._height, _story(certificate), mode="shrink")
    document.build([story])
    return buffer.getvalue()


def _story(certificate: Certificate) -> list:
    styles = _styles()
    earned = f"{certificate.earned_at.day} {certificate.earned_at:%B %Y}"
    return [
        Paragraph("Certificate of Achievement", styles["heading"]),
        Paragraph("This certifies that", styles["line"]),
        Paragraph(_escape(certificate.earner), styles["name"]),
        Paragraph(f"has earned the {certificate.kind_label}", styles["line"]),
        Paragraph(_escape(certificate.title), styles["title"]),
        Paragraph(_stack_line(certificate), styles["line"]),
        Paragraph(f"Issued by {_escape(certificate.issuer)} on {earned}", styles["line"]),
        Spacer(1, 0.12 * inch),
        _results_table(certificate.results, styles),
    ]


def _stack_line(certificate: Certificate) -> str:
    if certificate.title == certificate.stack:
        return "for earning every micro-credential of the stack"
    return f"of the {_escape(certificate.stack)} stack"


def _results_table(results: list[tuple[str, str]], styles) -> Table:
    rows = [[Paragraph(_escape(label), styles["cell"]), Paragraph(_escape(result), styles["cell"])]
            for label, result in results]
    table = Table(rows, colWidths=[4.6 * inch, 1.0 * inch], hAlign="CENTER")
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#d5dae1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _page(certificate: Certificate):
    """The template's fixed parts, drawn under the story on the page."""

    def draw(canvas, _document):
        canvas.saveState()
        width, height = PAGE
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(6)
        canvas.rect(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN)
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(1.5)
        canvas.rect(MARGIN + 9, MARGIN + 9, width - 2 * MARGIN - 18, height - 2 * MARGIN - 18)
        if certificate.badge_png:
            badge = ImageReader(io.BytesIO(certificate.badge_png))
            canvas.drawImage(badge, 0.8 * inch, height - 3.9 * inch, 1.6 * inch, 1.6 * inch, mask="auto")
        _draw_qr(canvas, certificate.verify_url, x=width - 0.8 * inch - QR_SIZE, y=0.85 * inch)
        _draw_footer(canvas, certificate)
        canvas.restoreState()

    return draw


def _draw_footer(canvas, certificate: Certificate) -> None:
    canvas.setFillColor(MUTED)
    canvas.setFont("Vera", 8.5)
    canvas.drawString(0.8 * inch, 1.22 * inch, f"Credential ID: {certificate.credential_id}")
    canvas.drawString(0.8 * inch, 1.05 * inch, "Check that it is genuine and current at:")
    canvas.drawString(0.8 * inch, 0.88 * inch, certificate.verify_url)
    canvas.drawRightString(PAGE[0] - 0.8 * inch, 0.85 * inch + QR_SIZE + 4, "Scan to verify")


def _draw_qr(canvas, url: str, *, x: float, y: float) -> None:
    """The QR code as vector squares, so it prints sharp at any size."""
    matrix = segno.make(url, error="m").matrix
    module = QR_SIZE / len(matrix)
    canvas.setFillColor(colors.black)
    for row_number, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                canvas.rect(x + column * module, y + QR_SIZE - (row_number + 1) * module, module, module,
                            stroke=0, fill=1)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Vera", fontSize=13, leading=17, alignment=TA_CENTER, spaceAfter=4)
    return {
        "heading": ParagraphStyle("heading", base, fontName="VeraBd", fontSize=26, leading=32, textColor=ACCENT,
                                  spaceAfter=12),
        "line": base,
        "name": ParagraphStyle("name", base, fontName="VeraBd", fontSize=24, leading=30, spaceBefore=2,
                               spaceAfter=8),
        "title": ParagraphStyle("title", base, fontName="VeraBd", fontSize=17, leading=22, textColor=ACCENT,
                                spaceBefore=2, spaceAfter=6),
        "cell": ParagraphStyle("cell", base, fontSize=9.5, leading=12, alignment=0, spaceAfter=0),
    }


@cache
def _register_fonts() -> None:
    pdfmetrics.registerFont(TTFont("Vera", str(FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("VeraBd", str(FONT_DIR / "VeraBd.ttf")))


def _escape(text: str) -> str:
    # Paragraph reads a small markup language: a name with "<" or "&" must print as typed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
