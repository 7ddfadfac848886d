"""The stack loader: the bundled Digital Equity stack, and the problems it reports."""

import tomllib

import pytest

from portal.catalog.loader import (
    PART_KINDS,
    PlanField,
    StackFileError,
    bundled_stack_paths,
    load_stack,
    parse_stack,
    part_from_dict,
)

SLUGS = [
    "foundations",
    "identifying-challenges",
    "engaging-stakeholders",
    "district-plan",
    "implementing-plan",
]


@pytest.fixture(scope="module")
def stack():
    (path,) = [p for p in bundled_stack_paths() if p.name == "digital-equity.toml"]
    return load_stack(path)


def by_slug(stack, slug):
    return next(c for c in stack.credentials if c.slug == slug)


# --- the bundled stack -------------------------------------------------------


def test_stack_header(stack):
    assert stack.slug == "digital-equity"
    assert stack.title == "Digital Equity"
    assert stack.issuer == "Consortium for School Networking (CoSN)"
    assert stack.issuer_url == "https://www.cosn.org/"
    assert stack.summary
    assert stack.blind_review is True


def test_five_credentials_in_order(stack):
    assert [c.slug for c in stack.credentials] == SLUGS
    assert [c.title for c in stack.credentials] == [
        "Foundations of Digital Equity: Understanding the Homework Gap",
        "Identifying Challenges in Ensuring Digital Equity",
        "Engaging Stakeholders to Address Gaps in Digital Equity",
        "Creating a District Plan for Digital Equity",
        "Implementing a District Plan for Digital Equity",
    ]


def test_district_plan_uses_the_issuers_wording(stack):
    cred = by_slug(stack, "district-plan")
    assert cred.summary == "School district leader creates a district plan to promote digital equity."
    assert cred.key_method == (
        "The school district leader creates an actionable district plan to promote digital equity "
        "that consists of specific action steps, timelines, team members, and measurable outcomes."
    )
    assert cred.about.startswith("Once you’ve identified key challenges in ensuring digital equity")
    assert cred.earning == "To earn the micro-credential, you must receive a “Yes” for Parts 1, 2, and 3."
    assert len(cred.research) == 4
    assert cred.research[1].startswith("Mardis, M. (2016). Beyond the Glow")
    assert "CC BY-NC-ND 4.0" in cred.license


def test_district_plan_parts(stack):
    overview, plan, reflection = by_slug(stack, "district-plan").parts

    assert (overview.key, overview.kind, overview.title) == ("overview", "essay", "Overview Questions")
    assert overview.word_limit == 200
    assert overview.prompt == (
        "Describe two or more key elements of what a successful district-wide initiative looks like "
        "for your district. Why are these elements crucial to its success?"
    )

    assert (plan.key, plan.kind, plan.title) == ("plan", "plan", "Evidence/Artifacts")
    assert plan.min_goals == 3
    assert plan.word_limit is None
    assert plan.accepts_artifacts is True
    assert plan.fields == (
        PlanField("action_steps", "Action Steps"),
        PlanField("timelines", "Timelines"),
        PlanField("team_members", "Team Members"),
        PlanField("partners", "Partners"),
        PlanField("measurable_outcomes", "Measurable Outcomes"),
    )
    assert plan.prompt == (
        "To earn this micro-credential, use the information you learned from your identification of gaps "
        "(Identifying Challenges in Ensuring Digital Equity micro-credential) and engagement of stakeholders "
        "(Engaging Stakeholders to Address Gaps in Digital Equity micro-credential), to begin the process of "
        "creating a plan to address digital equity in your district.\n\n"
        "The plan should consist of three or more goals, with each goal containing the following:"
    )

    assert (reflection.key, reflection.kind, reflection.title) == ("reflection", "essay", "Reflection")
    assert reflection.word_limit == 200
    assert reflection.prompt == (
        "How did the process of creating your plan in Part 2 impact your understanding of the nuts and bolts "
        "of trying to make digital equity a reality in your district?"
    )
    assert all(p.criterion for p in (overview, plan, reflection))


def test_every_credential_has_essay_evidence_reflection(stack):
    for cred in stack.credentials:
        overview, evidence, reflection = cred.parts
        assert (overview.kind, overview.word_limit) == ("essay", 200)
        assert evidence.kind in ("plan", "artifact")
        assert (reflection.kind, reflection.word_limit) == ("essay", 200)
    assert by_slug(stack, "foundations").parts[1].kind == "artifact"
    assert by_slug(stack, "foundations").parts[1].min_files == 1


def test_foundations_is_the_prerequisite_of_the_rest(stack):
    assert by_slug(stack, "foundations").prerequisites == ()
    for slug in SLUGS[1:]:
        assert by_slug(stack, slug).prerequisites == ("foundations",)


def test_only_the_district_plan_is_not_a_sample(stack):
    assert [c.is_sample for c in stack.credentials] == [True, True, True, False, True]
    for cred in stack.credentials:
        assert bool(cred.sample_note) == cred.is_sample


def test_parts_round_trip_through_dicts(stack):
    parts = [p for c in stack.credentials for p in c.parts]
    assert {p.kind for p in parts} == set(PART_KINDS)
    for part in parts:
        assert part_from_dict(part.to_dict()) == part


# --- broken files --------------------------------------------------------------

# A small valid file; the cases below edit one line of it, so line numbers stay put.
#  1 slug = "s"             15 [[credentials.parts]]      29 earning = "E"
#  6 [[credentials]]        17 kind = "essay"             30 prerequisites = ["first"]
#  7 slug = "first"         21 word_limit = 200           32 [[credentials.parts]]
# 13 prerequisites = []     23 [[credentials]]            38 min_goals = 3
#                           24 slug = "second"            39 fields = [...]
VALID = """\
slug = "s"
title = "Stack"
issuer = "Issuer"
summary = "Summary"

[[credentials]]
slug = "first"
title = "First"
summary = "S"
key_method = "K"
about = "A"
earning = "E"
prerequisites = []

[[credentials.parts]]
key = "overview"
kind = "essay"
title = "Overview"
prompt = "P"
criterion = "C"
word_limit = 200

[[credentials]]
slug = "second"
title = "Second"
summary = "S"
key_method = "Second method"
about = "A"
earning = "E"
prerequisites = ["first"]

[[credentials.parts]]
key = "plan"
kind = "plan"
title = "Plan"
prompt = "P"
criterion = "C"
min_goals = 3
fields = [{ key = "steps", label = "Steps" }]
"""


def edited(*replacements):
    text = VALID
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def problems_in(tmp_path, text):
    path = tmp_path / "stack.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StackFileError) as caught:
        load_stack(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_the_valid_file_loads(tmp_path):
    path = tmp_path / "stack.toml"
    path.write_text(VALID, encoding="utf-8")
    stack = load_stack(path)
    assert [c.slug for c in stack.credentials] == ["first", "second"]
    assert stack.blind_review is True  # blind review unless a stack says otherwise


BROKEN = {
    "unknown key": (
        edited(("word_limit = 200", "word_limt = 200")),
        [
            "line 15: credentials[1] (first) > parts[1] (overview) > word_limit: is required for an essay part",
            "line 21: credentials[1] (first) > parts[1] (overview) > word_limt: "
            'unknown key (did you mean "word_limit"?)',
        ],
    ),
    "missing word_limit": (
        edited(("word_limit = 200", "")),
        ["line 15: credentials[1] (first) > parts[1] (overview) > word_limit: is required for an essay part"],
    ),
    "bad kind": (
        edited(('kind = "essay"', 'kind = "video"')),
        [
            "line 17: credentials[1] (first) > parts[1] (overview) > kind: "
            'must be one of essay, plan, artifact (got "video")'
        ],
    ),
    "duplicate slug": (
        edited(('slug = "second"', 'slug = "first"'), ('prerequisites = ["first"]', "prerequisites = []")),
        ['line 24: credentials[2] (first) > slug: duplicate slug "first" (also credentials[1])'],
    ),
    "forward prerequisite": (
        edited(("prerequisites = []", 'prerequisites = ["second"]')),
        [
            'line 13: credentials[1] (first) > prerequisites: "second" comes later (credentials[2]); '
            "a prerequisite must come earlier"
        ],
    ),
    "unknown prerequisite": (
        edited(('prerequisites = ["first"]', 'prerequisites = ["nobody"]')),
        ['line 30: credentials[2] (second) > prerequisites: "nobody" is not a credential in this stack'],
    ),
    "self prerequisite": (
        edited(('prerequisites = ["first"]', 'prerequisites = ["second"]')),
        ['line 30: credentials[2] (second) > prerequisites: a credential cannot be its own prerequisite ("second")'],
    ),
    "issuer_url not a web address": (
        edited(('issuer = "Issuer"', 'issuer = "Issuer"\nissuer_url = "www.cosn.org"')),
        ['line 4: issuer_url: must be a web address starting with https://, like "https://www.cosn.org/"'],
    ),
    "min_goals 0": (
        edited(("min_goals = 3", "min_goals = 0")),
        ["line 38: credentials[2] (second) > parts[1] (plan) > min_goals: must be an integer >= 1"],
    ),
    "syntax error": (
        edited(('title = "Second"', "title = Second")),
        ["TOML syntax error: Invalid value (at line 25, column 9)"],
    ),
    "three problems at once": (
        edited(
            ('kind = "essay"', 'kind = "video"'),
            ('key_method = "Second method"', ""),
            ("min_goals = 3", "min_goals = 0"),
        ),
        [
            "line 17: credentials[1] (first) > parts[1] (overview) > kind: "
            'must be one of essay, plan, artifact (got "video")',
            "line 23: credentials[2] (second) > key_method: is required",
            "line 38: credentials[2] (second) > parts[1] (plan) > min_goals: must be an integer >= 1",
        ],
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_file_reports_each_problem_with_its_place(tmp_path, name):
    text, expected = BROKEN[name]
    assert problems_in(tmp_path, text) == expected


def test_more_problem_shapes(tmp_path):
    text = edited(
        ('slug = "first"', 'slug = "First One"'),
        ('prerequisites = ["first"]', "prerequisites = []"),
        ('key = "overview"', 'key = "Overview"'),
        ("word_limit = 200", "word_limit = 200\nmin_goals = 2"),
        ("label = \"Steps\" }]", 'label = "" }, { key = "steps" }]'),
    )
    assert problems_in(tmp_path, text) == [
        'line 7: credentials[1] (First One) > slug: must be lowercase words joined by hyphens, like "district-plan"',
        "line 16: credentials[1] (First One) > parts[1] (Overview) > key: "
        "must start with a lowercase letter and use only a-z, 0-9 and _",
        "line 22: credentials[1] (First One) > parts[1] (Overview) > min_goals: only applies to plan parts",
        "line 40: credentials[2] (second) > parts[1] (plan) > fields[1] > label: must be a non-empty string",
        'line 40: credentials[2] (second) > parts[1] (plan) > fields[2] > key: duplicate field key "steps"',
        "line 40: credentials[2] (second) > parts[1] (plan) > fields[2] > label: must be a non-empty string",
    ]


def test_a_file_needs_credentials_and_parts(tmp_path):
    no_parts = VALID[: VALID.index("\n[[credentials.parts]]\nkey = \"plan\"")]
    assert problems_in(tmp_path, no_parts) == [
        "line 23: credentials[2] (second) > parts: at least one [[credentials.parts]] table is required",
    ]
    no_credentials = VALID[: VALID.index("[[credentials]]")]
    assert problems_in(tmp_path, no_credentials) == [
        "credentials: at least one [[credentials]] table is required",
    ]


def test_without_source_text_problems_have_no_line():
    data = tomllib.loads(edited(("word_limit = 200", "")))
    with pytest.raises(StackFileError) as caught:
        parse_stack(data)
    assert caught.value.problems == [
        "credentials[1] (first) > parts[1] (overview) > word_limit: is required for an essay part",
    ]
