"""What a new draft takes over from the version before it (revising after Not yet) or from a withdrawn
submission (starting again): every answer and every attached file, and a sentence saying so.

Files are carried as new Artifact rows that share the stored file; a stored file is deleted only when no row
uses it any more (services.remove_artifact). When the requirements changed in between, an answer or a file
whose part no longer exists (or no longer takes files) cannot be carried: it stays readable in the old
version, and the sentence names it, so nothing is dropped silently.
"""

from dataclasses import dataclass, field

from portal.catalog.models import Requirements
from portal.submissions.models import Artifact, Version
from portal.text import plural


@dataclass
class CarryOver:
    source: str  # "version 1", "your withdrawn submission"
    answered_parts: list[str] = field(default_factory=list)  # titles of the parts with an answer carried
    files: list[str] = field(default_factory=list)  # names of the files carried
    left_behind: list[str] = field(default_factory=list)  # what could not be carried, named

    def sentence(self) -> str:
        if not (self.answered_parts or self.files or self.left_behind):
            return ""
        carried = []
        if self.answered_parts:
            carried.append(f"your {plural(len(self.answered_parts), 'answer')} ({', '.join(self.answered_parts)})")
        if self.files:
            names = ", ".join(f"“{name}”" for name in self.files)
            carried.append(f"{plural(len(self.files), 'attached file')} ({names})")
        text = f"Carried over from {self.source}: {' and '.join(carried)}." if carried else ""
        if self.left_behind:
            text += (f" Not carried over, because the requirements changed: {', '.join(self.left_behind)}. "
                     f"You can still read them in {self.source}.")
        return text.strip()


def carry(previous: Version, requirements: Requirements) -> tuple[dict, list[Artifact]]:
    """The answers and the file rows a new draft against `requirements` takes over from `previous`."""
    parts = {part.key: part for part in requirements.parts}
    answers = {key: answer for key, answer in (previous.answers or {}).items() if key in parts}
    artifacts = [copy_artifact(a) for a in previous.artifacts if _takes_files(parts.get(a.part_key))]
    return answers, artifacts


def report(previous: Version, draft: Version, *, source: str) -> CarryOver:
    """What `draft` took over from `previous`, and what it could not take, for the page to say."""
    parts = {part.key: part for part in draft.requirements.parts}
    old_titles = {part.key: part.title for part in previous.requirements.parts}
    result = CarryOver(source=source)
    result.answered_parts = [part.title for key, part in parts.items() if _has_content(draft.answers.get(key))]
    result.files = [a.original_name for a in draft.artifacts]
    result.left_behind = [
        f"your answer to “{old_titles.get(key, key)}”"
        for key, answer in (previous.answers or {}).items()
        if key not in parts and _has_content(answer)
    ] + [f"the file “{a.original_name}”" for a in previous.artifacts if not _takes_files(parts.get(a.part_key))]
    return result


def _takes_files(part) -> bool:
    return part is not None and part.accepts_artifacts


def copy_artifact(artifact: Artifact) -> Artifact:
    return Artifact(
        part_key=artifact.part_key, stored_name=artifact.stored_name, blind_name=artifact.blind_name,
        original_name=artifact.original_name, kind=artifact.kind, size=artifact.size, sha256=artifact.sha256,
    )


def _has_content(answer) -> bool:
    if not isinstance(answer, dict):
        return bool(answer)
    if (answer.get("text") or "").strip():
        return True
    return any(any(str(value or "").strip() for value in goal.values()) for goal in answer.get("goals") or [])
