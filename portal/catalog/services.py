"""Loading stacks from their data files into the database."""

from flask import abort
from sqlalchemy import select

from portal import audit, cache
from portal.catalog.loader import CredentialSpec, StackSpec
from portal.catalog.models import Credential, Requirements, Stack
from portal.extensions import db

CREDENTIAL_TEXT_FIELDS = ("title", "summary", "key_method", "about", "earning", "sample_note", "license")


def sync_stack(spec: StackSpec, *, actor=None) -> list[str]:
    """Create or update a stack from its spec. Changed parts become a new requirements version;
    drafts keep the version they were started with. Every process reads the catalog again after the commit
    (portal/catalog/cached.py). Returns a line per change for the console."""
    stack = db.session.scalar(select(Stack).where(Stack.slug == spec.slug))
    changes = []
    if stack is None:
        stack = Stack(slug=spec.slug)
        db.session.add(stack)
        changes.append(f"stack {spec.slug}: created")
    stack.title, stack.issuer, stack.summary, stack.blind_review = (
        spec.title, spec.issuer, spec.summary, spec.blind_review
    )
    stack.issuer_url = spec.issuer_url
    by_slug = {credential.slug: credential for credential in stack.credentials}
    for position, credential_spec in enumerate(spec.credentials, start=1):
        credential = by_slug.get(credential_spec.slug)
        if credential is None:
            credential = Credential(stack=stack, slug=credential_spec.slug)
            db.session.add(credential)
            by_slug[credential.slug] = credential
        changes += _sync_credential(credential, credential_spec, position, by_slug)
    missing = set(by_slug) - {c.slug for c in spec.credentials}
    changes += [f"credential {slug}: no longer in the file; kept for its submissions" for slug in sorted(missing)]
    db.session.flush()
    audit.record("catalog.load", actor=actor, subject=stack, changes=changes)
    cache.changed("catalog")  # titles, credentials and stacks cached per process are read again
    return changes


def _sync_credential(credential: Credential, spec: CredentialSpec, position: int, by_slug) -> list[str]:
    for name in CREDENTIAL_TEXT_FIELDS:
        setattr(credential, name, getattr(spec, name))
    credential.position, credential.is_sample, credential.research = position, spec.is_sample, list(spec.research)
    credential.prerequisites = [by_slug[slug] for slug in spec.prerequisites]
    parts_data = [part.to_dict() for part in spec.parts]
    versions = credential.requirement_versions
    if versions and versions[0].parts_data == parts_data:
        return []
    number = versions[0].number + 1 if versions else 1
    credential.requirement_versions.insert(0, Requirements(number=number, parts_data=parts_data))
    return [f"credential {spec.slug}: requirements version {number}"]


def get_stack_or_404(slug: str) -> Stack:
    return db.first_or_404(select(Stack).where(Stack.slug == slug))


def get_credential_or_404(stack_slug: str, credential_slug: str) -> Credential:
    query = select(Credential).join(Stack).where(Stack.slug == stack_slug, Credential.slug == credential_slug)
    credential = db.session.scalar(query)
    if credential is None:
        abort(404)
    return credential
