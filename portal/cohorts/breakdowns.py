"""The dashboard's figures per group: by organization, and by each self-reported field with small groups
suppressed (see suppression.py). A fixed number of aggregate queries per breakdown, whatever the cohort's size."""

from dataclasses import dataclass, field

from flask import current_app

from portal.catalog.models import Credential
from portal.cohorts import queries
from portal.cohorts.dashboard import Rate
from portal.cohorts.models import Cohort, ProfileField
from portal.cohorts.profile import active_fields
from portal.cohorts.suppression import fewer_than, suppressed_groups


@dataclass
class GroupRow:
    label: str
    members: int
    earned: dict[int, int]  # credential id -> members who earned it
    first_attempt: Rate
    median_days: float | None
    hidden: bool = False


@dataclass
class Breakdown:
    key: str  # "organization" or a field key; also the export's name
    title: str
    rows: list[GroupRow]
    total: GroupRow
    minimum: int | None  # None: not suppressed
    credentials: list[Credential] = field(default_factory=list)

    @property
    def hidden_label(self) -> str:
        return fewer_than(self.minimum or 0)


def min_group() -> int:
    return int(current_app.config.get("COHORT_MIN_GROUP", 10))


def breakdowns(cohort: Cohort) -> list[Breakdown]:
    """By organization (not suppressed: the roster already shows each member's organization), then one per
    active self-reported field, suppressed."""
    total = _total(cohort)
    result = [breakdown_by_organization(cohort, total)]
    result += [breakdown_by_field(cohort, f, total) for f in active_fields()]
    return result


def breakdown(cohort: Cohort, key: str) -> Breakdown | None:
    """One breakdown by its key ("organization" or a field key), or None."""
    if key == "organization":
        return breakdown_by_organization(cohort, _total(cohort))
    profile_field = next((f for f in active_fields() if f.key == key), None)
    return breakdown_by_field(cohort, profile_field, _total(cohort)) if profile_field else None


def _total(cohort: Cohort) -> GroupRow:
    total = _group_rows(cohort, queries.everyone(cohort.id), ["all"])[0]
    total.label = "All members"
    return total


def breakdown_by_organization(cohort: Cohort, total: GroupRow) -> Breakdown:
    groups = queries.by_organization(cohort.id)
    rows = _group_rows(cohort, groups, sorted(queries.member_counts(groups)))
    return Breakdown("organization", "By organization", rows, total, None, cohort.credentials)


def breakdown_by_field(cohort: Cohort, profile_field: ProfileField, total: GroupRow) -> Breakdown:
    groups = queries.by_answer(cohort.id, profile_field.id)
    sizes = queries.member_counts(groups)
    labels = [c for c in profile_field.choices if c != queries.PREFER_NOT]
    labels += sorted(set(sizes) - set(labels) - {queries.NO_ANSWER}) + [queries.NO_ANSWER]
    rows = _group_rows(cohort, groups, labels, sizes)
    minimum = min_group()
    hidden = suppressed_groups({row.label: row.members for row in rows}, minimum)
    for row in rows:
        if row.label in hidden:
            _hide(row)
    return Breakdown(profile_field.key, f"By {profile_field.label.lower()}", rows, total, minimum, cohort.credentials)


def _hide(row: GroupRow) -> None:
    """Drop the figures themselves, so no template or export can show them by mistake."""
    row.hidden, row.members, row.earned, row.first_attempt, row.median_days = True, 0, {}, Rate(), None


def _group_rows(cohort: Cohort, groups, labels: list[str], sizes: dict | None = None) -> list[GroupRow]:
    sizes = sizes if sizes is not None else queries.member_counts(groups)
    earned = queries.earned_counts(cohort.id, groups)
    first = queries.first_attempts(cohort.id, groups)
    medians = queries.median_days(cohort.id, groups)
    return [
        GroupRow(
            label=label,
            members=sizes.get(label, 0),
            earned={c.id: earned.get((label, c.id), 0) for c in cohort.credentials},
            first_attempt=Rate(*first.get(label, (0, 0))),
            median_days=medians.get(label),
        )
        for label in labels
    ]
