"""CSV exports of the dashboard's tables: the same figures, and the same suppression, as on screen.

Every cell goes through portal.csvfile.neutralize(), so a spreadsheet never runs a cell as a formula."""

from flask import current_app

from portal.catalog.models import Credential
from portal.cohorts.breakdowns import Breakdown, rounding_rule
from portal.cohorts.dashboard import (
    CATEGORIES,
    CATEGORY_LABELS,
    FUNNEL_LABELS,
    FUNNEL_STAGES,
    MILESTONE_LABELS,
    MILESTONE_STATUSES,
    Summary,
)
from portal.cohorts.matrix import MatrixRow
from portal.csvfile import to_csv

TOO_FEW = "too few to tell"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _based(value: float | None, base: int, setting: str) -> str:
    """The figure as on screen: "too few to tell" when it rests on fewer than the setting's minimum."""
    return TOO_FEW if base < current_app.config[setting] else _number(value)


def matrix_csv(credentials: list[Credential], rows: list[MatrixRow]) -> str:
    header = ["Name", "Email", "Organization", "Role", "Earned", *[c.title for c in credentials]]
    return to_csv(header, (
        [r.name, r.email, r.organization, r.role, r.earned, *[cell.label for cell in r.cells]] for r in rows
    ))


def credentials_csv(summary: Summary) -> str:
    header = ["Credential", *[CATEGORY_LABELS[c] for c in CATEGORIES], "Median days to decision"]
    return to_csv(header, (
        [f.credential.title, *[f.counts[c] for c in CATEGORIES], _number(f.median_days)] for f in summary.credentials
    ))


def funnel_csv(summary: Summary) -> str:
    header = ["Credential", *[FUNNEL_LABELS[s] for s in FUNNEL_STAGES]]
    return to_csv(header, ([f.credential.title, *[f.funnel[s] for s in FUNNEL_STAGES]] for f in summary.credentials))


def milestones_csv(summary: Summary) -> str:
    header = ["Milestone", "Target date", "Credentials", *[MILESTONE_LABELS[s] for s in MILESTONE_STATUSES]]
    return to_csv(header, (
        [m.milestone.title, m.milestone.due_on.isoformat(), "; ".join(c.title for c in m.milestone.credentials),
         *[m.counts[s] for s in MILESTONE_STATUSES]]
        for m in summary.milestones
    ))


def parts_csv(summary: Summary) -> str:
    header = ["Credential", "Part", "Not yet", "Results recorded", "Not yet (%)"]
    return to_csv(header, (
        [p.credential.title, p.part_title, p.not_yet, p.judged, _based(p.rate.percent, p.judged, "STATS_MIN_RESULTS")]
        for p in summary.parts
    ))


def timing_csv(summary: Summary) -> str:
    rate = summary.first_attempt
    return to_csv(
        ["Measure", "Value", "Out of"],
        [
            ["Members", summary.members, ""],
            ["Median days from submission to decision", _median(summary), summary.decided],
            ["First-attempt earn rate (%)", _based(rate.percent, rate.total, "STATS_MIN_DECISIONS"), rate.total],
            ["Credentials issued and in force", summary.issued.in_force, ""],
            ["Credentials issued, since revoked", summary.issued.revoked, ""],
        ],
    )


def _median(summary: Summary) -> str:
    if not summary.decided:
        return "not enough decisions yet"
    return _based(summary.median_days, summary.decided, "STATS_MIN_DECISIONS")


def breakdown_csv(breakdown: Breakdown) -> str:
    """Self-reported breakdowns carry no median column and end with a note stating the rounding rule."""
    median = [] if breakdown.is_rounded else ["Median days to decision"]
    header = [
        "Group", "Members", *[f"Earned: {c.title}" for c in breakdown.credentials], "First-attempt earn rate (%)",
        *median,
    ]

    def line(row) -> list:
        if row.hidden:
            return [row.label, *[breakdown.hidden_label] * (len(header) - 1)]
        return [
            row.label, row.members, *[row.earned.get(c.id, 0) for c in breakdown.credentials],
            _number(row.first_attempt.percent), *([_number(row.median_days)] if median else []),
        ]

    note = [["Note", rounding_rule(breakdown.minimum)]] if breakdown.is_rounded else []
    return to_csv(header, [*map(line, breakdown.rows), line(breakdown.total), *note])
