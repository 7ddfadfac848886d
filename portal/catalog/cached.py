"""The catalog as plain values, read once per process and again after a stack is loaded.

The catalog changes only when `flask catalog load` (or the demo) syncs a stack file, and sync_stack says so with
`cache.changed("catalog")`; every page in between reads these frozen values instead of lazy-loading stacks,
credentials and requirements row by row. The values carry the attribute names of the models the templates
already use (`credential.title`, `stack.credentials`, `requirements.parts`), so a template reads either.

For other pages: `catalog_view()` is the whole catalog, `credential_titles()` maps credential ids to titles,
`requirements_view(id)` is one requirements version (old versions included: submissions keep theirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import select

from portal.cache import ProcessCache
from portal.catalog.loader import PartSpec, part_from_dict
from portal.catalog.models import Credential, Requirements, Stack, credential_prerequisites
from portal.extensions import db

CATALOG = "catalog"  # the cache name sync_stack bumps
_cache = ProcessCache(CATALOG, max_entries=4)


@dataclass(frozen=True)
class RequirementsView:
    id: int
    credential_id: int
    number: int
    parts: tuple[PartSpec, ...]

    def part(self, key: str) -> PartSpec:
        return next(p for p in self.parts if p.key == key)


@dataclass(frozen=True)
class PrerequisiteView:
    id: int
    slug: str
    title: str


@dataclass(frozen=True)
class CredentialView:
    id: int
    stack_id: int
    stack_slug: str
    slug: str
    position: int
    title: str
    summary: str
    key_method: str
    about: str
    earning: str
    is_sample: bool
    sample_note: str
    research: tuple[str, ...]
    license: str
    prerequisites: tuple[PrerequisiteView, ...]
    requirements: RequirementsView | None  # the current version: what new drafts are written against

    @property
    def number_in_stack(self) -> int:
        return self.position


@dataclass(frozen=True)
class StackView:
    id: int
    slug: str
    title: str
    issuer: str
    issuer_url: str
    summary: str
    blind_review: bool
    credentials: tuple[CredentialView, ...]  # in stack order

    def credential(self, slug: str) -> CredentialView | None:
        return next((c for c in self.credentials if c.slug == slug), None)


@dataclass(frozen=True)
class CatalogView:
    stacks: tuple[StackView, ...]  # by title, as the index lists them
    stacks_by_slug: MappingProxyType  # slug -> StackView
    credentials_by_id: MappingProxyType  # id -> CredentialView
    requirements_by_id: MappingProxyType  # id -> RequirementsView, every version


def catalog_view() -> CatalogView:
    """The whole catalog, from this process's copy (one query a request for the generation, none for rows)."""
    return _cache.get("all", _load)


def find_stack(slug: str) -> StackView | None:
    return catalog_view().stacks_by_slug.get(slug)


def credential_titles() -> MappingProxyType:
    """Credential id -> title, for lists that name credentials."""
    return _cache.get("titles", lambda: MappingProxyType(
        {c.id: c.title for c in catalog_view().credentials_by_id.values()}
    ))


def requirements_view(requirements_id: int) -> RequirementsView:
    return catalog_view().requirements_by_id[requirements_id]


def _load() -> CatalogView:
    # Four plain queries for the whole catalog: it is a few stacks of a few credentials each.
    stacks = db.session.execute(select(
        Stack.id, Stack.slug, Stack.title, Stack.issuer, Stack.issuer_url, Stack.summary, Stack.blind_review,
    ).order_by(Stack.title, Stack.id)).all()
    rows = db.session.execute(select(
        Credential.id, Credential.stack_id, Credential.slug, Credential.position, Credential.title,
        Credential.summary, Credential.key_method, Credential.about, Credential.earning, Credential.is_sample,
        Credential.sample_note, Credential.research, Credential.license,
    ).order_by(Credential.stack_id, Credential.position, Credential.id)).all()
    requirements = {
        r.id: RequirementsView(r.id, r.credential_id, r.number, tuple(part_from_dict(d) for d in r.parts_data))
        for r in db.session.execute(select(
            Requirements.id, Requirements.credential_id, Requirements.number, Requirements.parts_data,
        ))
    }
    newest: dict[int, RequirementsView] = {}
    for version in requirements.values():
        if version.credential_id not in newest or version.number > newest[version.credential_id].number:
            newest[version.credential_id] = version
    prerequisite_pairs = db.session.execute(select(
        credential_prerequisites.c.credential_id, credential_prerequisites.c.prerequisite_id,
    )).all()
    stack_slugs = {s.id: s.slug for s in stacks}
    by_id = {r.id: r for r in rows}
    prerequisites: dict[int, list] = {}
    for credential_id, prerequisite_id in prerequisite_pairs:
        prerequisites.setdefault(credential_id, []).append(by_id[prerequisite_id])
    credentials = {
        r.id: CredentialView(
            id=r.id, stack_id=r.stack_id, stack_slug=stack_slugs[r.stack_id], slug=r.slug, position=r.position,
            title=r.title, summary=r.summary, key_method=r.key_method, about=r.about, earning=r.earning,
            is_sample=r.is_sample, sample_note=r.sample_note, research=tuple(r.research or ()), license=r.license,
            prerequisites=tuple(
                PrerequisiteView(p.id, p.slug, p.title)
                for p in sorted(prerequisites.get(r.id, ()), key=lambda p: (p.position, p.id))
            ),
            requirements=newest.get(r.id),
        )
        for r in rows
    }
    views = tuple(
        StackView(
            id=s.id, slug=s.slug, title=s.title, issuer=s.issuer, issuer_url=s.issuer_url, summary=s.summary,
            blind_review=s.blind_review,
            credentials=tuple(c for c in credentials.values() if c.stack_id == s.id),
        )
        for s in stacks
    )
    return CatalogView(
        stacks=views,
        stacks_by_slug=MappingProxyType({s.slug: s for s in views}),
        credentials_by_id=MappingProxyType(credentials),
        requirements_by_id=MappingProxyType(requirements),
    )
