"""Keyset pagination for long lists shown newest first: each page is found through the index from the last
row of the page before, so page 400 costs what page 1 does and nothing counts every row."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Select, bindparam
from sqlalchemy.sql import ColumnElement

from portal.extensions import db


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    newer: int | None  # pass as ?after= for the page of newer rows, None on the first page
    older: int | None  # pass as ?before= for the page of older rows, None on the last page
    is_newest: bool  # no cursor was given: this is the list's first page


class KeysetQueries:
    """The three statements of one list's pages (the newest, older than a cursor, newer than a cursor), each
    built when first needed. A list whose query has only bound parameters keeps one of these (module level, or
    cached per set of filters) and builds no SQL per request. The cursor is the bound parameter "cursor".
    A query of plain columns only (no ORM entities) may say so: its pages are then read on the session's
    connection, without the ORM's work per statement, which is a third of a small query's cost."""

    def __init__(self, query: Select, key: ColumnElement, per_page: int, *, plain_columns: bool = False):
        self.query, self.key, self.per_page, self.plain_columns = query, key, per_page, plain_columns

    @cached_property
    def newest(self) -> Select:
        return self.query.order_by(self.key.desc()).limit(self.per_page + 1)

    @cached_property
    def older(self) -> Select:
        return self.query.where(self.key < bindparam("cursor")).order_by(self.key.desc()).limit(self.per_page + 1)

    @cached_property
    def newer(self) -> Select:
        return self.query.where(self.key > bindparam("cursor")).order_by(self.key.asc()).limit(self.per_page + 1)


def newest_first(
    query: Select, key: ColumnElement, id_of: Callable, *, before: int | None, after: int | None, per_page: int
) -> KeysetPage:
    """One page of `query` ordered by `key` descending: the rows older than `before`, or the rows just newer
    than `after` (going back), or the newest."""
    return read_page(KeysetQueries(query, key, per_page), id_of, before=before, after=after)


def read_page(
    queries: KeysetQueries, id_of: Callable, *, before: int | None, after: int | None, params: dict | None = None
) -> KeysetPage:
    """newest_first with statements built beforehand; `params` are the values of the query's own bound
    parameters. One more row than a page is read to know whether another follows."""
    per_page = queries.per_page
    execute = db.session.connection().execute if queries.plain_columns else db.session.execute
    if after is not None:
        rows = execute(queries.newer, {**(params or {}), "cursor": after}).all()
        has_newer, rows = len(rows) > per_page, rows[:per_page][::-1]
        has_older = True
    else:
        if before is None:
            rows = execute(queries.newest, params).all()
        else:
            rows = execute(queries.older, {**(params or {}), "cursor": before}).all()
        has_older, rows = len(rows) > per_page, rows[:per_page]
        has_newer = before is not None
    is_newest = before is None and after is None
    if not rows:
        return KeysetPage(rows=[], newer=None, older=None, is_newest=is_newest)
    return KeysetPage(
        rows=rows,
        newer=id_of(rows[0]) if has_newer else None,
        older=id_of(rows[-1]) if has_older else None,
        is_newest=is_newest,
    )
