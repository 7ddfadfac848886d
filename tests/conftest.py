"""Shared fixtures: a fresh schema per test, on SQLite by default or on TEST_DATABASE_URL (PostgreSQL in CI)."""

import io
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import current_app
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

os.environ.setdefault("PORTAL_CONFIG", "test")

from portal import create_app  # noqa: E402
from portal.accounts import services as accounts  # noqa: E402
from portal.cache import clear_all as clear_process_caches  # noqa: E402
from portal.catalog.loader import bundled_stack_paths, load_stack  # noqa: E402
from portal.catalog.models import Credential  # noqa: E402
from portal.catalog.services import sync_stack  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.submissions import services as submissions  # noqa: E402
from portal.submissions.models import State  # noqa: E402

PASSWORD = "correct horse battery"
# One blank page: the smallest PDF a reader opens (uploads make a reviewers' copy, which needs a readable file).
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def scratch_dir(tmp_path_factory):
    # SQLite syncs to disk on every commit; memory-backed /dev/shm keeps the suite fast where it exists.
    shm = "/dev/shm"  # noqa: S108 -- only a private mkdtemp is made inside it
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="portal-test-", dir=shm))
    return tmp_path_factory.mktemp("db")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """One database for the run; the schema is built once and emptied after every test."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{scratch_dir(tmp_path_factory) / 'test.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def badge_key_file(tmp_path_factory) -> str:
    """The issuer key every test app signs credentials with (published on first use in each test's database)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from portal.badges.keys import encode_private

    path = tmp_path_factory.mktemp("badge-key") / "issuer-key.txt"
    path.write_text(encode_private(Ed25519PrivateKey.generate()) + "\n")
    return str(path)


@pytest.fixture
def app_config(database_url, tmp_path, badge_key_file) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "BADGE_KEY_FILE": badge_key_file,
    }


@pytest.fixture
def app(app_config):
    clear_process_caches()  # the database is emptied after every test, as if a new process served it
    app = create_app(app_config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


def empty_all_tables() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as a server does: no `g` or database session is
    shared with the test body or with the previous request."""

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(name=None, roles=("educator",), organization="Riverside Unified School District", email=None):
        n = next(counter)
        user = accounts.create_user(
            email=email or f"person{n}@example.org", name=name or f"Person {n}", password=PASSWORD,
            organization=organization, roles=roles,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client):
    """Sign a user in on the test client through a real server-side session."""

    def login(user):
        token = accounts.start_session(user)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        return token

    return login


@pytest.fixture
def stack(app):
    for path in bundled_stack_paths():
        sync_stack(load_stack(path))
    db.session.commit()


@pytest.fixture
def credential(stack):
    def get(slug):
        return db.session.scalar(select(Credential).where(Credential.slug == slug))

    return get


def complete_answers(credential) -> dict:
    """Answers that meet every requirement of the credential's current parts."""
    answers = {}
    for part in credential.requirements.parts:
        if part.kind == "essay":
            answers[part.key] = {"text": "Broadband access and device loans matter because students need both."}
        elif part.kind == "plan":
            goal = {"statement": "Close the homework gap", **{f.key: f"{f.label} written" for f in part.fields}}
            answers[part.key] = {"goals": [dict(goal) for _ in range(part.min_goals)]}
    return answers


@pytest.fixture
def make_submission(app, credential, make_user):
    """A submission of `slug` by `educator` moved to `state` through the real services."""

    def make(educator=None, slug="foundations", state=State.DRAFT, staff=None):
        educator = educator or make_user()
        cred = credential(slug)
        for prerequisite in cred.prerequisites:
            if prerequisite.id not in submissions.earned_credential_ids(educator):
                make(educator, prerequisite.slug, State.EARNED, staff)
        submission = submissions.start_submission(educator=educator, credential=cred)
        if state == State.DRAFT:
            db.session.commit()
            return submission
        fill_and_submit(submission, educator)
        staff = staff or make_user(roles=("staff",))
        path = {
            State.SUBMITTED: [], State.IN_REVIEW: [State.IN_REVIEW], State.EARNED: [State.IN_REVIEW, State.EARNED],
            State.NOT_YET: [State.IN_REVIEW, State.NOT_YET], State.WITHDRAWN: [State.WITHDRAWN],
        }[state]
        for step in path:
            submissions.transition(submission, step, actor=educator if step == State.WITHDRAWN else staff)
        db.session.commit()
        return submission

    return make


def fill_and_submit(submission, educator):
    version = submission.current_version
    submissions.save_draft(
        educator=educator, submission=submission, answers=complete_answers(submission.credential),
        base_revision=version.revision,
    )
    for part in version.requirements.parts:
        # A draft restarted after a withdrawal already carries the withdrawn version's files.
        for _ in range(part.min_files - len(version.artifacts_for(part.key))):
            submissions.add_artifact(
                educator=educator, submission=submission, part_key=part.key, stream=io.BytesIO(TINY_PDF),
                filename="evidence.pdf", config=current_app.config,
            )
    submissions.submit(educator=educator, submission=submission)


@pytest.fixture
def count_queries(app):
    """Counts the SQL statements run inside the `with` block: `with count_queries() as n: ...; n[0]`."""
    @contextmanager
    def counting():
        seen = [0]

        def before(*_args):
            seen[0] += 1

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID Provider (oidc-provider on Node.js) on 127.0.0.1 for the whole run; see tests/oidc_support.py.
    Skipped where npm is missing, except in CI."""
    from tests.oidc_support import running_provider

    with running_provider() as provider:
        yield provider
