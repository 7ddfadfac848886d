"""Generate data, start the portal under gunicorn, sign in as each role and drive the pages with wrk.

    python -m benchmarks.run --database sqlite postgresql --submissions 2000 --also 20000

For each database and data size: a fresh database (a SQLite file under benchmarks/out/, or a PostgreSQL
database created and dropped here) is filled by benchmarks.generate; every scenario's page is requested once
in-process with the Flask test client to count its SQL statements and time its CPU (and keep its HTML, whose
size the bare app matches), and the bare app's CPU is timed the same way; then `gunicorn -w 2 -b
127.0.0.1:PORT wsgi:app` is started, staff and reviewers sign in through the real /sign-in form (CSRF token
and all), and wrk sends --warmup requests, then --requests requests, at concurrency 2 (two threads, one
connection each). The same wrk script then drives benchmarks/bare_app.py on the same database under the same
gunicorn settings (one query and a template of the page's size per page, one UPDATE per post): the ceiling.
Confirming runs last, each request on another open assignment, as many as are left.

The table goes to stdout and to benchmarks/RESULTS.md; the details (SQL statements with their times, a
profile of each page, the logs) to benchmarks/out/<database>-<size>/.

This module is the command and one run's order of work; the parts: scenarios.py (the pages and who opens
them), clients.py (HTTP and sign-in as a browser does it), inprocess.py (queries and CPU per page), driver.py
(gunicorn and wrk), machine.py (how busy the machine is), report.py (judging and the table).
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import time
from pathlib import Path

from benchmarks.clients import HttpClient, TestClient
from benchmarks.common import OUT, RESULTS, ROOT, VENV_BIN, log
from benchmarks.driver import free_port, start_gunicorn, stop, wrk
from benchmarks.inprocess import bare_confirm_cpu, bare_cpu, count_and_capture, measure_confirms
from benchmarks.machine import wait_until_idle
from benchmarks.report import Result, judge, merge_results, write_results
from benchmarks.scenarios import bare_path, confirm_posts, pick_targets, saver_posts, scenarios, sign_everyone_in


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


def publish_issuer_key(app) -> None:
    """Production refuses to decide "earned" without an issuer key to sign the credential: make one as
    `flask badges keygen --if-missing` does (in the instance folder, which the portal under gunicorn shares)
    and publish it in this database, so that confirming a review decides versions as it would in production."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from portal.badges import keys
    from portal.extensions import db

    with app.app_context():
        if keys.configured_private_key() is None:
            keys.write_key_file(Ed25519PrivateKey.generate())
        keys.signing_key()
        db.session.commit()
        db.session.remove()


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

        publish_issuer_key(app)
        targets = pick_targets(app)
        log(f"{kind} {size:,}: counting queries in-process")
        inproc = count_and_capture(app, targets, gen.BENCH_PASSWORD, run_dir, args.profile_requests)
        bare_inproc = bare_cpu(url, run_dir / "pages", targets, saver_posts(TestClient(app), targets,
                                                                            gen.BENCH_PASSWORD))

        env = dict(env_base, DATABASE_URL=url, UPLOAD_FOLDER=str(uploads))
        port = free_port()
        server = start_gunicorn("wsgi:app", port, env, run_dir / "gunicorn.log")
        client = HttpClient(port)
        cookies = sign_everyone_in(client, targets, gen.BENCH_PASSWORD)
        bare_port = free_port()
        bare = start_gunicorn("benchmarks.bare_app:app", bare_port,
                              dict(env_base, DATABASE_URL=url, BARE_PAGES=str(run_dir / "pages")),
                              run_dir / "gunicorn-bare.log")
        results, confirmers = [], {}
        for scenario in scenarios(targets):
            if args.only and scenario.name not in args.only:
                continue
            if args.wait_idle:
                wait_until_idle(args.wait_idle, args.idle_threshold)

            def configs_for(requests: int) -> list[tuple[str, str, str]]:
                """For the confirm, the open assignments left (fetched again after the warm-up used some)."""
                return confirm_posts(app, client, targets, gen.BENCH_PASSWORD, confirmers, args.concurrency, requests)

            if scenario.pool:
                warmup = configs_for(args.warmup)
            elif scenario.method == "POST":
                warmup = saver_posts(client, targets, gen.BENCH_PASSWORD)
            else:
                warmup = [(cookies[scenario.role], scenario.path, "")]
            script, bare_script = run_dir / f"wrk-{scenario.name}.lua", run_dir / f"wrk-bare-{scenario.name}.lua"
            warmup_requests = min(args.warmup, len(warmup)) if scenario.pool else args.warmup
            if warmup_requests:
                wrk(port, scenario, warmup, warmup_requests, args.concurrency, script)
            configs = configs_for(args.requests) if scenario.pool else warmup
            requests = min(args.requests, len(configs)) if scenario.pool else args.requests
            if requests == 0:
                log(f"  {scenario.name}: no open assignment left to confirm")
                continue
            ours = [server.pid, *pg_backends(args.pg_server, url)]
            measured = wrk(port, scenario, configs, requests, args.concurrency, script, ours)
            # The same requests against the bare app (for the confirm: the assignments the portal just closed).
            if warmup_requests:
                wrk(bare_port, scenario, [(c, bare_path(scenario, p), b) for c, p, b in warmup], warmup_requests,
                    args.concurrency, bare_script)
            ceiling = wrk(bare_port, scenario, [(c, bare_path(scenario, p), b) for c, p, b in configs], requests,
                          args.concurrency, bare_script, [bare.pid, *pg_backends(args.pg_server, url)])
            if scenario.pool:
                info = measure_confirms(app, targets, gen.BENCH_PASSWORD, run_dir)
                if info is None:
                    continue
                bare_inproc[scenario.name] = bare_confirm_cpu(url, run_dir / "pages", info["posts"])
            else:
                info = inproc[scenario.name]
            result = Result(
                scenario.name, scenario.title, size, kind, measured["p50_us"] / 1000, measured["p95_us"] / 1000,
                measured["rps"], measured["requests"], measured["bad"] + measured["errors"], info["queries"],
                ceiling["p50_us"] / 1000, ceiling["rps"], scenario.target(kind), info["bytes"], info["ms"],
                info["cpu_ms"], info["sql_ms"], max(measured["others"], ceiling["others"]),
                bare_inproc[scenario.name], ceiling["bad"] + ceiling["errors"],
            )
            if "note" in info:
                result.notes.append(info["note"])
            results.append(result)
            log(f"  {scenario.name:<18} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms  {result.rps:6.1f} req/s"
                f"  {result.queries:3d} queries  CPU {result.inprocess_cpu_ms:5.1f} ms"
                f"  ceiling p50 {result.bare_p50:5.1f} ms CPU {result.bare_cpu_ms:5.2f} ms"
                f"  ({result.requests} requests, {result.bad} unexpected, others used {result.others:.0%} of the CPU)")
        return results
    finally:
        for process in (server, bare):
            if process is not None:
                stop(process)
        remove()


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
