"""Reading a roster CSV and working out what importing it would change. Nothing here writes."""

import csv
import io
from dataclasses import dataclass, field
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from portal.accounts.models import Organization, User
from portal.accounts.services import normalize_email
from portal.cohorts.models import Cohort, Membership, ProfileAnswer, ProfileField
from portal.cohorts.profile import matching_choice
from portal.extensions import db

REQUIRED_COLUMNS = ("email", "name", "organization")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "role")
MAX_ROWS = 5000
TEXT_LIMIT = 200


class Action(StrEnum):
    NEW_ACCOUNT = "new_account"  # a new account and its membership
    NEW_MEMBERSHIP = "new_membership"  # an existing account joins the cohort
    CHANGED = "changed"  # already a member; name, organization, role or answers change
    UNCHANGED = "unchanged"


ACTION_LABELS = {
    Action.NEW_ACCOUNT: "New account", Action.NEW_MEMBERSHIP: "New member (existing account)",
    Action.CHANGED: "Changed", Action.UNCHANGED: "Unchanged",
}


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    organization: str
    role: str
    answers: dict[str, str] = field(default_factory=dict)  # field key -> choice


@dataclass
class RowProblem:
    line: int
    email: str
    reasons: list[str]


@dataclass
class PlannedRow:
    row: RosterRow
    action: Action
    changes: list[str]
    user: User | None
    organization: Organization | None  # None: created on import
    new_answers: dict[str, str]  # answers to fill in (blank ones only)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class RosterPlan:
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    new_organizations: list[str] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def changes_anything(self) -> bool:
        return any(row.action != Action.UNCHANGED for row in self.rows)


def decode_upload(data: bytes) -> str:
    """Spreadsheets save UTF-8 (often with a byte-order mark) or Windows-1252; accept both."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _tidy(value: str | None) -> str:
    return " ".join((value or "").split())


def _header_key(name: str) -> str:
    return "_".join(name.strip().lower().split())


def parse_roster(text: str, fields: list[ProfileField]) -> ParsedRoster:
    """The well-formed rows of a roster and the problems of the others, each with its line number."""
    plan = ParsedRoster()
    reader = csv.reader(io.StringIO(text))
    header = [_header_key(h) for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        plan.file_errors.append(f"The first line must name the columns; missing: {', '.join(missing)}.")
        return plan
    by_key = {f.key: f for f in fields}
    plan.ignored_columns = [h for h in header if h and h not in KNOWN_COLUMNS and h not in by_key]
    seen, line = {}, 1
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(plan.rows) + len(plan.problems) >= MAX_ROWS:
            plan.file_errors.append(f"A roster may have at most {MAX_ROWS} rows; split the file.")
            break
        values = dict(zip(header, record, strict=False))
        row, reasons = _read_row(start, values, by_key)
        if row.email in seen:
            reasons.append(f"Same email address as line {seen[row.email]}.")
        elif row.email:
            seen[row.email] = start
        if reasons:
            plan.problems.append(RowProblem(start, values.get("email", "").strip(), reasons))
        else:
            plan.rows.append(row)
    return plan


def _read_row(line: int, values: dict, fields: dict[str, ProfileField]) -> tuple[RosterRow, list[str]]:
    reasons = []
    email = _valid_email(values.get("email", ""), reasons)
    name, organization, role = (_tidy(values.get(key)) for key in ("name", "organization", "role"))
    row = RosterRow(line, email, name, organization, role)
    if not row.name:
        reasons.append("Name is missing.")
    if not row.organization:
        reasons.append("Organization is missing.")
    for label, value in (("Name", row.name), ("Organization", row.organization), ("Role", row.role)):
        if len(value) > TEXT_LIMIT:
            reasons.append(f"{label} is longer than {TEXT_LIMIT} characters.")
    for key, profile_field in fields.items():
        value = _tidy(values.get(key))
        if value:
            choice = matching_choice(profile_field, value)
            if choice is None:
                reasons.append(f"“{value}” is not one of the answers for {profile_field.label}.")
            else:
                row.answers[key] = choice
    return row, reasons


def _valid_email(raw: str, reasons: list[str]) -> str:
    email = normalize_email(raw or "")
    if not email:
        reasons.append("Email address is missing.")
        return ""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        reasons.append(f"“{raw.strip()}” is not a valid email address.")
        return ""
    if len(email) > 254:
        reasons.append("Email address is longer than 254 characters.")
        return ""
    return email


def plan_roster(*, cohort: Cohort, text: str, create_organizations: bool, fields: list[ProfileField]) -> RosterPlan:
    """What importing text into cohort would do, row by row, and every row that cannot be imported.
    Reads the database in five queries, whatever the number of rows; writes nothing."""
    parsed = parse_roster(text, fields)
    plan = RosterPlan(problems=parsed.problems, file_errors=parsed.file_errors, ignored_columns=parsed.ignored_columns)
    emails = [row.email for row in parsed.rows]
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    memberships = _memberships(cohort, [u.id for u in users.values()])
    orgs = _organizations({row.organization for row in parsed.rows})
    answered = _answered(list(users.values()))
    keys = {f.key: f for f in fields}
    new_orgs = {}
    for row in parsed.rows:
        org = orgs.get(org_key(row.organization))
        if org is None and not create_organizations:
            plan.problems.append(RowProblem(row.line, row.email, [
                f"Unknown organization “{row.organization}”. Check the spelling, or tick “create new organizations”."
            ]))
            continue
        if org is None:
            new_orgs.setdefault(org_key(row.organization), row.organization)
        plan.rows.append(_plan_row(row, users.get(row.email), memberships, org, answered, keys))
    plan.problems.sort(key=lambda p: p.line)
    plan.new_organizations = sorted(new_orgs.values(), key=org_key)
    return plan


def org_key(name: str) -> str:
    """Organizations match ignoring case, as accounts.get_or_create_organization matches them (SQL lower())."""
    return name.lower()


def _memberships(cohort: Cohort, user_ids: list[int]) -> dict[int, Membership]:
    if not user_ids or cohort.id is None:
        return {}
    query = select(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id.in_(user_ids))
    return {m.user_id: m for m in db.session.scalars(query)}


def _organizations(names: set[str]) -> dict[str, Organization]:
    if not names:
        return {}
    query = select(Organization).where(func.lower(Organization.name).in_([n.lower() for n in names]))
    return {org_key(org.name): org for org in db.session.scalars(query)}


def _answered(users: list[User]) -> set[tuple[int, int]]:
    if not users:
        return set()
    query = select(ProfileAnswer.user_id, ProfileAnswer.field_id).where(
        ProfileAnswer.user_id.in_([u.id for u in users])
    )
    return {tuple(row) for row in db.session.execute(query)}


def _plan_row(row: RosterRow, user, members: dict, org, answered: set, fields: dict) -> PlannedRow:
    """Answers from the file only fill blanks: what an educator chose for themselves is never overwritten."""
    if user is None:
        return PlannedRow(row, Action.NEW_ACCOUNT, [], None, org, dict(row.answers))
    changes = []
    if user.name != row.name:
        changes.append(f"name “{user.name}” → “{row.name}”")
    current_org = user.organization.name if user.organization else ""
    if org_key(current_org) != org_key(row.organization):
        changes.append(f"organization “{current_org}” → “{row.organization}”")
    membership = members.get(user.id)
    if membership is not None and membership.district_role != row.role:
        changes.append(f"role “{membership.district_role}” → “{row.role}”")
    new_answers = {k: v for k, v in row.answers.items() if (user.id, fields[k].id) not in answered}
    changes += [f"fills in {fields[k].label.lower()}" for k in new_answers]
    action = Action.CHANGED if changes else Action.UNCHANGED
    if membership is None:
        action = Action.NEW_MEMBERSHIP
    return PlannedRow(row, action, changes, user, org, new_answers)
