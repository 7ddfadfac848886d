"""The staff list of issued credentials and its CSV export: one query for a page (or for the whole export)
whatever the filters. Exporting e-mail addresses is audited (record_export).

Cohorts sit above badges, so what this list needs of them (the members of the cohort filtered on, the earners'
cohort names) is passed in by the page."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from portal import audit
from portal.accounts.models import Organization, User
from portal.badges.models import IssuedCredential, Kind
from portal.catalog.models import Credential, Stack
from portal.extensions import db

VALID, REVOKED = "valid", "revoked"
STATUS_LABELS = {VALID: "Valid", REVOKED: "Revoked"}
CREDENTIAL_PREFIX, STACK_PREFIX = "c", "s"  # the credential filter's values: "c12" a credential, "s3" a stack's


@dataclass(frozen=True)
class IssuedFilters:
    credential_id: int | None = None
    stack_id: int | None = None  # the stack credential of this stack
    cohort_id: int | None = None
    issued_from: date | None = None
    issued_to: date | None = None  # inclusive
    status: str | None = None  # VALID or REVOKED


def issued_query(filters: IssuedFilters, *, cohort_members: Select | None = None) -> Select:
    """One row per issued credential with its earner, organization, credential (or stack) title and stack.
    cohort_members: a SELECT of the user ids of filters.cohort_id's members (required with that filter)."""
    query = (
        select(
            IssuedCredential.id, IssuedCredential.uuid, IssuedCredential.kind, IssuedCredential.issued_at,
            IssuedCredential.revoked_at, IssuedCredential.revoked_reason, IssuedCredential.is_public,
            IssuedCredential.share_token, IssuedCredential.earner_id,
            User.name.label("earner"), User.email, Organization.name.label("organization"),
            func.coalesce(Credential.title, Stack.title).label("title"), Stack.title.label("stack"),
        )
        .join(User, User.id == IssuedCredential.earner_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .outerjoin(Credential, Credential.id == IssuedCredential.credential_id)
        .join(Stack, Stack.id == IssuedCredential.stack_id)
    )
    return _filtered(query, filters, cohort_members)


def _filtered(query: Select, filters: IssuedFilters, cohort_members: Select | None) -> Select:
    if filters.credential_id is not None:
        query = query.where(IssuedCredential.credential_id == filters.credential_id)
    if filters.stack_id is not None:
        query = query.where(IssuedCredential.kind == Kind.STACK, IssuedCredential.stack_id == filters.stack_id)
    if filters.cohort_id is not None:
        query = query.where(IssuedCredential.earner_id.in_(cohort_members))
    if filters.issued_from is not None:
        query = query.where(IssuedCredential.issued_at >= datetime.combine(filters.issued_from, time.min))
    if filters.issued_to is not None:
        next_day = datetime.combine(filters.issued_to + timedelta(days=1), time.min)
        query = query.where(IssuedCredential.issued_at < next_day)
    if filters.status == VALID:
        query = query.where(IssuedCredential.revoked_at.is_(None))
    elif filters.status == REVOKED:
        query = query.where(IssuedCredential.revoked_at.is_not(None))
    return query


def status_of(row) -> str:
    return REVOKED if row.revoked_at is not None else VALID


def credential_choices() -> list[tuple[str, str]]:
    """Every credential, then each stack's stack credential, as (filter value, label)."""
    credentials = db.session.execute(
        select(Credential.id, Credential.title, Stack.title).join(Stack).order_by(Stack.title, Credential.position)
    )
    stacks = db.session.execute(select(Stack.id, Stack.title).order_by(Stack.title))
    return [
        *[(f"{CREDENTIAL_PREFIX}{cid}", f"{title} ({stack})") for cid, title, stack in credentials],
        *[(f"{STACK_PREFIX}{sid}", f"{title}: the whole stack") for sid, title in stacks],
    ]


def all_rows(query: Select) -> list:
    return list(db.session.execute(query.order_by(IssuedCredential.id.desc())))


# ---------- CSV ----------

CSV_HEADER = [
    "Credential ID", "Earner", "Email", "Organization", "Cohorts", "Credential", "Stack", "Issued (UTC)", "Status",
    "Revoked (UTC)", "Revocation reason", "Public page shared",
]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def csv_line(row, cohorts: dict[int, list[str]]) -> list:
    """One line of the export (CSV_HEADER's columns), before the cells are neutralized."""
    return [
        f"urn:uuid:{row.uuid}", row.earner, row.email, row.organization, "; ".join(cohorts.get(row.earner_id, [])),
        row.title, row.stack, _when(row.issued_at), STATUS_LABELS[status_of(row)], _when(row.revoked_at),
        row.revoked_reason, "Yes" if row.is_public else "No",
    ]


def record_export(*, actor, filters: IssuedFilters, rows: int) -> None:
    """Audit an export: it carries the earners' e-mail addresses out of the portal."""
    applied = {key: str(value) for key, value in asdict(filters).items() if value is not None}
    audit.record("credentials.exported", actor=actor, filters=applied, rows=rows)
