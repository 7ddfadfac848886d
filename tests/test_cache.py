"""The per-process cache: a value is computed once, and again after a committed change of its name, in this
process or in another one (another process's change is a generation bumped in the database)."""

from sqlalchemy import select

from portal import cache
from portal.cache import CacheGeneration, ProcessCache
from portal.extensions import db


def new_request():
    """What a new request sees: the generations are read from the database again."""
    cache.forget_generations()


def counting(values):
    def compute():
        values.append(len(values) + 1)
        return values[-1]

    return compute


def test_a_value_is_computed_once_until_its_name_changes(app):
    stored, calls = ProcessCache("test-options"), []
    assert stored.get("k", counting(calls)) == 1
    new_request()
    assert stored.get("k", counting(calls)) == 1
    cache.changed("test-options")
    db.session.commit()
    new_request()
    assert stored.get("k", counting(calls)) == 2


def test_another_process_changing_the_data_is_seen_on_the_next_request(app):
    stored, calls = ProcessCache("test-options"), []
    stored.get("k", counting(calls))
    with db.engine.begin() as other_process:  # a second connection, as a worker or a CLI command would have
        other_process.execute(CacheGeneration.__table__.insert().values(name="test-options", generation=7))
    assert stored.get("k", counting(calls)) == 1  # the same request keeps what it read
    new_request()
    assert stored.get("k", counting(calls)) == 2


def test_a_rolled_back_change_stores_nothing_and_bumps_nothing(app):
    stored, calls = ProcessCache("test-options"), []
    stored.get("k", counting(calls))
    new_request()
    cache.changed("test-options")
    assert stored.get("k", counting(calls)) == 2  # read around the cache: the change is not committed
    assert stored.get("k", counting(calls)) == 3
    db.session.rollback()
    new_request()
    assert stored.get("k", counting(calls)) == 1


def test_a_scope_changes_alone(app):
    stored, calls = ProcessCache("test-cohort"), []
    assert [stored.get(1, counting(calls), scope=1), stored.get(2, counting(calls), scope=2)] == [1, 2]
    cache.changed("test-cohort:1")
    db.session.commit()
    new_request()
    assert stored.get(1, counting(calls), scope=1) == 3
    assert stored.get(2, counting(calls), scope=2) == 2


def test_changes_count_up_in_the_database(app):
    for _ in range(3):
        cache.changed("test-options")
    db.session.commit()
    new_request()
    assert cache.generation("test-options") == 3


def test_the_cache_is_bounded(app):
    stored = ProcessCache("test-bounded", max_entries=3)
    for key in range(5):
        stored.get(key, lambda key=key: key)
    calls = []
    stored.get(0, counting(calls))
    assert calls == [1]  # the oldest went
    stored.get(4, counting(calls))
    assert calls == [1]


def test_changed_all_bumps_every_name_a_query_returns_in_one_statement(app, count_queries):
    from sqlalchemy import literal, union_all

    stored, calls = ProcessCache("test-scoped"), []
    for scope in (1, 2, 3):
        stored.get(scope, counting(calls), scope=scope)
    new_request()
    names = union_all(*[select(literal(f"test-scoped:{scope}").label("name")) for scope in (1, 2)]).subquery()
    with count_queries() as seen:
        cache.changed_all(select(names.c.name).where(names.c.name.is_not(None)).distinct())
    assert seen[0] == 1
    assert stored.get(1, counting(calls), scope=1) == 4  # read around the cache until the commit
    db.session.commit()
    new_request()
    assert [stored.get(scope, counting(calls), scope=scope) for scope in (1, 2, 3)] == [5, 6, 3]
    assert cache.generation("test-scoped:1") == cache.generation("test-scoped:2") == 1
