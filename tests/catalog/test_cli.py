"""`flask catalog load` and `flask catalog check`: staff load stack files from the console."""

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.catalog.loader import bundled_stack_paths
from portal.catalog.models import Credential, Requirements, Stack
from portal.extensions import db

(BUNDLED,) = bundled_stack_paths()
SLUGS = ["foundations", "identifying-challenges", "engaging-stakeholders", "district-plan", "implementing-plan"]
FIRST_LOAD = [
    "digital-equity: stack digital-equity: created",
    *[f"digital-equity: credential {slug}: requirements version 1" for slug in SLUGS],
]

BROKEN = """\
slug = "broken-stack"
title = "Broken"
issuer = "Test issuer"
summary = "A stack file with two problems."

[[credentials]]
slug = "only"
title = "The only credential"
summary = "Summary."
key_method = "Key method."
about = "About."
earning = "Earning."
prerequisites = ["missing-one"]

[[credentials.parts]]
key = "overview"
kind = "essay"
title = "Overview"
prompt = "Prompt."
criterion = "Criterion."
word_limit = 0
"""


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def versions_by_credential() -> dict[str, list[int]]:
    rows = db.session.execute(
        select(Credential.slug, Requirements.number)
        .join(Requirements)
        .order_by(Credential.position, Requirements.number)
    ).all()
    result: dict[str, list[int]] = {}
    for slug, number in rows:
        result.setdefault(slug, []).append(number)
    return result


def test_load_without_arguments_loads_the_bundled_stack(runner):
    result = runner.invoke(args=["catalog", "load"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == FIRST_LOAD
    assert db.session.scalars(select(Stack.slug)).all() == ["digital-equity"]
    assert db.session.scalars(select(Credential.slug).order_by(Credential.position)).all() == SLUGS
    assert versions_by_credential() == {slug: [1] for slug in SLUGS}


def test_load_twice_reports_no_changes_and_keeps_one_version(runner):
    runner.invoke(args=["catalog", "load"])
    db.session.remove()  # the second run starts from the database, as a new process would

    result = runner.invoke(args=["catalog", "load"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["digital-equity: no changes"]
    assert count(Stack) == 1
    assert count(Credential) == 5
    assert versions_by_credential() == {slug: [1] for slug in SLUGS}


def test_load_broken_file_prints_every_problem_with_path_and_line(runner, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN, encoding="utf-8")

    result = runner.invoke(args=["catalog", "load", str(broken)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{broken}: 2 problems",
        f'  {broken}:line 13: credentials[1] (only) > prerequisites: "missing-one" is not a credential in this stack',
        f"  {broken}:line 21: credentials[1] (only) > parts[1] (overview) > word_limit: must be an integer >= 1",
    ]


def test_load_with_one_broken_file_writes_nothing_at_all(runner, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN, encoding="utf-8")

    result = runner.invoke(args=["catalog", "load", str(BUNDLED), str(broken)])

    db.session.rollback()
    assert result.exit_code == 1
    assert count(Stack) == 0
    assert count(Credential) == 0
    assert count(Requirements) == 0
    assert count(AuditEvent) == 0


def test_check_bundled_file_prints_ok_and_loads_nothing(runner):
    result = runner.invoke(args=["catalog", "check", str(BUNDLED)])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{BUNDLED}: OK, stack digital-equity with 5 credentials\n"
    assert count(Stack) == 0


def test_check_broken_file_exits_1_listing_the_problems(runner, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN, encoding="utf-8")

    result = runner.invoke(args=["catalog", "check", str(broken)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'{broken}:line 13: credentials[1] (only) > prerequisites: "missing-one" is not a credential in this stack',
        f"{broken}:line 21: credentials[1] (only) > parts[1] (overview) > word_limit: must be an integer >= 1",
    ]


def test_changed_word_limit_creates_version_2_for_that_credential_only(runner, tmp_path):
    text = BUNDLED.read_text(encoding="utf-8")
    start = text.index('slug = "district-plan"')
    at = text.index("word_limit = 200", start)
    changed = tmp_path / "digital-equity.toml"
    changed.write_text(text[:at] + "word_limit = 250" + text[at + len("word_limit = 200"):], encoding="utf-8")
    runner.invoke(args=["catalog", "load"])
    db.session.remove()

    result = runner.invoke(args=["catalog", "load", str(changed)])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["digital-equity: credential district-plan: requirements version 2"]
    assert versions_by_credential() == {
        "foundations": [1], "identifying-challenges": [1], "engaging-stakeholders": [1],
        "district-plan": [1, 2], "implementing-plan": [1],
    }
    plan = db.session.scalar(select(Credential).where(Credential.slug == "district-plan"))
    assert plan.requirements.number == 2
    assert [p.word_limit for p in plan.requirements.parts] == [250, None, 200]
    assert [p.word_limit for p in plan.requirement_versions[1].parts] == [200, None, 200]
