"""Hostile input: Markdown bombs, NUL bytes, lone surrogates, bytes that are not UTF-8, deep and non-object
JSON, oversize fields and bodies. Never a 500; a clear message; nothing half-written. Runs on SQLite and,
with TEST_DATABASE_URL, on PostgreSQL (which refuses NUL in text: the case that used to be a 500)."""

import io
import logging
import time
import unicodedata
import uuid

import pytest
from flask import request
from sqlalchemy import func, select

from portal import create_app
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.catalog.models import Stack
from portal.cohorts.models import Cohort
from portal.errors import handle_unexpected_error
from portal.extensions import db
from portal.logsafe import escape_control
from portal.reviews import services as reviews
from portal.reviews.models import PartResult, Review
from portal.submissions.models import State
from portal.text import COUNT_CACHE, RENDER_CACHE, ByteBoundedCache, count_words, render_markdown

UNSTORABLE = "cannot be stored"
HARD_LIMIT = 50_000


def fill(pattern: str, size: int = HARD_LIMIT) -> str:
    return (pattern * (size // len(pattern) + 1))[:size]


BOMBS = {
    "open brackets": fill("["),
    "image brackets": fill("!["),
    "unclosed links": fill("[a]("),
    "links with a quote in the destination": fill('[a]("x)'),
    "reference-looking pairs": "[a]: http://x.example\n\n" + fill("[]", HARD_LIMIT - 30),
    "nested brackets": fill("[a", HARD_LIMIT // 2) + fill("]", HARD_LIMIT // 2),
    "brackets on every line": fill("[\n"),
    "under the markup budget": fill("[", 1300) + fill(" plain words", HARD_LIMIT - 1300),
    "angle brackets": fill("<"),
    "unclosed tags": fill("<a"),
    "unclosed comments": fill("<!--"),
    "ampersands": fill("&"),
    "emphasis": fill("*a"),
    "mixed emphasis": fill("*_"),
    "code spans": fill("`a"),
    "backslashes": fill("\\"),
    "deep quotes": fill(">") + " x",
    "spaced deep quotes": fill("> ") + "x",
    "deep list markers on a line": fill("1. "),
    "deeply indented lists": "".join("  " * i + "- x\n" for i in range(200)),
    "autolinks": fill("<http://"),
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_markdown_bomb_at_the_hard_limit_renders_in_well_under_a_second(text):
    RENDER_CACHE.clear()
    COUNT_CACHE.clear()
    # CPU time of this process, not wall time: a busy machine (CI, parallel runs) must not fail the test.
    started = time.process_time()
    html = str(render_markdown(text))
    words = count_words(text)
    elapsed = time.process_time() - started
    assert elapsed < 1.0, f"{elapsed:.2f} s"  # 20 KB of "[" took over 10 minutes; now each is 0.3 s at most
    assert isinstance(words, int) and html


def test_defused_characters_still_show_as_typed():
    html = str(render_markdown("[not a link ![nor an image a < b && c > d <!-- open"))
    assert html == "<p>[not a link ![nor an image a &lt; b &amp;&amp; c &gt; d &lt;!-- open</p>"
    assert str(render_markdown("[a [b] c](https://x.example/(y)) and [x]")) == (
        '<p><a href="https://x.example/(y)" rel="nofollow noopener">a [b] c</a> and [x]</p>'
    )


def test_nesting_past_the_cap_shows_the_rest_as_text():
    html = str(render_markdown("> " * 12 + "deep"))
    assert html.count("<blockquote>") == 8
    assert "&gt; &gt; &gt; &gt; deep" in html


def test_render_cache_is_bounded_by_characters_not_entries():
    cache = ByteBoundedCache(10_000)
    for n in range(50):
        cache.get_or_compute(str(n) * 1000, lambda text: text.upper())
    assert cache.size <= 10_000
    assert len(cache._items) < 10
    assert cache.get_or_compute("9" * 1000, lambda text: "recomputed") == "recomputed"  # the oldest went first
    cache.get_or_compute("x" * 20_000, str.upper)  # larger than the whole cache: not kept
    assert "x" * 20_000 not in cache._items


# ---------- NUL bytes, surrogates, bytes that are not UTF-8 ----------


@pytest.fixture
def educator(make_user, login_as):
    user = make_user(name="Dana Whitfield")
    login_as(user)
    return user


@pytest.fixture
def staff(make_user, login_as):
    user = make_user(name="Morgan Lee", roles=("staff",))
    login_as(user)
    return user


def assert_refused_unstorable(response):
    assert response.status_code == 400
    assert UNSTORABLE in response.get_data(as_text=True)


def test_nul_in_sign_up_name_is_refused_and_creates_nothing(client):
    response = client.post("/sign-up", data={
        "name": "Dana\x00Whitfield", "email": "dana@example.org", "organization": "Riverside", "password": "x" * 12,
    })
    assert_refused_unstorable(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("path", [
    "/stacks/digital-equity%00", "/stacks/%00/foundations", "/staff/people?q=a%00b", "/notices?page=1%00",
])
def test_nul_in_a_path_or_query_string_is_a_400(client, staff, path):
    assert_refused_unstorable(client.get(path))


@pytest.fixture
def assignment(make_user, login_as, make_submission, stack):
    """A foundations version submitted and routed to a reviewer, who is signed in."""
    reviewer = make_user(roles=("reviewer",), organization="Lakeview Charter Network")
    reviews.ensure_profile(reviewer).stacks = list(db.session.scalars(select(Stack)))
    db.session.commit()
    submission = make_submission(slug="foundations", state=State.SUBMITTED)
    [routed] = reviews.route_submitted(submission.current_version, actor=submission.educator)
    db.session.commit()
    login_as(reviewer)
    return routed


def test_nul_in_feedback_is_refused_and_nothing_is_stored(client, assignment):
    data = {"action": "save", "overview-result": "not_yet", "overview-feedback": "Missing data\x00"}
    assert_refused_unstorable(client.post(f"/review/assignments/{assignment.id}", data=data))
    assert db.session.scalar(select(func.count()).select_from(PartResult)) == 0


def test_nul_in_cohort_name_is_refused(client, staff, stack):
    stack_id = db.session.scalar(select(Stack.id))
    response = client.post("/staff/cohorts/new", data={"name": "Cohort\x00", "stack_id": str(stack_id)})
    assert_refused_unstorable(response)
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_nul_in_a_roster_file_is_refused_beside_the_file_field(client, staff, stack):
    cohort = Cohort(name="Roster Cohort", stack_id=db.session.scalar(select(Stack.id)))
    db.session.add(cohort)
    db.session.commit()
    roster = "email,name,organization\r\ndana@example.org,Dana\x00,Riverside\r\n".encode("utf-16")
    response = client.post(f"/staff/cohorts/{cohort.id}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(roster), "roster.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422) and "it contains NUL characters" in page
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "dana@example.org")) == 0


def test_bytes_that_are_not_utf8_in_a_form_are_refused(client):
    response = client.post("/sign-in", data=b"email=a\xff\xfeb%40example.org&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert_refused_unstorable(response)


def test_bytes_that_are_not_utf8_in_a_path_are_refused(client):
    response = client.get("/stacks/x", environ_overrides={"PATH_INFO": "/stacks/\xff\xfe"})
    assert_refused_unstorable(response)


def test_multipart_bytes_that_are_not_utf8_never_give_a_500(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations")
    body = (
        b"--b\r\nContent-Disposition: form-data; name=\"revision\"\r\n\r\n1\r\n"
        b"--b\r\nContent-Disposition: form-data; name=\"overview-text\"\r\n\r\nbad \xff\xfe bytes\r\n--b--\r\n"
    )
    response = client.post(f"/submissions/{draft.id}/save", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code in (302, 400)
    db.session.expire_all()
    assert "\x00" not in draft.current_version.answers.get("overview", {}).get("text", "")


def test_autosave_with_nul_keeps_the_saved_draft(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations")
    response = client.post(
        f"/submissions/{draft.id}/save", headers={"Accept": "application/json"},
        data={"revision": "1", "overview-text": "half\x00written", "file": (io.BytesIO(b""), "")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and UNSTORABLE in response.json["detail"]
    db.session.expire_all()
    assert draft.current_version.revision == 1


# ---------- the preview endpoint ----------


@pytest.mark.parametrize("body", [
    "[1, 2]", '"text"', "42", "true", "null", "{", "[" * 100_000 + "]" * 100_000, '{"text": ["a"]}',
    '{"text": {"a": 1}}', b'{"text": "\xff"}', '{"text": "lone \\ud800 surrogate"}', '{"text": "nul \\u0000"}',
])
def test_preview_refuses_anything_but_an_object_with_text(client, educator, body):
    response = client.post("/preview", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]


def test_preview_renders_text(client, educator):
    response = client.post("/preview", json={"text": "**two words**"})
    assert response.status_code == 200
    assert response.json == {"html": "<p><strong>two words</strong></p>", "words": 2}


# ---------- oversize fields and bodies ----------


def test_draft_over_the_hard_limit_is_not_saved_and_the_text_comes_back(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations")
    long_text = "word " * (HARD_LIMIT // 5) + "over"
    response = client.post(f"/submissions/{draft.id}/save",
                           data={"revision": "1", "overview-text": long_text, "action": "save"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Part 1 (Overview Questions) is too long to save: 50,004 characters, and the limit is 50,000." in page
    assert 'id="overview-text-error"' in page or 'href="#overview-text"' in page
    assert long_text in page  # what was typed is still in the form
    db.session.expire_all()
    assert draft.current_version.revision == 1 and draft.current_version.answers.get("overview", {}).get("text",
                                                                                                         "") == ""


def test_autosave_over_the_hard_limit_answers_422_json(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations")
    response = client.post(f"/submissions/{draft.id}/save", headers={"Accept": "application/json"},
                           data={"revision": "1", "overview-text": "x" * (HARD_LIMIT + 1)})
    assert response.status_code == 422
    assert "too long to save" in response.json["error"]
    assert response.json["problems"][0]["field"] == "overview-text"
    db.session.expire_all()
    assert draft.current_version.revision == 1


def test_preview_over_the_hard_limit_says_so(client, educator):
    response = client.post("/preview", json={"text": "x" * (HARD_LIMIT + 1)})
    assert response.status_code == 422 and "50,001 characters" in response.json["error"]


def test_feedback_over_the_hard_limit_is_refused_beside_the_part(client, assignment):
    feedback = "f" * (HARD_LIMIT + 1)
    response = client.post(f"/review/assignments/{assignment.id}",
                           data={"action": "save", "overview-result": "not_yet", "overview-feedback": feedback})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The feedback for Part 1 is too long to save" in page and feedback in page
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0
    db.session.expire_all()
    assert assignment.version.state == State.SUBMITTED  # the review did not even start


def test_url_encoded_body_over_the_limit_is_413_before_it_is_read(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations")
    response = client.post(f"/submissions/{draft.id}/save",
                           data={"revision": "1", "overview-text": "x" * 10_000_000})
    assert response.status_code == 413
    db.session.expire_all()
    assert draft.current_version.revision == 1


def test_json_body_over_the_limit_is_413(client, educator):
    response = client.post("/preview", data='{"text": "' + "x" * 2_000_000 + '"}', content_type="application/json",
                           headers={"Accept": "application/json"})
    assert response.status_code == 413 and response.json["error"]


def test_multipart_text_field_over_the_memory_limit_is_413(client, educator, make_submission):
    draft = make_submission(educator=educator, slug="foundations")
    response = client.post(f"/submissions/{draft.id}/save", content_type="multipart/form-data",
                           data={"revision": "1", "overview-text": "x" * 10_000_000})
    assert response.status_code == 413
    db.session.expire_all()
    assert draft.current_version.revision == 1


# ---------- e-mail addresses ----------


def test_email_addresses_that_look_the_same_are_one_account(make_user):
    composed = unicodedata.normalize("NFC", "José@Example.org")
    decomposed = unicodedata.normalize("NFD", "JOSÉ@example.org")
    assert composed != decomposed
    make_user(email=composed)
    assert accounts.find_user_by_email(decomposed) is not None
    with pytest.raises(accounts.AccountError):
        accounts.create_user(email=decomposed, name="Other", password="x" * 12, organization="Elsewhere")


# ---------- logs and id walking ----------


def test_log_lines_cannot_be_forged_through_a_path(app, caplog):
    with caplog.at_level(logging.ERROR), app.test_request_context("/boom/x%0aINFO forged entry%1b[2J"):
        assert "\n" in request.path
        handle_unexpected_error(ValueError("boom"))  # what the app logs for a 500 on this path
    [record] = [r for r in caplog.records if "Unhandled error" in r.getMessage()]
    assert "\n" not in record.getMessage() and "\x1b" not in record.getMessage()
    assert "x\\x0aINFO forged entry\\x1b[2J" in record.getMessage()
    assert escape_control("a\rb\u2028c") == "a\\x0db\\x2028c"


def test_walking_ids_is_throttled(app, client, educator):
    app.config["NOT_FOUND_LIMIT"] = "20 per 10 minutes"
    answers = [client.get(f"/submissions/{n}").status_code for n in range(1000, 1030)]
    assert answers[:20] == [404] * 20
    assert set(answers[20:]) == {429}
    refused = client.get("/submissions/5000")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get("/my").status_code == 200  # pages without an id still work


def test_walking_ids_is_throttled_with_redis_storage(app_config, make_user):
    """Production keeps the count in Redis, shared by every worker."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    worker = create_app({**app_config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                         "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}", "NOT_FOUND_LIMIT": "10 per 10 minutes"})
    client = worker.test_client()
    token = accounts.start_session(make_user())
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
    answers = [client.get(f"/submissions/{1000 + n}").status_code for n in range(12)]
    assert answers == [404] * 10 + [429, 429]
