"""LinkedIn's "Add to profile" link for an earned credential (pure, no Flask)."""

from datetime import datetime
from urllib.parse import quote, urlencode

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def add_to_profile_url(*, name: str, organization: str, issued_at: datetime, cert_url: str, cert_id: str) -> str:
    """The add-to-profile link, pre-filled as a licence or certification: the credential's name, the
    issuing organization, the month and year it was issued, its public page and its ID.

    Every value is percent-encoded as UTF-8 (spaces as %20, "&" as %26), so a name with "&", quotes or
    accents arrives whole and cannot add parameters of its own."""
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": str(issued_at.year),
        "issueMonth": str(issued_at.month),
        "certUrl": cert_url,
        "certId": cert_id,
    }
    return f"{ADD_TO_PROFILE}?{urlencode(params, quote_via=quote, safe='')}"
