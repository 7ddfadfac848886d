"""Per-process caches of data that changes rarely: the catalog, option lists, a cohort's figures.

Each worker process keeps its own copy. What keeps the copies honest across processes (gunicorn workers, a
`flask catalog load` in another shell) is a generation number per name in the database: whatever changes the
data calls `changed(name)` in its own transaction, which bumps the number; a cache asks for the number once per
request, and a value stored under an older number is computed again. A rolled-back change bumps nothing, and a
request that changed a name reads around the cache until it ends, so nothing uncommitted is ever stored.

Cache plain values (tuples, dataclasses, strings), never ORM objects (they belong to one session) and never
anything that depends on who asks: a cached value is served to every user of the process.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import g, has_app_context
from sqlalchemy import Select, String, bindparam, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

T = TypeVar("T")
UNCACHED = -1  # the generation of a name this request changed: compute, do not store
_ALL: list[ProcessCache] = []


class CacheGeneration(db.Model):
    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


# Built once, on the table rather than the model (no ORM work): a page asks for generations on every request.
_TABLE = CacheGeneration.__table__
_GENERATION = select(_TABLE.c.generation).where(_TABLE.c.name == bindparam("name"))
_GENERATIONS = select(_TABLE.c.name, _TABLE.c.generation).where(_TABLE.c.name.in_(bindparam("names", expanding=True)))


def _seen() -> dict[str, int]:
    """This request's generations, so a page asks the database once per name. Outside an app context (never in
    the portal) nothing is remembered."""
    if not has_app_context():
        return {}
    if "cache_generations" not in g:
        g.cache_generations = {}
    return g.cache_generations


# Built once: a page asks this on every request, and building the statement cost more than running it.
# Read on the session's connection (the same transaction): plain columns need none of the ORM's work.
_GENERATION = select(CacheGeneration.generation).where(CacheGeneration.name == bindparam("name"))
_GENERATIONS = select(CacheGeneration.name, CacheGeneration.generation).where(
    CacheGeneration.name.in_(bindparam("names", expanding=True))
)


def generation(name: str) -> int:
    seen = _seen()
    if name not in seen:
        seen[name] = db.session.connection().scalar(_GENERATION, {"name": name}) or 0
    return seen[name]


def read_generations(*names: str) -> None:
    """Ask for the generations of several names in one query (one round trip), for a page that reads caches
    of each: their gets then ask nothing more."""
    seen = _seen()
    missing = [name for name in names if name not in seen]
    if missing:
        stored = dict(db.session.connection().execute(_GENERATIONS, {"names": missing}).all())
        seen.update({name: stored.get(name) or 0 for name in missing})


def changed(name: str) -> None:
    """The data cached under `name` changes in the current transaction: every process computes it again after
    the commit. Call it beside the change, in the same transaction."""
    db.session.execute(_bump(_insert().values(name=name, generation=1)))
    _seen()[name] = UNCACHED


def changed_all(names: Select) -> None:
    """changed() for every name a query returns (say, the scoped name of each cohort of a member), in one
    statement. The query needs a WHERE clause (SQLite reads an ON after a bare FROM as a join) and DISTINCT
    names (PostgreSQL updates a row once per statement)."""
    statement = _bump(_insert().from_select(["name", "generation"], names.add_columns(literal(1))))
    for name in db.session.scalars(statement.returning(_TABLE.c.name)):
        _seen()[name] = UNCACHED


def _insert():
    # On the table, not the model: an ORM-enabled INSERT costs more to prepare than to run.
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(_TABLE)


def _bump(statement):
    """A new name starts at 1; a known one counts up."""
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.name], set_={"generation": _TABLE.c.generation + 1}
    )


def forget_generations() -> None:
    """Ask the database again on the next read (a long-running command between two units of work)."""
    if has_app_context():
        g.pop("cache_generations", None)


class ProcessCache:
    """Values computed once per process and kept until the generation of their name moves. A key may have a
    scope (a cohort id, say): its generation is then `name:scope`, so one cohort's change leaves the others'
    values in place. Bounded: past `max_entries` the oldest value goes."""

    def __init__(self, name: str, max_entries: int = 512):
        self.name = name
        self.max_entries = max_entries
        self._values: dict[Hashable, tuple[int, object]] = {}
        _ALL.append(self)

    def get(self, key: Hashable, compute: Callable[[], T], scope: Hashable | None = None) -> T:
        current = generation(self.name if scope is None else f"{self.name}:{scope}")
        if current == UNCACHED:
            return compute()
        stored = self._values.get(key)
        if stored is not None and stored[0] == current:
            return stored[1]
        value = compute()
        self._values.pop(key, None)
        self._values[key] = (current, value)
        if len(self._values) > self.max_entries:
            del self._values[next(iter(self._values))]
        return value

    def clear(self) -> None:
        self._values.clear()


def clear_all() -> None:
    """Empty every cache of this process: for a database that was emptied under it (the tests do, per test)."""
    for cache in _ALL:
        cache.clear()


def generation_column(name: str):
    """The generation of `name` as a column of a page's own statement, for a page that reads that cache anyway:
    one round trip less. Hand the value read to note_generation before the cache's get."""
    return select(CacheGeneration.generation).where(CacheGeneration.name == name).scalar_subquery()


def note_generation(name: str, value: int | None) -> None:
    """The generation of `name` as read by generation_column (a change earlier in this request still wins)."""
    _seen().setdefault(name, value or 0)
