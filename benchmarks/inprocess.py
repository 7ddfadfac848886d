"""In-process measurements with the Flask test client: each scenario's SQL statements (with their times and the
plans of the slowest), its HTML for the bare app, a profile, and the statements of a review confirmation."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from benchmarks.clients import TestClient, csrf_session, sign_in
from benchmarks.report import Result
from benchmarks.scenarios import NOTE, saver_posts, scenarios, sign_everyone_in


def explain_slowest(engine, name: str, raw: list, count: int = 3, over_ms: float = 1.0) -> str:
    """The query plans of a page's slowest SELECTs, run again with the same parameters."""
    out = io.StringIO()
    slow = sorted((r for r in raw if r[1].lstrip().upper().startswith("SELECT") and r[0] >= over_ms),
                  key=lambda r: -r[0])[:count]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    for ms, statement, params in slow:
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(prefix + statement, params).all()
        out.write(f"=== {name}: {ms:.1f} ms\n{statement.strip()}\n-- parameters: {params!r}\n")
        for row in plan:
            out.write("   " + " | ".join(str(x) for x in row) + "\n")
        out.write("\n")
    return out.getvalue()


def count_and_capture(app, targets: dict, password: str, run_dir: Path, profile_requests: int) -> dict:
    """Each scenario once in-process: SQL statements (with their times), the HTML, and a profile."""
    from sqlalchemy import event

    from portal.extensions import db

    pages = run_dir / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    client = TestClient(app)
    out: dict[str, dict] = {}
    manifest = {}
    with app.app_context():
        engine = db.engine
    cookies = sign_everyone_in(client, targets, password)
    posts = saver_posts(client, targets, password)
    report, explain = io.StringIO(), io.StringIO()
    for scenario in scenarios(targets):
        if scenario.method == "POST":
            cookie, path, template = posts[0]
        else:
            cookie, path, template = cookies[scenario.role], scenario.path, None
        serial = iter(range(1, 1_000_000))

        def send(cookie=cookie, path=path, template=template, scenario=scenario, serial=serial):
            body = template.replace(NOTE, f"p{next(serial)}") if template is not None else None
            return client.request(scenario.method, path, body, cookie)

        send()  # the first time compiles templates, and the first save moves the version to "in review"
        statements: list[tuple[float, str]] = []
        raw: list[tuple[float, str, object]] = []
        starts: list[float] = []

        def before(_conn, _cursor, _statement, _params, _context, _many, starts=starts):
            starts.append(time.perf_counter())

        def after(_conn, _cursor, statement, params, _context, _many, statements=statements, starts=starts, raw=raw):
            ms = 1000 * (time.perf_counter() - starts.pop())
            statements.append((ms, " ".join(statement.split())))
            raw.append((ms, statement, params))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        started = time.perf_counter()
        status, headers, data = send()
        elapsed = 1000 * (time.perf_counter() - started)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        if status != scenario.expect:
            raise RuntimeError(f"{scenario.name}: in-process {scenario.method} {path} answered {status}")
        timings, cpu = [], []
        for _ in range(9):
            started, cpu_started = time.perf_counter(), time.process_time()
            send()
            timings.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - cpu_started))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(profile_requests):
            send()
        profiler.disable()
        stats_text = io.StringIO()
        pstats.Stats(profiler, stream=stats_text).sort_stats("cumulative").print_stats(40)
        (run_dir / f"profile-{scenario.name}.txt").write_text(stats_text.getvalue())
        location = dict((k.lower(), v) for k, v in headers).get("location")
        (pages / f"{scenario.name}.html").write_bytes(data)
        manifest[scenario.name] = {"file": f"{scenario.name}.html", "status": status, "location": location}
        out[scenario.name] = {"queries": len(statements), "bytes": len(data), "ms": sorted(timings)[4],
                              "cpu_ms": sorted(cpu)[4], "sql_ms": sum(t for t, _ in statements)}
        report.write(f"=== {scenario.name}: {scenario.method} {path} -> {status}, {len(data)} bytes, "
                     f"{len(statements)} statements, {sum(t for t, _ in statements):.1f} ms in SQL, "
                     f"{elapsed:.1f} ms in all (median of 9 more: {sorted(timings)[4]:.1f} ms, "
                     f"{sorted(cpu)[4]:.1f} ms CPU)\n")
        for ms, statement in statements:
            report.write(f"  {ms:8.2f} ms  {statement[:1500]}\n")
        report.write("\n")
        explain.write(explain_slowest(engine, scenario.name, raw))
    (pages / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (run_dir / "explain.txt").write_text(explain.getvalue())
    (run_dir / "queries.txt").write_text(report.getvalue())
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return out


CONFIRM_TITLE = "Reviewer: confirm a review (in-process only)"


def measure_confirms(app, targets: dict, password: str, run_dir: Path, kind: str, size: int) -> Result | None:
    """Confirm three different open assignments (every part Yes), in-process, counting statements: confirming
    decides the version and routes waiting work, so it cannot be repeated on one assignment under wrk."""
    from sqlalchemy import event

    from portal.extensions import db

    if not targets["confirms"]:
        return None
    with app.app_context():
        engine = db.engine
    client = TestClient(app)
    runs, report = [], io.StringIO()
    for row in targets["confirms"]:
        path = f"/review/assignments/{row.id}"
        cookie, token = csrf_session(client, sign_in(client, row.email, password), path)
        fields = [("csrf_token", token), ("action", "confirm")]
        for key in targets["parts"][row.requirements_id]:
            fields += [(f"{key}-result", "yes"), (f"{key}-feedback", "")]
        statements: list[tuple[float, str]] = []
        starts: list[float] = []

        def before(*_args, starts=starts):
            starts.append(time.perf_counter())

        def after(_conn, _cursor, statement, *_args, statements=statements, starts=starts):
            statements.append((1000 * (time.perf_counter() - starts.pop()), " ".join(statement.split())))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        started, cpu_started = time.perf_counter(), time.process_time()
        status, _, data = client.request("POST", path, urllib.parse.urlencode(fields), cookie)
        ms, cpu_ms = 1000 * (time.perf_counter() - started), 1000 * (time.process_time() - cpu_started)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        if status != 302:
            raise RuntimeError(f"confirming assignment {row.id} answered {status}")
        runs.append((len(statements), ms, cpu_ms, sum(t for t, _ in statements), len(data)))
        kinds = Counter(statement.split(" ", 1)[0] for _, statement in statements)
        report.write(f"=== confirm assignment {row.id}: {len(statements)} statements ({dict(kinds)}), "
                     f"{sum(t for t, _ in statements):.1f} ms in SQL, {ms:.1f} ms in all\n")
        for t, statement in statements:
            report.write(f"  {t:8.2f} ms  {statement[:400]}\n")
        report.write("\n")
    (run_dir / "queries-confirm.txt").write_text(report.getvalue())
    with app.app_context():
        db.session.remove()
    runs.sort()
    n, ms, cpu_ms, sql_ms, size_bytes = runs[len(runs) // 2]
    result = Result("review-confirm", CONFIRM_TITLE, size, kind, 0, 0, 0, 0, 0, n, 0, 0, None, size_bytes, ms,
                    cpu_ms, sql_ms, 0.0, inprocess_only=True)
    result.notes.append("statements per confirm: " + ", ".join(str(r[0]) for r in runs))
    return result
