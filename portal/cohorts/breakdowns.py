"""The dashboard's figures per group: by organization, and by each self-reported field with noisy rounding and
small groups suppressed (see suppression.py). Three queries for every breakdown of a page together (two
aggregates and the member list that keys the rounding), whatever the number of fields or members."""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.orm import joinedload, lazyload

from portal.catalog.models import Credential
from portal.cohorts import queries
from portal.cohorts.dashboard import Rate
from portal.cohorts.models import Cohort, ProfileField
from portal.cohorts.profile import active_fields
from portal.cohorts.suppression import ROUND_BASE, cell_key, fewer_than, publish_count, suppressed_groups

# Loader options: the cohort with its credentials in one query, and not its milestones, which no breakdown shows.
COHORT_LOAD = (joinedload(Cohort.credentials), lazyload(Cohort.milestones))


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
    minimum: int | None  # None: not suppressed, exact figures
    credentials: list[Credential] = field(default_factory=list)

    @property
    def is_rounded(self) -> bool:
        """Self-reported breakdowns publish rounded counts and no median (a median of a group would move
        when one person joins it)."""
        return self.minimum is not None

    @property
    def hidden_label(self) -> str:
        return fewer_than(self.minimum or 0)


def min_group() -> int:
    return int(current_app.config.get("COHORT_MIN_GROUP", 10))


def breakdowns(cohort: Cohort) -> list[Breakdown]:
    """By organization (not suppressed: the roster already shows each member's organization), then one per
    active self-reported field, suppressed."""
    return _breakdowns(cohort, by_organization=True, fields=active_fields())


def breakdown(cohort: Cohort, key: str) -> Breakdown | None:
    """One breakdown by its key ("organization" or a field key), or None."""
    if key == queries.ORGANIZATION:
        return _breakdowns(cohort, by_organization=True, fields=[])[0]
    profile_field = next((f for f in active_fields() if f.key == key), None)
    return _breakdowns(cohort, by_organization=False, fields=[profile_field])[0] if profile_field else None


class _Figures:
    """The figures of every group of some breakdowns: two queries."""

    def __init__(self, cohort: Cohort, groups, *, rounded: bool):
        self.credentials = cohort.credentials
        self.member_ids = queries.member_ids(cohort.id) if rounded else []
        self.groups = queries.group_figures(cohort.id, groups)
        self.earned = queries.earned_counts(cohort.id, groups)

    def sizes(self, breakdown: str) -> dict[str, int]:
        return {grp: figures.members for (b, grp), figures in self.groups.items() if b == breakdown}

    def rows(self, breakdown: str, labels: list[str]) -> list[GroupRow]:
        rows = []
        for label in labels:
            figures = self.groups.get((breakdown, label), queries.GroupFigures())
            rows.append(GroupRow(
                label=label,
                members=figures.members,
                earned={c.id: self.earned.get((breakdown, label, c.id), 0) for c in self.credentials},
                first_attempt=Rate(figures.first_earned, figures.first_decided),
                median_days=figures.median_days,
            ))
        return rows


def _breakdowns(cohort: Cohort, *, by_organization: bool, fields: list[ProfileField]) -> list[Breakdown]:
    splits = [queries.everyone(cohort.id)]
    splits += [queries.by_organization(cohort.id)] if by_organization else []
    splits += [queries.by_answer(cohort.id, f) for f in fields]
    figures = _Figures(cohort, queries.groups(*splits), rounded=bool(fields))
    total = figures.rows(queries.ALL, [queries.ALL])[0]
    total.label = "All members"
    result = []
    if by_organization:
        rows = figures.rows(queries.ORGANIZATION, sorted(figures.sizes(queries.ORGANIZATION)))
        result.append(Breakdown(queries.ORGANIZATION, "By organization", rows, total, None, cohort.credentials))
    return result + [_by_field(cohort, f, figures, total) for f in fields]


def _by_field(cohort: Cohort, profile_field: ProfileField, figures: _Figures, total: GroupRow) -> Breakdown:
    sizes = figures.sizes(profile_field.key)
    labels = [c for c in profile_field.choices if c != queries.PREFER_NOT]
    labels += sorted(set(sizes) - set(labels) - {queries.NO_ANSWER}) + [queries.NO_ANSWER]
    rows = figures.rows(profile_field.key, labels)
    secret, ids = current_app.config["SECRET_KEY"], figures.member_ids
    for row in rows:
        _round(row, lambda *cell, label=row.label: cell_key(secret, ids, profile_field.key, label, *cell))
    minimum = min_group()
    hidden = suppressed_groups({row.label: row.members for row in rows}, minimum)
    for row in rows:
        if row.label in hidden:
            _hide(row)
    return Breakdown(profile_field.key, f"By {profile_field.label.lower()}", rows, total, minimum, cohort.credentials)


def _round(row: GroupRow, key) -> None:
    """Replace every exact figure of a self-reported group by its published one (see suppression.py)."""
    row.members = publish_count(row.members, key("members"))
    row.earned = {cid: min(row.members, publish_count(n, key("earned", cid))) for cid, n in row.earned.items()}
    decided = publish_count(row.first_attempt.total, key("first_decided"))
    earned = min(decided, publish_count(row.first_attempt.hits, key("first_earned")))
    row.first_attempt, row.median_days = Rate(earned, decided), None


def rounding_rule(minimum: int) -> str:
    """The rule in one plain sentence, for the page and the CSV exports."""
    return (f"Counts of self-reported groups are rounded to a multiple of {ROUND_BASE} after a small random "
            f"adjustment, and groups under {minimum} are hidden, so that no one's answer can be worked out "
            "by comparing groups or cohorts; percentages are computed from the rounded counts.")


def _hide(row: GroupRow) -> None:
    """Drop the figures themselves, so no template or export can show them by mistake."""
    row.hidden, row.members, row.earned, row.first_attempt, row.median_days = True, 0, {}, Rate(), None
