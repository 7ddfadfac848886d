"""Sessions end after SESSION_IDLE without use; pages can ask how long is left and extend it."""

from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts import services
from portal.accounts.models import UserSession
from portal.audit import utcnow
from portal.extensions import db
from tests.conftest import PASSWORD


def sign_in(client, user):
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})


def last_used(minutes_ago: float) -> None:
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()


def seen_at():
    db.session.expire_all()
    return db.session.scalar(select(UserSession.last_seen_at))


def test_an_idle_session_is_refused_and_ended(client, make_user):
    sign_in(client, make_user())
    last_used(31)

    response = client.get("/my")

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Fmy&expired=1"
    assert db.session.scalar(select(UserSession)) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because the page was not used for a while." in page
    assert "Your drafts were saved as you typed" in page
    assert 'name="next" type="hidden" value="/my"' in page


def test_a_session_used_within_the_idle_time_lives_on(client, make_user):
    sign_in(client, make_user())
    last_used(29)
    assert client.get("/my").status_code == 200


def test_use_is_written_at_most_once_a_minute(client, make_user):
    sign_in(client, make_user())
    last_used(0.5)
    before = seen_at()
    client.get("/my")
    assert seen_at() == before
    last_used(2)
    client.get("/my")
    assert utcnow() - seen_at() < timedelta(seconds=5)


def test_asking_how_long_is_left_does_not_extend_but_extending_does(client, make_user):
    sign_in(client, make_user())
    last_used(25)

    status = client.get("/session/status").get_json()
    assert status["signed_in"] and 4 * 60 <= status["seconds_left"] <= 5 * 60
    assert utcnow() - seen_at() > timedelta(minutes=24)

    extended = client.post("/session/extend").get_json()
    assert extended == {"signed_in": True, "seconds_left": 30 * 60}
    assert utcnow() - seen_at() < timedelta(seconds=5)


def test_status_and_extend_after_the_session_ended(client, make_user):
    sign_in(client, make_user())
    last_used(31)
    assert client.get("/session/status").get_json() == {"signed_in": False, "seconds_left": 0}
    assert client.post("/session/extend").status_code == 401


def test_autosave_after_the_session_ended_gets_401_json_not_the_sign_in_page(client, make_user):
    sign_in(client, make_user())
    last_used(31)
    response = client.post("/submissions/1/save", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert "You have been signed out." in response.get_json()["error"]


def test_pages_of_a_signed_in_user_carry_the_warning_settings(client, make_user):
    sign_in(client, make_user())
    page = client.get("/my").get_data(as_text=True)
    assert 'id="idle-dialog"' in page and 'data-warn-seconds="120"' in page and "js/idle.js" in page
    assert 'data-seconds-left="1800"' in page
    client.post("/sign-out")
    assert 'id="idle-dialog"' not in client.get("/").get_data(as_text=True)


def test_purge_removes_idle_and_expired_sessions(app, make_user):
    user = make_user()
    services.start_session(user)
    services.start_session(user)
    db.session.commit()
    db.session.execute(update(UserSession).where(UserSession.id == 1).values(
        last_seen_at=utcnow() - timedelta(minutes=45)))
    assert services.purge_expired_sessions() == 1
    assert db.session.scalars(select(UserSession.id)).all() == [2]
