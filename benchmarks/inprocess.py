"""In-process measurements with the Flask test client: each scenario's SQL statements (with their times and the
plans of the slowest), its HTML for the bare app, a profile, the statements of a review confirmation, and the
CPU time per request of the portal and of the bare app, measured the same way."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
from collections import Counter
from pathlib import Path

from benchmarks.clients import TestClient, csrf_session, sign_in
from benchmarks.scenarios import NOTE, bare_path, confirm_body, saver_posts, scenarios, sign_everyone_in

TIMED = 41  # requests timed one at a time; the median is reported (9 moved by a third from run to run)


def timed(send) -> tuple[float, float]:
    """The median wall and CPU milliseconds of TIMED requests, one at a time."""
    timings, cpu = [], []
    for _ in range(TIMED):
        started, cpu_started = time.perf_counter(), time.process_time()
        send()
        timings.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - cpu_started))
    return sorted(timings)[TIMED // 2], sorted(cpu)[TIMED // 2]


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
        if scenario.pool:  # measure_confirms counts these
            continue
        if scenario.method == "POST":
            cookie, path, template = posts[0]
        else:
            cookie, path, template = cookies[scenario.role] or None, scenario.path, None
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
        ms, cpu_ms = timed(send)
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
        manifest[scenario.name] = {"file": f"{scenario.name}.html", "status": status, "location": location,
                                   "bytes": len(data), "params": scenario.bare_params}
        out[scenario.name] = {"queries": len(statements), "bytes": len(data), "ms": ms, "cpu_ms": cpu_ms,
                              "sql_ms": sum(t for t, _ in statements)}
        report.write(f"=== {scenario.name}: {scenario.method} {path} -> {status}, {len(data)} bytes, "
                     f"{len(statements)} statements, {sum(t for t, _ in statements):.1f} ms in SQL, "
                     f"{elapsed:.1f} ms in all (median of {TIMED} more: {ms:.1f} ms, {cpu_ms:.1f} ms CPU)\n")
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


def measure_confirms(app, targets: dict, password: str, run_dir: Path) -> dict | None:
    """Confirm different open assignments (every part Yes), in-process, counting statements: after the first
    (a warm-up, as the first request of the other scenarios is), the median confirm's statements, times and
    size, the count of each, and the posts (for the bare app)."""
    from sqlalchemy import event

    from portal.extensions import db

    if len(targets["confirms"]) < 2:
        return None
    with app.app_context():
        engine = db.engine
    client = TestClient(app)
    runs, posts, report = [], [], io.StringIO()
    for index, row in enumerate(targets["confirms"]):
        path = f"/review/assignments/{row.id}"
        cookie, token = csrf_session(client, sign_in(client, row.email, password), path)
        body = confirm_body(token, targets["parts"][row.requirements_id])
        posts.append((row.id, body))
        statements: list[tuple[float, str]] = []
        starts: list[float] = []

        def before(*_args, starts=starts):
            starts.append(time.perf_counter())

        def after(_conn, _cursor, statement, *_args, statements=statements, starts=starts):
            statements.append((1000 * (time.perf_counter() - starts.pop()), " ".join(statement.split())))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        started, cpu_started = time.perf_counter(), time.process_time()
        status, headers, data = client.request("POST", path, body, cookie)
        ms, cpu_ms = 1000 * (time.perf_counter() - started), 1000 * (time.process_time() - cpu_started)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        location = dict((k.lower(), v) for k, v in headers).get("location")
        if status != 302 or location != "/review":  # back to the form: refused (the reason is in the flash)
            raise RuntimeError(f"confirming assignment {row.id} answered {status} to {location}")
        if index:
            runs.append((len(statements), ms, cpu_ms, sum(t for t, _ in statements), len(data)))
        kinds = Counter(statement.split(" ", 1)[0] for _, statement in statements)
        report.write(f"=== confirm assignment {row.id}{'' if index else ' (warm-up)'}: "
                     f"{len(statements)} statements ({dict(kinds)}), "
                     f"{sum(t for t, _ in statements):.1f} ms in SQL, {ms:.1f} ms in all\n")
        for t, statement in statements:
            report.write(f"  {t:8.2f} ms  {statement[:400]}\n")
        report.write("\n")
    (run_dir / "queries-confirm.txt").write_text(report.getvalue())
    for row in targets["profiled_confirm"]:  # where a confirm's time goes, as profile-<scenario>.txt shows for pages
        path = f"/review/assignments/{row.id}"
        cookie, token = csrf_session(client, sign_in(client, row.email, password), path)
        profiler = cProfile.Profile()
        profiler.runcall(client.request, "POST", path, confirm_body(token, targets["parts"][row.requirements_id]),
                         cookie)
        stats_text = io.StringIO()
        pstats.Stats(profiler, stream=stats_text).sort_stats("cumulative").print_stats(40)
        (run_dir / "profile-review-confirm.txt").write_text(stats_text.getvalue())
    with app.app_context():
        db.session.remove()
    counts = [r[0] for r in runs]
    n, ms, cpu_ms, sql_ms, size_bytes = sorted(runs)[len(runs) // 2]
    return {"queries": n, "bytes": size_bytes, "ms": ms, "cpu_ms": cpu_ms, "sql_ms": sql_ms,
            "note": "statements per confirm: " + ", ".join(str(c) for c in counts), "posts": posts}


def bare_cpu(url: str, pages: Path, targets: dict, posts: list[tuple[str, str, str]]) -> dict[str, float]:
    """The bare app's CPU milliseconds per request, measured as the portal's: one request first (it fits the
    page to its size), then the median of TIMED. GET pages and the save; bare_confirm_cpu does the confirm."""
    from benchmarks.bare_app import create_app

    app = create_app(url, pages)
    client = app.test_client()
    out = {}
    for scenario in scenarios(targets):
        if scenario.pool:
            continue
        if scenario.method == "POST":
            _, path, template = posts[0]
            path, serial = bare_path(scenario, path), iter(range(1, 1_000_000))

            def send(path=path, template=template, serial=serial):
                return client.post(path, data=template.replace(NOTE, f"b{next(serial)}"),
                                   content_type="application/x-www-form-urlencoded")
        else:
            path = bare_path(scenario, scenario.path)

            def send(path=path):
                return client.get(path)

        if send().status_code != scenario.expect:
            raise RuntimeError(f"bare app: {scenario.name} did not answer {scenario.expect}")
        out[scenario.name] = timed(send)[1]
    app.extensions["bare_engine"].dispose()
    return out


def bare_confirm_cpu(url: str, pages: Path, posts: list[tuple[int, str]]) -> float:
    """The bare confirm's CPU milliseconds, measured as measure_confirms measures the portal's, on the same
    (assignment id, form body) posts: the first warms the route up, the median of the others."""
    from benchmarks.bare_app import create_app

    app = create_app(url, pages)
    client = app.test_client()
    cpu = []
    for index, (assignment_id, body) in enumerate(posts):
        started = time.process_time()
        response = client.post(f"/review-confirm/{assignment_id}", data=body,
                               content_type="application/x-www-form-urlencoded")
        if response.status_code != 302:
            raise RuntimeError(f"bare app: confirming {assignment_id} answered {response.status_code}")
        if index:
            cpu.append(1000 * (time.process_time() - started))
    app.extensions["bare_engine"].dispose()
    return sorted(cpu)[len(cpu) // 2]
