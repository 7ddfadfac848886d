"""What a reviewer of version 2 or later sees per part: the earlier result and feedback, and what changed.

One query for the earlier version's deciding review; the earlier version's answers and files are already
loaded with the submission.
"""

from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from portal.catalog.loader import PartSpec
from portal.extensions import db
from portal.reviews.models import PartResult, Review
from portal.reviews.services import deciding_review
from portal.submissions.models import Version
from portal.textdiff import has_changes, is_comparable, word_diff


@dataclass(frozen=True)
class TextChange:
    label: str  # "Text", or "Goal 2, Action Steps"
    diff: Markup | None  # None when the text is too long to compare word by word


@dataclass
class PartChanges:
    texts: list[TextChange] = field(default_factory=list)
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)

    @property
    def is_unchanged(self) -> bool:
        return not (self.texts or self.files_added or self.files_removed)


@dataclass(frozen=True)
class EarlierRound:
    version: Version
    review: Review | None  # the review that decided it (None if it was never decided)
    changes: dict[str, PartChanges]  # part key -> changes since that version

    def result_for(self, part_key: str) -> PartResult | None:
        return self.review.result_for(part_key) if self.review else None


def earlier_round(version: Version) -> EarlierRound | None:
    """The version before this one, how it was reviewed and what changed since; None for a first version."""
    if version.number == 1:
        return None  # without reading the submission's versions
    versions = version.submission.versions
    earlier = next((v for v in versions if v.number == version.number - 1), None)
    if earlier is None:
        return None
    changes = _changes_between(earlier, version, version.requirements.parts)
    return EarlierRound(earlier, deciding_review(earlier), changes)


_EARLIER = (
    select(Version)
    .where(Version.submission_id == bindparam("submission_id"), Version.number == bindparam("number"))
    .options(selectinload(Version.artifacts))
)


def earlier_round_of(version, parts) -> EarlierRound | None:
    """earlier_round for a version held as plain values (the scoring page's): it has `id`, `submission_id`,
    `number`, `saved_at`, `answers` and `artifacts_for(part_key)`; only the earlier version is read."""
    if version.number == 1:
        return None
    params = {"submission_id": version.submission_id, "number": version.number - 1}
    earlier = db.session.scalars(_EARLIER, params).one_or_none()
    if earlier is None:
        return None
    return EarlierRound(earlier, deciding_review(earlier), _changes_between(earlier, version, parts))


# Word diffs cost more than the rest of the page together, and both versions are frozen once submitted: kept per
# pair of versions, keyed by their ids and last save (a test database that reuses an id has other save times).
_CHANGES: dict[tuple, dict[str, PartChanges]] = {}
_CHANGES_KEPT = 256


def _changes_between(earlier: Version, version, parts) -> dict[str, PartChanges]:
    key = (earlier.id, earlier.saved_at, version.id, version.saved_at)
    changes = _CHANGES.get(key)
    if changes is None:
        changes = {part.key: part_changes(part, earlier, version) for part in parts}
        if len(_CHANGES) >= _CHANGES_KEPT:
            del _CHANGES[next(iter(_CHANGES))]
        _CHANGES[key] = changes
    return changes


def part_changes(part: PartSpec, old: Version, new: Version) -> PartChanges:
    changes = PartChanges()
    for label, before, after in _texts(part, old.answers.get(part.key) or {}, new.answers.get(part.key) or {}):
        if has_changes(before, after):
            diff = word_diff(before, after) if is_comparable(before, after) else None
            changes.texts.append(TextChange(label, diff))
    # Files are carried forward as copies sharing the stored file, so the content hash tells them apart.
    old_files = {a.sha256: a.original_name for a in old.artifacts_for(part.key)}
    new_files = {a.sha256: a.original_name for a in new.artifacts_for(part.key)}
    changes.files_added = [name for digest, name in new_files.items() if digest not in old_files]
    changes.files_removed = [name for digest, name in old_files.items() if digest not in new_files]
    return changes


def _texts(part: PartSpec, old: dict, new: dict):
    """(label, old text, new text) for every text box of the part."""
    if part.kind == "essay":
        yield "Text", old.get("text") or "", new.get("text") or ""
        return
    if part.kind != "plan":
        return
    old_goals, new_goals = old.get("goals") or [], new.get("goals") or []
    keys = [("statement", "Goal")] + [(f.key, f.label) for f in part.fields]
    for index in range(max(len(old_goals), len(new_goals))):
        before = old_goals[index] if index < len(old_goals) else {}
        after = new_goals[index] if index < len(new_goals) else {}
        for key, label in keys:
            name = f"Goal {index + 1}" if key == "statement" else f"Goal {index + 1}, {label}"
            yield name, before.get(key) or "", after.get(key) or ""
