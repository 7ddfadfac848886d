"""What blocks a submission, as tables of answers and the exact messages an educator reads."""

import pytest

from portal.catalog.loader import bundled_stack_paths, load_stack
from portal.submissions.validation import submission_problems, word_limit_problems

DISTRICT_PLAN = next(c for c in load_stack(bundled_stack_paths()[0]).credentials if c.slug == "district-plan")
PARTS = list(DISTRICT_PLAN.parts)
FIELDS = ("statement", "action_steps", "timelines", "team_members", "partners", "measurable_outcomes")


def goal(*blank_fields, **blank):
    empty = set(blank_fields) | set(blank)
    return {key: "" if key in empty else f"{key} text" for key in FIELDS}


def answers(goals, overview="Two elements matter.", reflection="It changed my view."):
    return {"overview": {"text": overview}, "plan": {"goals": goals}, "reflection": {"text": reflection}}


def messages(answer_set):
    return [p.message for p in submission_problems(PARTS, answer_set, {})]


@pytest.mark.parametrize(
    ("goals", "expected"),
    [
        ([goal(), goal(), goal()], []),
        ([goal(), goal(), goal(), goal()], []),  # extra goals are fine
        ([goal(), goal()], ["The plan needs at least 3 goals; it has 2."]),
        ([], ["The plan needs at least 3 goals; it has 0."]),
        ([goal(), goal(), goal(partners=True)], ["Goal 3: Partners is required."]),
        ([goal(), goal(statement=True), goal()], ["Goal 2: Goal is required."]),
        (
            [goal(), goal(timelines=True, team_members=True), goal()],
            ["Goal 2: Timelines is required.", "Goal 2: Team Members is required."],
        ),
        # an empty block is ignored, not counted, and not reported field by field
        ([goal(), goal(*FIELDS), goal(), goal()], []),
        ([goal(), goal(*FIELDS), goal()], ["The plan needs at least 3 goals; it has 2."]),
    ],
)
def test_plan_problems(goals, expected):
    assert messages(answers(goals)) == expected


@pytest.mark.parametrize("blank", ["", "   ", "\n\t \n", "\u00a0"])
def test_plan_whitespace_only_field_is_blank(blank):
    third = goal()
    third["measurable_outcomes"] = blank
    assert messages(answers([goal(), goal(), third])) == ["Goal 3: Measurable Outcomes is required."]


def test_problem_points_at_its_field():
    third = goal(partners=True)
    problems = submission_problems(PARTS, answers([goal(), goal(), third]), {})
    assert [p.field_id for p in problems] == ["plan-goals-2-partners"]


def test_every_problem_is_listed_at_once():
    listed = messages(answers([goal(), goal(partners=True)], overview=" ".join(["word"] * 214), reflection=""))
    assert listed == [
        "Part 1 has 214 words; the limit is 200.",
        "The plan needs at least 3 goals; it has 2.",
        "Goal 2: Partners is required.",
        "Part 3 (Reflection) is empty.",
    ]


def test_word_limit_counts_what_a_reader_sees():
    linked = "[the library](https://example.org/" + "a/" * 300 + ") " + " ".join(["word"] * 198)
    assert word_limit_problems(PARTS, answers([], overview=linked)) == []
    over = " ".join(["data-driven"] * 201)
    assert [p.message for p in word_limit_problems(PARTS, answers([], overview=over))] == [
        "Part 1 has 201 words; the limit is 200."
    ]


def test_artifact_part_needs_a_file():
    foundations = next(c for c in load_stack(bundled_stack_paths()[0]).credentials if c.slug == "foundations")
    parts = list(foundations.parts)
    filled = {p.key: {"text": "Some text."} for p in parts if p.kind == "essay"}
    assert [p.message for p in submission_problems(parts, filled, {})] == [
        f"Part 2 ({parts[1].title}) needs a file."
    ]
    assert submission_problems(parts, filled, {parts[1].key: 1}) == []
