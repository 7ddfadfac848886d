"""Faults the tests inject: the database made unreachable for a while, as when PostgreSQL stops."""

import socket
from contextlib import contextmanager

import psycopg
from sqlalchemy import Engine, event

UNREACHABLE_SQLITE_FILE = "/nonexistent-portal-outage/unreachable.db"


def closed_port() -> int:
    """A local TCP port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable(engine: Engine):
    """While inside, every new connection of `engine` goes to a closed port (PostgreSQL) or to a file that cannot be
    opened (SQLite), and the connections the pool holds are dead, as after a database restart. On exit nothing is
    repaired for the app: new connections simply reach the database again, as when it comes back."""
    port = closed_port()

    def redirect(_dialect, _record, cargs, cparams):
        if engine.dialect.name == "postgresql":
            cparams["host"], cparams["port"] = "127.0.0.1", port
        else:
            cargs[:] = [UNREACHABLE_SQLITE_FILE]

    event.listen(engine, "do_connect", redirect)
    _kill_pooled_connections(engine)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", redirect)


def _kill_pooled_connections(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        # Ended by the server, as a stop would: the pool still holds them, and must notice they are dead.
        url = engine.url.set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        engine.dispose()  # a SQLite connection cannot be killed from outside; dropping them comes closest
