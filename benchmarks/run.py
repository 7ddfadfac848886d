"""Generate data, start the portal under gunicorn, sign in as each role and drive the pages with wrk.

    python -m benchmarks.run --database sqlite postgresql --submissions 2000 --also 20000

For each database and data size: a fresh database (a SQLite file under benchmarks/out/, or a PostgreSQL
database created and dropped here) is filled by benchmarks.generate; every scenario's page is requested once
in-process with the Flask test client to count its SQL statements (and keep its HTML for the bare baseline);
then `gunicorn -w 2 -b 127.0.0.1:PORT wsgi:app` is started, staff and reviewers sign in through the real
/sign-in form (CSRF token and all), and wrk sends --warmup requests, then --requests requests, at
concurrency 2 (two threads, one connection each). The same wrk script then drives benchmarks/bare_app.py,
which answers with a static string of each page's size under the same gunicorn settings: the ceiling.

The table goes to stdout and to benchmarks/RESULTS.md; the details (SQL statements with their times, a
profile of each page, the logs) to benchmarks/out/<database>-<size>/.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_QUERIES = 10
SCALE_LIMIT = 1.5
CONTENTION_NOTE = 0.10


@dataclass
class Scenario:
    name: str
    title: str
    method: str
    role: str  # which signed-in account drives it: staff, reviewer, plan_reviewer, savers
    path: str = ""
    expect: int = 200
    target_ms: float | None = None
    # POST: one (cookie, path, body) per wrk thread, filled in after sign-in
    posts: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Result:
    scenario: str
    title: str
    size: int
    database: str
    p50: float
    p95: float
    rps: float
    requests: int
    bad: int
    queries: int
    bare_p50: float
    bare_rps: float
    target: float | None
    page_bytes: int
    inprocess_ms: float
    inprocess_cpu_ms: float
    sql_ms: float
    others: float  # share of the machine's CPU other processes used while wrk drove the portal
    inprocess_only: bool = False
    verdict: str = ""
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ plumbing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def process_cpu(pid: int) -> int:
    """utime + stime jiffies of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def process_tree(pid: int) -> list[int]:
    """pid and its children (gunicorn's master and workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(c) for c in children)]


def busy_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPU in use over the next `seconds`."""
    busy0, total0 = machine_cpu()
    time.sleep(seconds)
    busy1, total1 = machine_cpu()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_until_idle(limit_seconds: float, threshold: float) -> float:
    """Wait (at most limit_seconds) until other work on the machine uses less than `threshold` of the CPU.
    Returns the last share measured."""
    deadline = time.time() + limit_seconds
    share = busy_share()
    announced = False
    while share > threshold and time.time() < deadline:
        if not announced:
            log(f"  the machine is {share:.0%} busy with other work; waiting up to {limit_seconds:.0f} s")
            announced = True
        share = busy_share()
    return share


def cookie_from(headers) -> str | None:
    """The name=value pair of the session cookie a response sets, if it sets one."""
    for name, value in headers:
        if name.lower() == "set-cookie":
            return value.split(";", 1)[0]
    return None


class HttpClient:
    """One request per connection, as gunicorn's sync workers close it after each response anyway."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: str | None = None, cookie: str | None = None):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:  # a browser's form post: it names the page it came from
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response.getheaders(), data


class TestClient:
    """The same interface over the Flask test client, cookies handled by hand like HttpClient, over plain
    http like the gunicorn runs (the test client would otherwise follow PREFERRED_URL_SCHEME=https)."""

    def __init__(self, app):
        self.client = app.test_client(use_cookies=False)

    def request(self, method: str, path: str, body: str | None = None, cookie: str | None = None):
        headers = {"Cookie": cookie} if cookie else {}
        kwargs = {}
        if body is not None:
            kwargs = {"data": body, "content_type": "application/x-www-form-urlencoded"}
            headers["Referer"] = f"http://localhost{path}"
        response = self.client.open(path, method=method, headers=headers, base_url="http://localhost", **kwargs)
        return response.status_code, list(response.headers.items()), response.get_data()


def sign_in(client, email: str, password: str) -> str:
    """Through the real form: GET /sign-in for the CSRF token, POST it, expect a redirect. Returns the cookie."""
    status, headers, body = client.request("GET", "/sign-in")
    cookie = cookie_from(headers)
    token = CSRF_RE.search(body.decode()).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password, "next": ""})
    status, headers, body = client.request("POST", "/sign-in", form, cookie)
    if status != 302:
        raise RuntimeError(f"sign-in as {email} failed: HTTP {status}")
    return cookie_from(headers)


def csrf_session(client, cookie: str, path: str) -> tuple[str, str]:
    """Open a page with a form: the session gains its CSRF secret (a new cookie) and the page shows the token."""
    status, headers, body = client.request("GET", path, cookie=cookie)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return cookie_from(headers) or cookie, CSRF_RE.search(body.decode()).group(1)


# ------------------------------------------------------------------------------------------ data


def pg_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql)


def fresh_database(kind: str, size: int, args) -> tuple[str, callable]:
    """A new empty database; returns its URL and a function that removes it."""
    if kind == "sqlite":
        path = OUT / f"bench-{size}.db"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)

        def remove() -> None:
            if not args.keep:  # WAL mode leaves -wal and -shm files beside the database
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(str(path) + suffix).unlink(missing_ok=True)

        return f"sqlite:///{path}", remove
    name = f"portal_bench_{size}"
    pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_admin(args.pg_server, f"CREATE DATABASE {name}")

    def remove() -> None:
        if not args.keep:
            pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"postgresql+psycopg://{args.pg_server}/{name}", remove


def pg_backends(server: str, url: str) -> list[int]:
    """The PostgreSQL server processes serving the portal's connections, counted as the portal's CPU."""
    if not url.startswith("postgresql"):
        return []
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"postgresql://{server}/postgres", connect_timeout=5) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)).fetchall()
    return [pid for (pid,) in rows]


def make_app(url: str, uploads: Path):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(uploads)})


def pick_targets(app) -> dict:
    """Who signs in and which pages they open, chosen from the generated data."""
    from sqlalchemy import func, select

    from benchmarks.generate import EMAIL_DOMAIN
    from portal.accounts.models import User
    from portal.catalog.models import Credential
    from portal.cohorts.models import Cohort, Membership
    from portal.extensions import db
    from portal.reviews.models import Assignment, ReviewerProfile
    from portal.submissions.models import Submission, Version

    with app.app_context():
        staff = db.session.scalar(select(User.email).where(User.email == f"staff1@{EMAIL_DOMAIN}"))
        cohort = db.session.execute(
            select(Cohort.id, Cohort.name).where(Cohort.name.like("%(benchmark)%")).order_by(Cohort.id)
        ).first()
        members = db.session.scalar(select(func.count()).where(Membership.cohort_id == cohort.id))
        rows = db.session.execute(
            select(Assignment.id, User.email, Credential.slug, Version.requirements_id)
            .join(User, User.id == Assignment.reviewer_id)
            .join(ReviewerProfile, ReviewerProfile.user_id == User.id)
            .join(Version, Version.id == Assignment.version_id)
            .join(Submission, Submission.id == Version.submission_id)
            .join(Credential, Credential.id == Submission.credential_id)
            .where(Assignment.state == "open", Version.state.in_(("submitted", "in_review")), User.is_reviewer)
            .order_by(Assignment.id)
        ).all()
        from portal.catalog.models import Requirements

        parts = {r.id: [p["key"] for p in r.parts_data] for r in db.session.scalars(select(Requirements))}
        db.session.remove()
    plan_slugs = {"district-plan"}
    essays = next(r for r in rows if r.slug not in plan_slugs and r.slug != "implementing-plan")
    plan = next(r for r in rows if r.slug in plan_slugs)
    used = {essays.id, plan.id}
    savers, seen = [], set()
    for row in rows:  # two other reviewers, one open assignment each, for the two POSTing connections
        if row.id not in used and row.email not in seen:
            savers.append(row)
            seen.add(row.email)
        if len(savers) == 2:
            break
    used |= {row.id for row in savers}
    confirms = [row for row in rows if row.id not in used][-3:]  # for the in-process confirm measurement
    return {
        "staff": staff, "cohort_id": cohort.id, "cohort_members": members,
        "essays": essays, "plan": plan, "savers": savers, "parts": parts, "confirms": confirms,
    }


def scenarios(targets: dict) -> list[Scenario]:
    return [
        Scenario("staff-submissions", "Staff: all submissions (50 rows)", "GET", "staff", "/staff/submissions",
                 target_ms=25),
        Scenario("review-open", "Reviewer: open a submission to score (essays)", "GET", "reviewer",
                 f"/review/assignments/{targets['essays'].id}", target_ms=10),
        Scenario("review-open-plan", "Reviewer: open a submission to score (district plan)", "GET",
                 "plan_reviewer", f"/review/assignments/{targets['plan'].id}", target_ms=10),
        Scenario("review-save", "Reviewer: post a scored rubric (save, CSRF, 302)", "POST", "savers",
                 expect=302, target_ms=20),
        Scenario("cohort-dashboard", f"Staff: cohort dashboard ({targets['cohort_members']} members)", "GET",
                 "staff", f"/staff/cohorts/{targets['cohort_id']}", target_ms=100),
        Scenario("review-queue", "Reviewer: review queue (no target)", "GET", "reviewer", "/review"),
    ]


NOTE = "NOTEXX"  # replaced in each request's body, so that every save changes the stored feedback


def save_body(token: str, parts: list[str]) -> str:
    """A complete rubric: every part Yes with feedback, action=save (the assignment stays open)."""
    fields = [("csrf_token", token), ("action", "save")]
    for key in parts:
        fields += [(f"{key}-result", "yes"), (f"{key}-feedback", f"Clear and specific, note {NOTE}.")]
    return urllib.parse.urlencode(fields)


def sign_everyone_in(client, targets: dict, password: str) -> dict[str, str]:
    """Cookies per role, each already holding its CSRF secret (as a browser's would after the first form)."""
    cookies = {}
    staff = sign_in(client, targets["staff"], password)
    cookies["staff"], _ = csrf_session(client, staff, "/staff/submissions")
    reviewer = sign_in(client, targets["essays"].email, password)
    cookies["reviewer"], _ = csrf_session(client, reviewer, f"/review/assignments/{targets['essays'].id}")
    if targets["plan"].email == targets["essays"].email:
        cookies["plan_reviewer"] = cookies["reviewer"]
    else:
        plan = sign_in(client, targets["plan"].email, password)
        cookies["plan_reviewer"], _ = csrf_session(client, plan, f"/review/assignments/{targets['plan'].id}")
    return cookies


def saver_posts(client, targets: dict, password: str) -> list[tuple[str, str, str]]:
    posts = []
    for row in targets["savers"]:
        path = f"/review/assignments/{row.id}"
        cookie, token = csrf_session(client, sign_in(client, row.email, password), path)
        posts.append((cookie, path, save_body(token, targets["parts"][row.requirements_id])))
    return posts


# ------------------------------------------------------------------------------------------ in-process


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


# ------------------------------------------------------------------------------------------ servers and wrk


def start_gunicorn(app_path: str, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    command = [str(VENV_BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_path]
    handle = log_path.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start; see {log_path}")
        try:
            status, _, _ = HttpClient(port).request("GET", "/health" if "bare" in app_path else "/sign-in")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


WRK_SCRIPT = """-- generated by benchmarks/run.py: %(name)s
local configs = {%(configs)s}
local method, expect, per_thread = "%(method)s", %(expect)d, %(per_thread)d
local threads, count = {}, 0

function setup(thread)
  count = count + 1
  local c = configs[((count - 1) %% #configs) + 1]
  thread:set("cookie", c[1])
  thread:set("tpath", c[2])
  thread:set("tbody", c[3])
  thread:set("tid", count)
  table.insert(threads, thread)
end

function init(args)
  sent, seen, bad = 0, 0, 0
end

function request()
  sent = sent + 1
  if method == "POST" then
    -- a new feedback text each time, so every save really writes
    local body = string.gsub(tbody, "%(note)s", "t" .. tid .. "r" .. sent)
    return wrk.format("POST", tpath, {["Cookie"] = cookie, ["Referer"] = "http://127.0.0.1" .. tpath,
      ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  return wrk.format("GET", tpath, {["Cookie"] = cookie})
end

function response(status, headers, body)
  seen = seen + 1
  if status ~= expect then bad = bad + 1 end
  if seen == per_thread then
    -- wrk's main thread sleeps for all of -d; the runner interrupts it once every thread printed this
    io.write("THREAD-DONE\\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"mean_us": %%.1f, "max_us": %%d, "bad": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max, bad_total, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(port: int, scenario_name: str, method: str, expect: int, configs: list[tuple[str, str, str]],
        requests: int, threads: int, script_path: Path, ours=()) -> dict:
    """Run wrk until `requests` responses came back. Also measures the share of the machine's CPU that
    processes other than ours (`ours`: the server's pids; wrk itself is counted through getrusage) used."""
    lua_configs = ", ".join("{" + ", ".join(_lua(v) for v in c) + "}" for c in configs)
    script_path.write_text(WRK_SCRIPT % {
        "name": scenario_name, "configs": lua_configs, "method": method, "expect": expect,
        "per_thread": math.ceil(requests / threads), "note": NOTE,
    })
    command = ["wrk", f"-t{threads}", f"-c{threads}", "-d120s", "--timeout", "30s", "-s", str(script_path),
               f"http://127.0.0.1:{port}{configs[0][1]}"]
    pids = [p for pid in ours for p in process_tree(pid)]
    ours0 = sum(process_cpu(p) for p in pids)
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = machine_cpu()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    lines, finished = [], 0
    for line in process.stdout:  # wrk stops by itself after -d at the latest
        lines.append(line)
        if line.startswith("THREAD-DONE"):
            finished += 1
            if finished == threads:
                process.send_signal(signal.SIGINT)  # wrk then prints its summary and the RESULT line
    process.wait(timeout=60)
    busy1, total1 = machine_cpu()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tick = os.sysconf("SC_CLK_TCK")
    wrk_jiffies = tick * ((children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime))
    ours_jiffies = sum(process_cpu(p) for p in pids) - ours0 + wrk_jiffies
    stderr = process.stderr.read()
    line = next((x for x in lines if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result for {scenario_name}:\n{''.join(lines)}\n{stderr}")
    result = json.loads(line[len("RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["others"] = max(0.0, (busy1 - busy0 - ours_jiffies) / max(1, total1 - total0))
    return result


# ------------------------------------------------------------------------------------------ one run


def run_one(kind: str, size: int, args, env_base: dict) -> list[Result]:
    from benchmarks import generate as gen

    run_dir = OUT / f"{kind}-{size}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    uploads = run_dir / "uploads"
    url, remove = fresh_database(kind, size, args)
    server = bare = None
    try:
        reviews = round(args.reviews * size / args.submissions)
        log(f"{kind} {size:,}: generating ({size:,} submissions, {args.reviewers} reviewers, {reviews:,} reviews)")
        app = make_app(url, uploads)
        started = time.perf_counter()
        with app.app_context():
            schema_line = gen.build_schema("auto")
            counts = gen.generate(gen.Params(size, args.reviewers, reviews, args.cohort_members, args.seed,
                                             str(uploads)), log=lambda m: log("  " + m))
            from portal.extensions import db

            db.session.remove()
            db.engine.dispose()
        summary = io.StringIO()
        gen.print_summary(counts, time.perf_counter() - started, schema_line=schema_line, out=summary)
        (run_dir / "generate.txt").write_text(summary.getvalue())
        print(summary.getvalue(), end="")

        targets = pick_targets(app)
        log(f"{kind} {size:,}: counting queries in-process")
        inproc = count_and_capture(app, targets, gen.BENCH_PASSWORD, run_dir, args.profile_requests)

        env = dict(env_base, DATABASE_URL=url, UPLOAD_FOLDER=str(uploads))
        port = free_port()
        server = start_gunicorn("wsgi:app", port, env, run_dir / "gunicorn.log")
        client = HttpClient(port)
        cookies = sign_everyone_in(client, targets, gen.BENCH_PASSWORD)
        bare_port = free_port()
        bare = start_gunicorn("benchmarks.bare_app:app", bare_port,
                              dict(env_base, BARE_PAGES=str(run_dir / "pages")), run_dir / "gunicorn-bare.log")
        results = []
        for scenario in scenarios(targets):
            if args.only and scenario.name not in args.only:
                continue
            if args.wait_idle:
                wait_until_idle(args.wait_idle, args.idle_threshold)
            if scenario.method == "POST":
                configs = saver_posts(client, targets, gen.BENCH_PASSWORD)
            else:
                configs = [(cookies[scenario.role], scenario.path, "")]
            script = run_dir / f"wrk-{scenario.name}.lua"
            wrk(port, scenario.name, scenario.method, scenario.expect, configs, args.warmup, args.concurrency,
                script)
            ours = [server.pid, *pg_backends(args.pg_server, url)]
            measured = wrk(port, scenario.name, scenario.method, scenario.expect, configs, args.requests,
                           args.concurrency, script, ours)
            bare_configs = [(c, f"/{scenario.name}", b) for c, _, b in configs]
            bare_script = run_dir / f"wrk-bare-{scenario.name}.lua"
            wrk(bare_port, scenario.name, scenario.method, scenario.expect, bare_configs, args.warmup,
                args.concurrency, bare_script)
            ceiling = wrk(bare_port, scenario.name, scenario.method, scenario.expect, bare_configs, args.requests,
                          args.concurrency, bare_script, [bare.pid])
            info = inproc[scenario.name]
            result = Result(
                scenario.name, scenario.title, size, kind, measured["p50_us"] / 1000, measured["p95_us"] / 1000,
                measured["rps"], measured["requests"], measured["bad"] + measured["errors"], info["queries"],
                ceiling["p50_us"] / 1000, ceiling["rps"], scenario.target_ms, info["bytes"], info["ms"],
                info["cpu_ms"], info["sql_ms"], max(measured["others"], ceiling["others"]),
            )
            results.append(result)
            log(f"  {scenario.name:<18} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms  {result.rps:6.1f} req/s"
                f"  {result.queries:3d} queries  bare p50 {result.bare_p50:5.1f} ms"
                f"  ({result.requests} requests, {result.bad} unexpected, others used {result.others:.0%} of the CPU)")
        if not args.only or "review-confirm" in args.only:
            confirm = measure_confirms(app, targets, gen.BENCH_PASSWORD, run_dir, kind, size)
            if confirm is not None:
                results.append(confirm)
                log(f"  review-confirm     in-process: {confirm.queries} statements, {confirm.inprocess_ms:.1f} ms"
                    f" ({confirm.notes[0]})")
        return results
    finally:
        for process in (server, bare):
            if process is not None:
                stop(process)
        remove()


# ------------------------------------------------------------------------------------------ the table


def merge_results(results: list[Result], merge: bool, prefer_quiet: bool = False) -> list[Result]:
    """Keep every run's rows in benchmarks/out/results.json; with --merge, rows this run did not measure are
    taken from there (so a noisy row can be measured again with --only and the table stays whole). With
    --prefer-quiet, a row measured again replaces the stored one only if other processes used less CPU."""
    store = OUT / "results.json"
    keep = {}
    if merge and store.exists():
        for row in json.loads(store.read_text()):
            row.update(verdict="")
            result = Result(**row)
            keep[(result.scenario, result.size, result.database)] = result
    for result in results:
        key = (result.scenario, result.size, result.database)
        if prefer_quiet and key in keep and not result.inprocess_only and keep[key].others <= result.others:
            continue
        keep[key] = result
    merged = list(keep.values())
    store.write_text(json.dumps([vars(r) for r in merged], indent=1))
    return merged


def judge(results: list[Result], base_size: int) -> None:
    base = {(r.scenario, r.database): r for r in results if r.size == base_size}
    for r in results:
        if r.inprocess_only:
            r.notes = [n for n in r.notes if n.startswith("statements per confirm")] or r.notes
            if r.queries > MAX_QUERIES:
                r.notes.append(f"{r.queries} queries > {MAX_QUERIES}")
            r.verdict = "(info)"
            continue
        ok = True
        if r.bad:
            ok = False
            r.notes.append(f"{r.bad} unexpected responses")
        if r.target is not None and r.p50 > r.target:
            ok = False
            r.notes.append(f"p50 over {r.target:g} ms")
        if r.queries > MAX_QUERIES:
            ok = False
            r.notes.append(f"{r.queries} queries > {MAX_QUERIES}")
        first = base.get((r.scenario, r.database))
        if first is not None and r.size != base_size:
            ratio = r.p50 / first.p50 if first.p50 else 0
            r.notes.append(f"{ratio:.2f}x the {base_size:,} p50")
            if ratio > SCALE_LIMIT:
                ok = False
                r.notes[-1] += f" (> {SCALE_LIMIT}x)"
            if r.queries != first.queries:
                ok = False
                r.notes.append(f"queries {first.queries} -> {r.queries}")
        if r.others > CONTENTION_NOTE:
            r.notes.append(f"other processes used {r.others:.0%} of the CPU during the run")
        r.verdict = "PASS" if ok else "FAIL"
        if r.target is None and ok:
            r.verdict = "(info)"


def table(results: list[Result]) -> str:
    head = ("| scenario | data size | database | p50 ms | p95 ms | req/s | queries/page | bare p50 ms | target "
            "| PASS/FAIL | notes |")
    lines = [head, "|" + "---|" * 11]
    order = {name: i for i, name in enumerate(
        ["staff-submissions", "review-open", "review-open-plan", "review-save", "review-confirm", "cohort-dashboard",
         "review-queue"])}
    for r in sorted(results, key=lambda r: (order.get(r.scenario, 99), r.database, r.size)):
        target = f"p50 <= {r.target:g} ms" if r.target is not None else "—"
        if r.inprocess_only:
            lines.append(f"| {r.title} | {r.size:,} | {r.database} | — | — | — | {r.queries} | — | — | {r.verdict} "
                         f"| in-process {r.inprocess_ms:.0f} ms; {'; '.join(r.notes)} |")
            continue
        lines.append(
            f"| {r.title} | {r.size:,} | {r.database} | {r.p50:.1f} | {r.p95:.1f} | {r.rps:.1f} | {r.queries} "
            f"| {r.bare_p50:.1f} | {target} | {r.verdict} | {'; '.join(r.notes)} |"
        )
    return "\n".join(lines)


def inprocess_table(results: list[Result]) -> str:
    """Where the time goes, one request at a time in-process (no network, no concurrency)."""
    lines = ["| scenario | data size | database | wall ms | CPU ms | SQL ms | statements | HTML bytes |",
             "|" + "---|" * 8]
    for r in sorted(results, key=lambda r: (r.scenario, r.database, r.size)):
        lines.append(f"| {r.scenario} | {r.size:,} | {r.database} | {r.inprocess_ms:.1f} | {r.inprocess_cpu_ms:.1f} "
                     f"| {r.sql_ms:.1f} | {r.queries} | {r.page_bytes:,} |")
    return "\n".join(lines)


def environment_lines(args) -> list[str]:
    import sqlite3

    import gunicorn
    import sqlalchemy

    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    pg = "not used"
    if "postgresql" in args.database:
        import psycopg

        with psycopg.connect(f"postgresql://{args.pg_server}/postgres", connect_timeout=5) as connection:
            pg = connection.execute("SHOW server_version").fetchone()[0]
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip() or "unknown"
    return [
        f"- code: commit {commit} (-dirty: uncommitted changes in the work tree while it ran)",
        f"- machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, gunicorn {gunicorn.__version__}"
        f" (2 sync workers), SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}, "
        f"{(wrk_version.stdout or wrk_version.stderr).split(' Copyright')[0].strip()}",
        f"- PORTAL_CONFIG={args.config} with a random SECRET_KEY; {args.warmup} warm-up then {args.requests} "
        f"requests per scenario at concurrency {args.concurrency} (wrk: {args.concurrency} threads x 1 connection)",
        f"- data: --submissions N, --reviewers {args.reviewers}, --reviews {args.reviews / args.submissions:g} x N, "
        f"--cohort-members {args.cohort_members}, --seed {args.seed}",
    ]


def write_results(results: list[Result], args, seconds: float) -> str:
    text = "\n".join([
        "# Benchmark results",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{' '.join(['python -m benchmarks.run', *sys.argv[1:]])}`"
        f" ({seconds / 60:.1f} minutes)."
        + (" Rows this command did not measure come from earlier runs of the same script (--merge)."
           if args.merge else ""),
        "",
        *environment_lines(args),
        "",
        table(results),
        "",
        "p50 / p95: latency of one request as wrk saw it (connect, request, response). req/s: requests per second"
        " at concurrency 2. queries/page: SQL statements of one request, counted in-process with the Flask test"
        " client and a before_cursor_execute listener on the same data. bare p50: a bare Flask app under the same"
        " gunicorn settings answering a static string of the same size, driven by the same wrk script (the"
        " ceiling). PASS needs: p50 within the target, at most 10 queries, no unexpected response, and at the"
        " larger size at most 1.5x the smaller size's p50 with the same number of queries. Details per run:"
        " benchmarks/out/<database>-<size>/queries.txt (each statement with its time) and profile-<scenario>.txt.",
        "",
        "In-process, one request at a time (Flask test client; median of 9; CPU ms is this process's CPU time,"
        " which other work on the machine hardly changes; SQL ms is the time spent in the statements of one"
        " request):",
        "",
        inprocess_table(results),
        "",
    ])
    RESULTS.write_text(text)
    return text


# ------------------------------------------------------------------------------------------ main


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite"])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--also", type=int, action="append", default=[], help="another data size (repeatable)")
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--reviews", type=int, default=4000, help="reviews at --submissions; scaled for --also")
    parser.add_argument("--cohort-members", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--config", choices=("production", "development"), default="production")
    parser.add_argument("--pg-server", default=os.environ.get("PG_SERVER", "postgres@127.0.0.1:5432"))
    parser.add_argument("--profile-requests", type=int, default=20)
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of earlier runs (benchmarks/out/results.json) that this run does not "
                             "measure, e.g. with --only to measure a noisy row again")
    parser.add_argument("--prefer-quiet", action="store_true",
                        help="with --merge: keep a stored row instead of the new one when other processes used "
                             "less of the CPU while it was measured")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: write RESULTS.md from benchmarks/out/results.json")
    parser.add_argument("--wait-idle", type=float, default=180, metavar="SECONDS",
                        help="before each scenario, wait up to this long for other work on the machine to stop "
                             "(0: do not wait)")
    parser.add_argument("--idle-threshold", type=float, default=0.15,
                        help="the share of the CPU other work may use for the machine to count as idle")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get update && apt-get install -y wrk")

    # The portal reads its settings from the environment when it is imported: set them first.
    env_base = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "PORTAL_INSTANCE")
    }
    env_base.update({
        "PORTAL_CONFIG": args.config,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
        # The scenarios sign staff in with a password only; the second step is not what is measured.
        "TWO_FACTOR_REQUIRED_ROLES": "",
        "PORTAL_INSTANCE": str(OUT / "instance"),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    })
    os.environ.update(env_base)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: list[Result] = []
    for kind in [] if args.report_only else args.database:
        for size in [args.submissions, *args.also]:
            results += run_one(kind, size, args, env_base)
    results = merge_results(results, args.merge or args.report_only, args.prefer_quiet)
    judge(results, args.submissions)
    text = write_results(results, args, time.perf_counter() - started)
    print()
    print(text)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
