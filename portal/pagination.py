"""Keyset pagination for long lists shown newest first: each page is found through the index from the last
row of the page before, so page 400 costs what page 1 does and nothing counts every row."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.sql import ColumnElement

from portal.extensions import db


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    newer: int | None  # pass as ?after= for the page of newer rows, None on the first page
    older: int | None  # pass as ?before= for the page of older rows, None on the last page
    is_newest: bool  # no cursor was given: this is the list's first page


def newest_first(
    query: Select, key: ColumnElement, id_of: Callable, *, before: int | None, after: int | None, per_page: int
) -> KeysetPage:
    """One page of `query` ordered by `key` descending: the rows older than `before`, or the rows just newer
    than `after` (going back), or the newest. One more row than a page is read to know whether another follows."""
    if after is not None:
        rows = db.session.execute(query.where(key > after).order_by(key.asc()).limit(per_page + 1)).all()
        has_newer, rows = len(rows) > per_page, rows[:per_page][::-1]
        has_older = True
    else:
        if before is not None:
            query = query.where(key < before)
        rows = db.session.execute(query.order_by(key.desc()).limit(per_page + 1)).all()
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
