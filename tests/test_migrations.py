"""The migrations build exactly the schema the models describe, and undo it completely.

Runs on a temporary SQLite file, or on TEST_DATABASE_URL when it is set (PostgreSQL in CI); that database
is emptied before and after, alembic_version included, and then gets the models' tables back for the tests
that share it. The `app` fixture is not used: its schema comes from create_all, which is what this test
must not rely on.
"""

import logging
import os

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import MetaData, create_engine, inspect, text

from portal import create_app
from portal.extensions import db


def drop_everything(url: str) -> None:
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture
def keep_logging():
    """Alembic's env.py runs logging.config.fileConfig, which disables every logger that exists and replaces
    the root handlers; put them back so later tests still see their logs."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for name, (disabled, level, handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.disabled, logger.propagate = disabled, propagate
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.fixture
def empty_database_app(tmp_path, keep_logging):
    shared_url = os.environ.get("TEST_DATABASE_URL")
    url = shared_url or f"sqlite:///{tmp_path / 'migrations.db'}"
    drop_everything(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        try:
            yield app
        finally:
            db.session.remove()
            drop_everything(url)
            if shared_url:
                db.create_all()  # the other tests share this database and expect the models' tables in it
            db.engine.dispose()


def head_revisions() -> set[str]:
    config = current_app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


def test_upgrade_from_empty_builds_exactly_the_models_schema(empty_database_app):
    flask_migrate.upgrade()

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        current = set(context.get_current_heads())
    assert diff == []
    assert current == head_revisions()
    assert set(inspect(db.engine).get_table_names()) == set(db.metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_removes_every_table_but_alembic_version(empty_database_app):
    flask_migrate.upgrade()

    flask_migrate.downgrade(revision="base")

    assert inspect(db.engine).get_table_names() == ["alembic_version"]
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == []


def test_accounts_that_existed_before_confirmation_count_as_confirmed(empty_database_app):
    flask_migrate.upgrade(revision="0007")
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (email, name, password_hash, is_educator, is_reviewer, is_staff, created_at) "
            "VALUES ('old@example.org', 'Old Account', 'x', true, false, false, '2026-01-05 10:00:00')"
        ))

    flask_migrate.upgrade(revision="0008")

    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT email_confirmed_at, deactivated_at FROM users")).one()
    assert str(row.email_confirmed_at).startswith("2026-01-05 10:00:00") and row.deactivated_at is None
