"""The notices page, the mark-all-read button and the unread count given to every template."""

from flask import render_template_string
from flask_login import login_user

from portal.extensions import db
from portal.notifications import services


def notify(user, text, link=""):
    notice = services.notify(user=user, text=text, link=link)
    db.session.commit()
    return notice


def test_notices_page_shows_only_the_signed_in_users_notices(client, make_user, login_as):
    dana, lee = make_user(name="Dana"), make_user(name="Lee")
    received = notify(dana, "Your submission was received.", link="/my")
    notify(lee, "Lee's secret decision is ready.")
    login_as(dana)

    page = client.get("/notices").get_data(as_text=True)

    assert "Your submission was received." in page
    assert f'action="/notices/{received.id}">' in page
    assert 'class="link-button notice-link">Your submission was received.</button>' in page
    assert "Lee" not in page and "secret decision" not in page
    assert "You have 1 unread notice." in page
    assert '<span class="tag">New</span>' in page
    assert "Mark all as read" in page
    assert '<time datetime="' in page


def test_notices_page_without_notices_says_so(client, make_user, login_as):
    login_as(make_user())
    page = client.get("/notices").get_data(as_text=True)
    assert "You have no notices yet." in page and "Mark all as read" not in page


def test_mark_all_read_clears_the_count_and_the_new_marks(client, make_user, login_as):
    dana, lee = make_user(), make_user()
    notify(dana, "One")
    notify(dana, "Two")
    notify(lee, "Lee's")
    login_as(dana)

    response = client.post("/notices/read", data={"next": "/notices?page=1"})

    assert response.status_code == 302 and response.location == "/notices?page=1"
    assert (services.unread_count(dana), services.unread_count(lee)) == (0, 1)
    page = client.get("/notices").get_data(as_text=True)
    assert "All notices are marked as read." in page
    assert "You have no unread notices." in page and '<span class="tag">New</span>' not in page


def test_mark_all_read_never_redirects_off_the_site(client, make_user, login_as):
    login_as(make_user())
    response = client.post("/notices/read", data={"next": "https://evil.example/"})
    assert response.location == "/notices"


def test_notices_pages_send_anonymous_visitors_to_sign_in(client):
    assert client.get("/notices").location.startswith("/sign-in?next=")
    assert client.post("/notices/read").location.startswith("/sign-in?next=")


def test_notices_page_runs_the_same_queries_for_1_and_40_notices(client, make_user, login_as, count_queries):
    dana = make_user()
    login_as(dana)
    notify(dana, "first")
    with count_queries() as one:
        assert client.get("/notices").status_code == 200
    for n in range(39):
        services.notify(user=dana, text=f"notice {n}", link="/my")
    db.session.commit()

    with count_queries() as forty:
        page = client.get("/notices").get_data(as_text=True)

    assert page.count("<li class=\"notice-item") == 30 and "Page 1 of 2" in page
    assert forty[0] == one[0]


def test_unread_notices_is_zero_for_anonymous_visitors(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ unread_notices }}") == "0"


def test_unread_notices_counts_for_a_signed_in_user_in_any_template(app, make_user, count_queries):
    dana = make_user()
    notify(dana, "One")
    notify(dana, "Two")
    with app.test_request_context("/"):
        login_user(dana)
        db.session.refresh(dana)  # loaded, as the user loader leaves it in a real request
        with count_queries() as queries:
            assert render_template_string("{{ unread_notices }}") == "2"
    assert queries[0] == 1


def test_following_a_notice_marks_it_read_and_goes_to_its_link(client, make_user, login_as):
    dana, lee = make_user(name="Dana"), make_user(name="Lee")
    received = notify(dana, "Your submission was received.", link="/my")
    private = notify(lee, "Lee's notice.", link="/my")
    login_as(dana)

    assert client.get(f"/notices/{received.id}").status_code == 405  # a GET changes nothing
    db.session.expire_all()
    assert received.read_at is None

    response = client.post(f"/notices/{received.id}")

    assert response.status_code == 302 and response.headers["Location"] == "/my"
    db.session.expire_all()
    assert received.read_at is not None
    assert services.unread_count(dana) == 0
    assert client.post(f"/notices/{private.id}").status_code == 404
    assert private.read_at is None


def badge(page: str) -> str | None:
    """The number on the Notices link of the header, or None when it shows none."""
    nav = page.split(">Notices", 1)[1].split("</a>", 1)[0]
    return nav.split('<span class="tag">', 1)[1].split("<", 1)[0] if '<span class="tag">' in nav else None


def test_each_signed_in_user_sees_their_own_unread_count(app, make_user):
    from portal.accounts import services as accounts

    dana, lee = make_user(name="Dana"), make_user(name="Lee")
    notify(dana, "One")
    notify(dana, "Two")
    clients = {}
    for user in (dana, lee):
        token = accounts.start_session(user)
        db.session.commit()
        clients[user.name] = app.test_client()
        with clients[user.name].session_transaction() as session:
            session["_user_id"] = token

    # In turn, on one process: nothing of one user's count reaches the other.
    seen = [badge(clients[name].get("/").get_data(as_text=True)) for name in ("Dana", "Lee", "Dana", "Lee")]

    assert seen == ["2", None, "2", None]


def test_a_signed_in_page_reads_the_count_with_the_session(client, make_user, login_as, count_queries):
    dana = make_user()
    notify(dana, "One")
    login_as(dana)
    client.get("/")
    with count_queries() as queries:
        page = client.get("/").get_data(as_text=True)
    assert badge(page) == "1"
    assert queries[0] == 2  # the session with its user and count; the catalog cache's generations


def test_a_count_changed_in_the_same_request_is_counted_again(app, make_user):
    from portal.accounts import services as accounts

    dana = make_user()
    notify(dana, "One")
    notify(dana, "Two")
    token = accounts.start_session(dana)
    db.session.commit()
    db.session.remove()
    with app.test_request_context("/"):
        user = accounts.load_session_user(token)
        assert user.unread_notices == 2
        assert services.unread_count_for_page(user) == 2
        services.mark_all_read(user=user)
        assert services.unread_count_for_page(user) == 0
        services.notify(user=user, text="Three")
        assert services.unread_count_for_page(user) == 1
        db.session.rollback()
