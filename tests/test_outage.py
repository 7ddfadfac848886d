"""A database outage: pages answer a friendly 503 with Retry-After at once, rendered without the database; JSON
endpoints answer 503 JSON; service returns with the database, without a restart."""

import time

import pytest

from portal import create_app
from portal.extensions import db
from tests.faults import closed_port, database_unreachable

HTML_PAGES = ("/", "/my", "/no-such-page")


@pytest.fixture
def dead_app(tmp_path):
    """An app whose PostgreSQL never answers: nothing listens on its port."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/portal",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    })


def signed_in(client, user_id: int = 1):
    # Only the session cookie: reading the user behind it is the first thing that needs the database.
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def assert_friendly_outage(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "The portal is briefly unavailable" in page
    assert "Traceback" not in page and "OperationalError" not in page and "psycopg" not in page


@pytest.mark.parametrize("path", HTML_PAGES)
def test_pages_answer_a_friendly_503_within_a_second_when_postgresql_is_unreachable(dead_app, path):
    client = signed_in(dead_app.test_client())
    started = time.monotonic()
    response = client.get(path)
    assert time.monotonic() - started < 1.0
    assert_friendly_outage(response)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_autosave_answers_503_json_when_postgresql_is_unreachable(dead_app):
    client = signed_in(dead_app.test_client())
    response = client.post("/submissions/1/save", data={"revision": "1", "overview-text": "Kept"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.get_json() == {
        "error": "Not saved yet: the portal cannot reach its database. Your text is kept; we will try again.",
        "retry_after": 30,
    }


def test_postgresql_connections_time_out(dead_app):
    assert dead_app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 2}
    assert dead_app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_service_returns_with_the_database_without_a_restart(app, client, make_user, login_as):
    """On the suite's database (SQLite, or PostgreSQL with its connections killed by the server)."""
    user = make_user(name="Dana Whitfield")
    login_as(user)
    assert client.get("/my").status_code == 200
    with database_unreachable(db.engine):
        for path in ("/my", "/"):
            assert_friendly_outage(client.get(path))
        saved = client.post("/submissions/1/save", headers={"Accept": "application/json"}, data={"revision": "1"})
        assert saved.status_code == 503 and "Not saved yet" in saved.get_json()["error"]
    back = client.get("/my")
    assert back.status_code == 200 and "Dana Whitfield" in back.get_data(as_text=True)
