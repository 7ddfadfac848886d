"""What an earner takes away from an issued credential: the badge image, the baked PNG, the PDF
certificate, the LinkedIn link, and the lists behind the earner's pages. Reading only: the one state
change of sharing (making the public page visible or hidden) is services.set_public."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.badges.baking import bake
from portal.badges.certificate import Certificate, certificate_pdf
from portal.badges.images import badge_png
from portal.badges.linkedin import LINKEDIN_ORIGIN, add_to_profile_url
from portal.badges.links import public_page_url
from portal.badges.models import IssuedCredential, Kind
from portal.catalog.models import Credential, Stack
from portal.extensions import db
from portal.security import CONTENT_SECURITY_POLICY

# The share panel's LinkedIn button posts to the portal, which redirects to LinkedIn; browsers hold that
# redirect to the form-action of the page holding the form, so pages with the panel allow LinkedIn too.
SHARE_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {LINKEDIN_ORIGIN}")

# The media type of a JSON-LD document; wallets read it, and browsers save it as the .json it is named.
CREDENTIAL_MEDIA_TYPE = "application/ld+json"


@dataclass(frozen=True)
class Download:
    body: bytes
    name: str
    media_type: str


def list_for_earner(earner) -> list[IssuedCredential]:
    """The earner's issued credentials, newest first (the stack credential among them)."""
    query = (
        select(IssuedCredential)
        .where(IssuedCredential.earner_id == earner.id)
        .options(selectinload(IssuedCredential.credential), selectinload(IssuedCredential.stack))
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
    )
    return list(db.session.scalars(query))


def issued_for_version(version) -> IssuedCredential | None:
    """The credential issued when version was earned, if any."""
    query = select(IssuedCredential).where(
        IssuedCredential.version_id == version.id, IssuedCredential.kind == Kind.CREDENTIAL
    )
    return db.session.scalar(query)


def badge_image(*, stack: Stack, credential: Credential | None = None) -> bytes:
    """The badge of a credential, or of the stack when credential is None."""
    if credential is None:
        return badge_png(stack.title, "Stack credential", f"All {len(stack.credentials)} micro-credentials")
    footer = f"Micro-credential {credential.position} of {len(stack.credentials)}"
    return badge_png(credential.title, stack.title, footer)


def issuer_name(issued: IssuedCredential) -> str:
    """The issuing organization, as the signed credential names it."""
    issuer = issued.document_json.get("issuer")
    return str(issuer.get("name", "")) if isinstance(issuer, dict) else ""


def results(issued: IssuedCredential) -> list[tuple[str, str]]:
    """(what was judged, its result): every part of the earned version, or every credential of the stack."""
    if issued.kind == Kind.STACK:
        return [(credential.title, "Earned") for credential in issued.stack.credentials]
    # Issued only when every part of the version was marked Yes (reviews.services.outcome).
    return [(f"Part {number}. {part.title}", "Yes") for number, part in enumerate(issued.version.requirements.parts, 1)]


def linkedin_url(issued: IssuedCredential) -> str:
    return add_to_profile_url(
        name=issued.title, organization=issuer_name(issued), issued_at=issued.issued_at,
        cert_url=public_page_url(issued), cert_id=issued.credential_url_id,
    )


def share_context(issued: IssuedCredential, back: str) -> dict:
    """What the share panel (templates/badges/_share.html) shows; `back` is the page its buttons return to."""
    return {
        "issued": issued,
        "public_url": public_page_url(issued),
        "linkedin_url": linkedin_url(issued),
        "issuer": issuer_name(issued),
        "back": back,
    }


def credential_json(issued: IssuedCredential) -> Download:
    """The signed document exactly as issued: any re-serialization would break its proof."""
    return Download(issued.document.encode("utf-8"), f"{_file_stem(issued)}-credential.json", CREDENTIAL_MEDIA_TYPE)


def baked_badge(issued: IssuedCredential) -> Download:
    png = bake(badge_image(stack=issued.stack, credential=issued.credential), issued.document)
    return Download(png, f"{_file_stem(issued)}-badge.png", "image/png")


def certificate(issued: IssuedCredential) -> Download:
    pdf = certificate_pdf(Certificate(
        earner=issued.earner.name,
        title=issued.title,
        kind_label="stack credential" if issued.kind == Kind.STACK else "micro-credential",
        stack=issued.stack.title,
        issuer=issuer_name(issued),
        earned_at=issued.issued_at,
        results=results(issued),
        credential_id=issued.credential_url_id,
        verify_url=public_page_url(issued),
        badge_png=badge_image(stack=issued.stack, credential=issued.credential),
    ))
    return Download(pdf, f"{_file_stem(issued)}-certificate.pdf", "application/pdf")


def _file_stem(issued: IssuedCredential) -> str:
    return issued.credential.slug if issued.credential is not None else issued.stack.slug
