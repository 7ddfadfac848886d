"""The ceiling: a bare Flask + SQLAlchemy app that does, per scenario, the least work the portal's page needs.

benchmarks/run.py runs it under the same gunicorn settings as the portal (2 sync workers), on the SAME database,
and drives it with the same wrk script (the same cookies and form bodies; only the path differs):

    DATABASE_URL=... BARE_PAGES=benchmarks/out/<run>/pages gunicorn -w 2 -b 127.0.0.1:PORT benchmarks.bare_app:app

BARE_PAGES is the folder where the runner saved every page as the portal rendered it, with manifest.json
giving each scenario's status, byte size and the ids its query needs (which assignment, cohort, reviewer).

GET /<scenario>: ONE SQL query returning the rows the portal's page shows (50 submissions joined to their
educator, organization, credential and current version; the one version of an assignment with its answers
JSON; the reviewer's open assignments and 10 most recently closed ones; 50 members of the cohort; the catalog
credential with its stack), then benchmarks/bare_templates/page.html, a Jinja template with a real loop over
the rows, autoescaped, rendered to exactly the byte size of the portal's page: when the rows alone are
shorter, the loop runs over them again (whole copies) and the rest is a filler cut from the rows' own text.
The number of copies and the filler's length are fitted on a scenario's first request (the warm-up).

POST /review-save/<assignment id>: reads the form, ONE UPDATE of the assignment's first part result (its
result and feedback from the form), commit, 302 back to the page, as the portal's save does.
POST /review-confirm/<assignment id>: reads the form, ONE UPDATE closing the assignment, and, where the
portal's confirm of that assignment earned the credential, the one thing no implementation of an earned
decision can skip: signing the Open Badges credential (a Data Integrity proof over its RDFC-1.0 canonical
form, with the same pyld-based code and an Ed25519 key). It reads the issued documents of the assignment's
version in ONE query (under wrk it runs after the portal confirmed the same assignments, so it finds what the
portal issued and rewrites closed rows), signs each again, commits, 302 to /review.

Why it is a fair peer: the same server, database, connection pool settings (pool_pre_ping, SQLite in WAL with
synchronous=NORMAL), request bodies and response sizes, and the same kind of work a page cannot avoid (a
query, rows turned into Python values, a template with autoescaping, a commit for a write), but none of the
portal's own work: no session or sign-in, no CSRF check, no permission check, no ORM objects, no second query.
What the portal spends beyond it is the price of its features and layers.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, Response, abort, redirect, render_template, request
from sqlalchemy import JSON, DateTime, bindparam, create_engine, event, text

from portal.badges import proof

CURRENT_SUBMISSIONS = """
SELECT s.id, u.name, u.email, o.name AS organization, c.title, v.number, v.state, v.submitted_at
FROM submissions s
JOIN submission_versions v ON v.submission_id = s.id
JOIN users u ON u.id = s.educator_id
LEFT JOIN organizations o ON o.id = u.organization_id
JOIN credentials c ON c.id = s.credential_id
WHERE NOT EXISTS (SELECT 1 FROM submission_versions later
                  WHERE later.submission_id = s.id AND later.number > v.number)
ORDER BY s.id DESC LIMIT 50"""

ASSIGNED_VERSION = """
SELECT v.id, v.number, v.state, v.submitted_at, c.title, st.title AS stack, v.answers
FROM assignments a
JOIN submission_versions v ON v.id = a.version_id
JOIN submissions s ON s.id = v.submission_id
JOIN credentials c ON c.id = s.credential_id
JOIN stacks st ON st.id = c.stack_id
WHERE a.id = :assignment_id"""

REVIEWER_QUEUE = """
SELECT * FROM (
    SELECT a.id, a.state, a.due_at, a.closed_at, c.title, v.number
    FROM assignments a
    JOIN submission_versions v ON v.id = a.version_id
    JOIN submissions s ON s.id = v.submission_id
    JOIN credentials c ON c.id = s.credential_id
    WHERE a.reviewer_id = :reviewer_id AND a.state = 'open' ORDER BY a.due_at) AS open_work
UNION ALL
SELECT * FROM (
    SELECT a.id, a.state, a.due_at, a.closed_at, c.title, v.number
    FROM assignments a
    JOIN submission_versions v ON v.id = a.version_id
    JOIN submissions s ON s.id = v.submission_id
    JOIN credentials c ON c.id = s.credential_id
    WHERE a.reviewer_id = :reviewer_id AND a.closed_at IS NOT NULL ORDER BY a.closed_at DESC LIMIT 10) AS recent"""

COHORT_MEMBERS = """
SELECT u.name, u.email, o.name AS organization, m.district_role, m.joined_at
FROM cohort_memberships m
JOIN users u ON u.id = m.user_id
LEFT JOIN organizations o ON o.id = u.organization_id
WHERE m.cohort_id = :cohort_id
ORDER BY u.name LIMIT 50"""

CATALOG_CREDENTIAL = """
SELECT c.title, c.summary, c.key_method, c.about, c.earning, c.license, st.title AS stack, st.issuer
FROM credentials c JOIN stacks st ON st.id = c.stack_id
WHERE st.slug = :stack_slug AND c.slug = :credential_slug"""

QUERIES = {
    "staff-submissions": CURRENT_SUBMISSIONS,
    "review-open": ASSIGNED_VERSION,
    "review-open-plan": ASSIGNED_VERSION,
    "cohort-dashboard": COHORT_MEMBERS,
    "review-queue": REVIEWER_QUEUE,
    "catalog-credential": CATALOG_CREDENTIAL,
}

SAVE_RESULT = text("""
UPDATE part_results SET result = :result, feedback = :feedback
WHERE review_id = (SELECT id FROM reviews WHERE assignment_id = :assignment_id) AND part_key = :part_key""")

ISSUED_FOR_ASSIGNMENT = text("""
SELECT i.document FROM issued_credentials i JOIN assignments a ON a.version_id = i.version_id
WHERE a.id = :assignment_id""")

CLOSE_ASSIGNMENT = text(
    "UPDATE assignments SET state = 'done', closed_at = :now WHERE id = :assignment_id"
).bindparams(bindparam("now", type_=DateTime()))

VERIFICATION_METHOD = "did:web:bare.example#key-1"
FILLER_CHARACTERS = re.compile(r"[^A-Za-z0-9 ]+")  # what autoescaping and UTF-8 leave at one byte each


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """The portal's SQLite settings (portal/extensions.py): a commit costs the same in both apps."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_app(database_url: str, pages: Path) -> Flask:
    app = Flask(__name__, template_folder="bare_templates")
    engine = create_engine(database_url, pool_pre_ping=True)  # the portal's pool setting
    event.listen(engine, "connect", _sqlite_pragmas)
    app.extensions["bare_engine"] = engine
    manifest = json.loads((pages / "manifest.json").read_text())
    # The statement of each page, with its answers column read as JSON (a dict) on every database.
    queries = {name: text(sql).columns(answers=JSON) if "answers" in sql else text(sql)
               for name, sql in QUERIES.items()}
    fitted: dict[str, tuple[int, int, int]] = {}  # scenario -> copies of the rows, filler length, bytes made

    def render(name: str, rows: list, copies: int, filler_length: int) -> bytes:
        filler = ""
        if filler_length:
            source = FILLER_CHARACTERS.sub(" ", " ".join(str(value) for row in rows for value in row)) or "x"
            filler = (source * (filler_length // len(source) + 1))[:filler_length]
        return render_template("page.html", title=name, rows=rows, copies=copies, filler=filler).encode()

    def fit(name: str, rows: list, size: int) -> tuple[int, int, int]:
        """Whole copies of the rows up to the size, then a filler for the remaining bytes."""
        once = len(render(name, rows, 1, 0))
        per_copy = len(render(name, rows, 2, 0)) - once
        copies = 1 + max(0, size - once) // per_copy if per_copy else 1
        filler_length = max(0, size - len(render(name, rows, copies, 0)))
        return copies, filler_length, len(render(name, rows, copies, filler_length))

    @app.get("/<name>")
    def page(name: str) -> Response:
        spec = manifest.get(name)
        if spec is None or name not in queries:
            abort(404)
        with engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(queries[name], spec["params"])]
        if name not in fitted:
            fitted[name] = fit(name, rows, spec["bytes"])
        copies, filler_length, made = fitted[name]
        body = render(name, rows, copies, filler_length)
        if len(body) != made:  # the rows changed since the fit
            fitted[name] = fit(name, rows, spec["bytes"])
            body = render(name, rows, *fitted[name][:2])
        return Response(body, status=spec["status"], mimetype="text/html")

    @app.post("/review-save/<int:assignment_id>")
    def save(assignment_id: int):
        form = request.form
        part_key = next(key.removesuffix("-result") for key in form if key.endswith("-result"))
        with engine.begin() as connection:
            connection.execute(SAVE_RESULT, {
                "result": form[f"{part_key}-result"], "feedback": form.get(f"{part_key}-feedback", ""),
                "assignment_id": assignment_id, "part_key": part_key,
            })
        return redirect(request.path)

    signing_key = Ed25519PrivateKey.generate()

    @app.post("/review-confirm/<int:assignment_id>")
    def confirm(assignment_id: int):
        request.form  # noqa: B018 -- parse the body, as the portal's form does
        with engine.begin() as connection:
            connection.execute(CLOSE_ASSIGNMENT, {"now": datetime.now(UTC).replace(tzinfo=None),
                                                  "assignment_id": assignment_id})
            for (document,) in connection.execute(ISSUED_FOR_ASSIGNMENT, {"assignment_id": assignment_id}):
                unsigned = {key: value for key, value in json.loads(document).items() if key != "proof"}
                proof.sign(unsigned, private_key=signing_key, verification_method=VERIFICATION_METHOD,
                           created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        return redirect("/review")

    @app.get("/health")
    def health() -> str:
        return "ok"

    return app


app = create_app(os.environ["DATABASE_URL"], Path(os.environ["BARE_PAGES"])) if os.environ.get("BARE_PAGES") else None
