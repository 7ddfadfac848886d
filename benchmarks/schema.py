"""The tables for the benchmark data: the project's migrations when they cover every model, else the models'
create_all; and, on PostgreSQL, what a bulk load with explicit ids needs afterwards."""

from __future__ import annotations

import logging
import tempfile

from sqlalchemy import inspect, text


def migrations_cover_models() -> tuple[bool, str]:
    """Upgrade a throwaway SQLite database with the project's migrations and compare it with the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/check.db", "UPLOAD_FOLDER": tmp})
        with app.app_context():
            upgrade()
            logging.getLogger("alembic").setLevel(logging.WARNING)  # the migrations' env.py turned it up
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            db.engine.dispose()
    if diff:
        first = diff[0][0] if isinstance(diff[0], list) else diff[0]
        example = " ".join(str(getattr(x, "name", x)) for x in first[:2])
        return False, f"{len(diff)} difference(s) between the migrations and the models (first: {example})"
    return True, "the migrations cover every model"


def build_schema(mode: str, *, drop: bool = False) -> str:
    """Create the tables. mode: auto | create | upgrade | existing. Returns a line saying what was done."""
    from flask_migrate import upgrade

    from portal.extensions import db

    if mode == "existing":
        missing = set(db.metadata.tables) - set(inspect(db.engine).get_table_names())
        if missing:
            raise SystemExit(f"--schema existing, but these tables are missing: {', '.join(sorted(missing))}")
        return "schema: existing tables used as they are"
    reason = ""
    if mode == "auto":
        covered, reason = migrations_cover_models()
        mode = "upgrade" if covered else "create"
    present = set(db.metadata.tables) & set(inspect(db.engine).get_table_names())
    if present and not drop:
        raise SystemExit(f"the database already has portal tables ({len(present)}); pass --drop to replace them, "
                         "or --schema existing to add to them")
    if present:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    if mode == "upgrade":
        upgrade()
        return "schema: flask db upgrade (the migrations cover every model)"
    db.create_all()
    why = f" -- {reason}, so flask db upgrade would not build them all" if reason else ""
    return f"schema: db.create_all(){why}"


def finish_database() -> None:
    """PostgreSQL: move every id sequence past the explicit ids, then ANALYZE (as autovacuum soon would)."""
    from portal.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 -- our table names
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                ))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
