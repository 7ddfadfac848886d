"""What the scoring page shows, as plain values: two statements built once (the assignment with its version and
the reviewer's results so far, then the version's files), the credential and its parts from the catalog cache.
Each part is a row ready for the page's one loop: the answer already drawn, the files' links and labels made.

The educator's name is read only when the stack does not review blind, by a statement of its own: under blind
review it never leaves the database.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import Text, bindparam, cast, select

from portal import cache
from portal.accounts.models import User
from portal.catalog.cached import CATALOG, catalog_view
from portal.catalog.loader import PartSpec
from portal.extensions import db
from portal.reviews.models import Assignment, AssignmentState, PartResult, Review
from portal.submissions.models import Artifact, State, Submission, Version
from portal.text import count_words, plural, render_markdown

_PAGE = (
    select(
        Assignment.reviewer_id, Assignment.state, Assignment.due_at, Assignment.closed_at,
        Version.id, Version.submission_id, Version.number, Version.state, Version.requirements_id,
        Version.saved_at, cast(Version.answers, Text),  # parsed once, not once per result row
        PartResult.part_key, PartResult.result, PartResult.feedback,
        cache.generation_column(CATALOG),
    )
    .join(Version, Version.id == Assignment.version_id)
    .outerjoin(Review, Review.assignment_id == Assignment.id)
    .outerjoin(PartResult, PartResult.review_id == Review.id)
    .where(Assignment.id == bindparam("assignment_id"))
    .order_by(PartResult.id)
)
_FILES = (
    select(Artifact.id, Artifact.part_key, Artifact.original_name, Artifact.kind, Artifact.size, Artifact.sha256)
    .where(Artifact.version_id == bindparam("version_id"))
    .order_by(Artifact.id)
)
_EDUCATOR_NAME = (
    select(User.name).join(Submission, Submission.educator_id == User.id)
    .where(Submission.id == bindparam("submission_id"))
)


@dataclass(frozen=True)
class File:
    id: int
    part_key: str
    original_name: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ScoringPage:
    """One assignment as its reviewer sees it. `results`: the results saved so far, part key -> (result,
    feedback). It also stands for the version where changes.py compares two (`id`, `answers`, ...)."""

    assignment_id: int
    reviewer_id: int
    state: str
    due_at: datetime
    closed_at: datetime | None
    id: int  # the version's
    submission_id: int
    number: int
    version_state: str
    saved_at: datetime
    title: str
    blind: bool
    educator_name: str | None  # None under blind review
    parts: tuple[PartSpec, ...]
    answers: dict
    files: tuple[File, ...]
    results: dict[str, tuple[str | None, str]]

    @property
    def is_open(self) -> bool:
        return self.state == AssignmentState.OPEN

    @property
    def is_editable(self) -> bool:
        return self.is_open and self.version_state in (State.SUBMITTED, State.IN_REVIEW)

    @property
    def state_label(self) -> str:
        return State(self.version_state).label

    def artifacts_for(self, part_key: str) -> list[File]:
        return [f for f in self.files if f.part_key == part_key]


def load(assignment_id: int) -> ScoringPage | None:
    """The page's values, or None when there is no such assignment (the caller checks who may see it)."""
    rows = db.session.connection().execute(_PAGE, {"assignment_id": assignment_id}).all()
    if not rows:
        return None
    (reviewer_id, state, due_at, closed_at, version_id, submission_id, number, version_state, requirements_id,
     saved_at, answers, *_, generation) = rows[0]
    cache.note_generation(CATALOG, generation)
    catalog = catalog_view()
    requirements = catalog.requirements_by_id[requirements_id]
    credential = catalog.credentials_by_id[requirements.credential_id]
    blind = next(s.blind_review for s in catalog.stacks if s.id == credential.stack_id)
    educator_name = None if blind else db.session.connection().scalar(
        _EDUCATOR_NAME, {"submission_id": submission_id})
    files = tuple(File(*row) for row in db.session.connection().execute(_FILES, {"version_id": version_id}))
    results = {row.part_key: (row.result, row.feedback) for row in rows if row.part_key is not None}
    return ScoringPage(
        assignment_id, reviewer_id, state, due_at, closed_at, version_id, submission_id, number, version_state,
        saved_at, credential.title, blind, educator_name, requirements.parts, json.loads(answers or "{}"), files,
        results,
    )


@dataclass(frozen=True)
class PartRow:
    """One part as the page prints it."""

    part: PartSpec
    number: int
    answer: Markup  # the educator's answer, drawn
    files: tuple[tuple[str, str], ...]  # (link, label)
    chosen: str | None
    feedback: str
    problem: str | None
    mine: str  # the saved result's label, for a page that can no longer be changed
    mine_feedback: Markup


_LABELS = {"yes": "Yes", "not_yet": "Not yet"}


def part_rows(page: ScoringPage, entries: dict, problems, file_href: str) -> list[PartRow]:
    """`entries`: the results to show in the fields (saved, or just posted); `file_href`: a file's link with {}
    for its id, built once per page."""
    problem_for = {p.part_key: p.message for p in problems}
    answers = _answers(page)
    shows_mine = not page.is_editable  # the saved results, drawn only on a page that can no longer be changed
    rows = []
    for number, (part, answer) in enumerate(zip(page.parts, answers, strict=True), start=1):
        chosen, feedback = entries.get(part.key) or (None, "")
        mine = page.results.get(part.key) if shows_mine else None
        rows.append(PartRow(
            part, number, answer, _files(page.artifacts_for(part.key), page.blind, file_href), chosen,
            feedback or "", problem_for.get(part.key), _LABELS.get(mine[0], "—") if mine else "—",
            render_markdown(mine[1]) if mine else Markup(""),
        ))
    return rows


# A version under review is frozen (submitted), and its answers drawn cost more than the rest of the page: kept per
# version, keyed by its id and last save (a test database that reuses an id has other save times).
_ANSWERS: dict[tuple, tuple[Markup, ...]] = {}
_ANSWERS_KEPT = 256


def _answers(page: ScoringPage) -> tuple[Markup, ...]:
    key = (page.id, page.saved_at, page.parts)
    drawn = _ANSWERS.get(key)
    if drawn is None:
        drawn = tuple(_answer(part, page.answers.get(part.key) or {}) for part in page.parts)
        if len(_ANSWERS) >= _ANSWERS_KEPT:
            _ANSWERS.pop(next(iter(_ANSWERS), None), None)  # another thread may have dropped it already
        _ANSWERS[key] = drawn
    return drawn


def _answer(part: PartSpec, answer: dict) -> Markup:
    if part.kind == "essay":
        text = answer.get("text")
        return Markup('<div class="rendered">{}</div>\n<p class="meta">{} (limit {})</p>').format(
            render_markdown(text or ""), plural(count_words(text), "word"), part.word_limit)
    if part.kind != "plan":
        return Markup("")
    goals = []
    for index, goal in enumerate(answer.get("goals") or [], start=1):
        fields = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(f.label, render_markdown(goal.get(f.key) or "—"))
            for f in part.fields
        )
        goals.append(Markup('<h4>Goal {}</h4>\n<div class="rendered">{}</div>\n<dl class="goal-fields">{}</dl>')
                     .format(index, render_markdown(goal.get("statement") or ""), fields))
    return Markup("\n").join(goals)


def _files(files: list[File], blind: bool, href: str) -> tuple[tuple[str, str], ...]:
    if blind:  # a neutral label: educators often put their name in file names
        return tuple((href.format(f.id), f"File {n} ({f.kind.upper()}, {round(f.size / 1024)} KB)")
                     for n, f in enumerate(files, start=1))
    return tuple((href.format(f.id), f.original_name) for f in files)
