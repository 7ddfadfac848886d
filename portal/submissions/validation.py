"""What a version needs before it can be submitted. Pure: requirements and answers in, problems out."""

from dataclasses import dataclass

from portal.catalog.loader import PartSpec
from portal.limits import too_long_message
from portal.text import count_words, plural


@dataclass(frozen=True)
class Problem:
    field_id: str  # the id of the form field the message is about, for links and aria-describedby
    message: str


def essay_field_id(part: PartSpec) -> str:
    return f"{part.key}-text"


def goal_field_id(part: PartSpec, index: int, field: str) -> str:
    return f"{part.key}-goals-{index}-{field}"


def files_field_id(part: PartSpec) -> str:
    return f"{part.key}-files"


def part_label(number: int, part: PartSpec) -> str:
    return f"Part {number} ({part.title})"


def is_blank(text) -> bool:
    return not (text or "").strip()


def blank_goal(part: PartSpec) -> dict:
    return {"statement": "", **{field.key: "" for field in part.fields}}


def written_goals(part: PartSpec, answer: dict) -> list[tuple[int, dict]]:
    """The goals with anything written in them, with their position on the page; empty blocks don't count."""
    goals = answer.get("goals") or []
    keys = ["statement", *(f.key for f in part.fields)]
    return [(i, g) for i, g in enumerate(goals) if any(not is_blank(g.get(k)) for k in keys)]


def oversize_problems(parts: list[PartSpec], answers: dict) -> list[Problem]:
    """Texts over the hard limit (TEXT_MAX_CHARS): such a draft is not saved at all."""
    problems = []
    for number, part in enumerate(parts, start=1):
        answer = answers.get(part.key) or {}
        if part.kind == "essay":
            message = too_long_message(answer.get("text"), part_label(number, part))
            problems += [Problem(essay_field_id(part), message)] if message else []
        for index, goal in enumerate(answer.get("goals") or []):
            for key, text in goal.items():
                message = too_long_message(text, f"Goal {index + 1} of {part_label(number, part)}")
                problems += [Problem(goal_field_id(part, index, key), message)] if message else []
    return problems


def _over_limit(number: int, part: PartSpec, answer: dict) -> Problem | None:
    words = count_words(answer.get("text", ""))
    if words <= part.word_limit:
        return None
    return Problem(essay_field_id(part), f"Part {number} has {plural(words, 'word')}; the limit is {part.word_limit}.")


def word_limit_problems(parts: list[PartSpec], answers: dict) -> list[Problem]:
    """Essays over their limit: a warning on a draft, a blocking problem on submit."""
    found = (
        _over_limit(number, part, answers.get(part.key) or {})
        for number, part in enumerate(parts, start=1)
        if part.kind == "essay"
    )
    return [problem for problem in found if problem]


def submission_problems(parts: list[PartSpec], answers: dict, file_counts: dict[str, int]) -> list[Problem]:
    """Every reason this version cannot be submitted yet, in page order."""
    problems = []
    for number, part in enumerate(parts, start=1):
        answer = answers.get(part.key) or {}
        if part.kind == "essay":
            problems += _essay_problems(number, part, answer)
        elif part.kind == "plan":
            problems += _plan_problems(part, answer)
        if part.min_files and file_counts.get(part.key, 0) < part.min_files:
            needed = "a file" if part.min_files == 1 else f"at least {plural(part.min_files, 'file')}"
            problems.append(Problem(files_field_id(part), f"{part_label(number, part)} needs {needed}."))
    return problems


def _essay_problems(number: int, part: PartSpec, answer: dict) -> list[Problem]:
    if is_blank(answer.get("text")):
        return [Problem(essay_field_id(part), f"{part_label(number, part)} is empty.")]
    over = _over_limit(number, part, answer)
    return [over] if over else []


def _plan_problems(part: PartSpec, answer: dict) -> list[Problem]:
    goals = written_goals(part, answer)
    problems = []
    if len(goals) < part.min_goals:
        message = f"The plan needs at least {plural(part.min_goals, 'goal')}; it has {len(goals)}."
        problems.append(Problem(f"{part.key}-add-goal", message))
    fields = [("statement", "Goal"), *((f.key, f.label) for f in part.fields)]
    for index, goal in goals:
        problems += [
            Problem(goal_field_id(part, index, key), f"Goal {index + 1}: {label} is required.")
            for key, label in fields
            if is_blank(goal.get(key))
        ]
    return problems
