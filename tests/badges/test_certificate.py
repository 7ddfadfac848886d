"""The PDF certificate: its text names the earner, the credential, the results and the ID."""

import io
from datetime import datetime

from pypdf import PdfReader

from portal.badges.certificate import Certificate, certificate_pdf
from portal.badges.images import badge_png

CREDENTIAL_ID = "urn:uuid:0b6f6d5e-1111-4a4a-9c9c-123456789abc"


def make_certificate(**changes) -> Certificate:
    values = {
        "earner": "Amélie O'Brien & <Co>",
        "title": "Creating a District Plan for Digital Equity",
        "kind_label": "micro-credential",
        "stack": "Digital Equity",
        "issuer": "Digital Equity Academy",
        "earned_at": datetime(2026, 3, 9, 15, 30),
        "results": [("Part 1. Overview Questions", "Yes"), ("Part 2. District Plan", "Yes")],
        "credential_id": CREDENTIAL_ID,
        "verify_url": "https://portal.example.org/credentials/token123",
        "badge_png": badge_png("Creating a District Plan for Digital Equity", "Digital Equity", "4 of 5"),
    }
    return Certificate(**(values | changes))


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def test_certificate_pdf_text_holds_earner_credential_results_and_id():
    pdf = certificate_pdf(make_certificate())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        "Amélie O'Brien & <Co>",
        "Creating a District Plan for Digital Equity",
        "of the Digital Equity stack",
        "Issued by Digital Equity Academy on 9 March 2026",
        "Part 1. Overview Questions Yes",
        "Part 2. District Plan Yes",
        f"Credential ID: {CREDENTIAL_ID}",
        "https://portal.example.org/credentials/token123",
    ):
        assert expected in text


def test_certificate_pdf_metadata_names_the_credential():
    reader = PdfReader(io.BytesIO(certificate_pdf(make_certificate())))
    assert reader.metadata.title == "Creating a District Plan for Digital Equity: Amélie O'Brien & <Co>"


def test_certificate_pdf_long_title_and_many_results_stay_on_one_page():
    results = [(f"Credential {n}: " + "a long name " * 6, "Earned") for n in range(1, 8)]
    text = pdf_text(certificate_pdf(make_certificate(title="Digital Equity " * 12, results=results, badge_png=None)))
    assert "Credential 7:" in text
    assert CREDENTIAL_ID in text
