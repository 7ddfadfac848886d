"""The LinkedIn add-to-profile link: the right parameters, each encoded so it arrives whole."""

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from portal.badges.linkedin import add_to_profile_url


def make_url(**changes) -> str:
    values = {
        "name": "Creating a District Plan for Digital Equity",
        "organization": "CoSN & Friends",
        "issued_at": datetime(2026, 3, 9, 14, 5),
        "cert_url": "https://portal.example.org/credentials/abc?x=1&y=2",
        "cert_id": "urn:uuid:0b6f6d5e-1111-4a4a-9c9c-123456789abc",
    }
    return add_to_profile_url(**(values | changes))


def test_add_to_profile_url_has_linkedin_parameters():
    url = make_url()
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qs(parts.query, keep_blank_values=True) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["Creating a District Plan for Digital Equity"],
        "organizationName": ["CoSN & Friends"],
        "issueYear": ["2026"],
        "issueMonth": ["3"],
        "certUrl": ["https://portal.example.org/credentials/abc?x=1&y=2"],
        "certId": ["urn:uuid:0b6f6d5e-1111-4a4a-9c9c-123456789abc"],
    }


def test_add_to_profile_url_encodes_ampersand_and_spaces():
    url = make_url(name="Data & Equity = Plan #1")
    assert "name=Data%20%26%20Equity%20%3D%20Plan%20%231&" in url
    assert "organizationName=CoSN%20%26%20Friends&" in url
    assert "certUrl=https%3A%2F%2Fportal.example.org%2Fcredentials%2Fabc%3Fx%3D1%26y%3D2&" in url
    assert url.count("&") == 6  # six separators: no value added a parameter


def test_add_to_profile_url_encodes_non_ascii_as_utf8():
    url = make_url(name="Équité numérique – 数字")
    assert "name=%C3%89quit%C3%A9%20num%C3%A9rique%20%E2%80%93%20%E6%95%B0%E5%AD%97&" in url
    assert parse_qs(urlsplit(url).query)["name"] == ["Équité numérique – 数字"]
