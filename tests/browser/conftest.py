"""Browser tests: one live server (CSRF on, 1-second autosave, demo data) driven by a real Chromium.

Fixtures and helpers (all tests in this folder are marked `browser` automatically):

  live_app              session: the Flask app behind the server (use `with live_app.app_context():`)
  live_server           session: the base URL, e.g. "http://127.0.0.1:43123"
  make_account(roles=("educator",), earned_foundations=False, name=None) -> Account(id, email, password, name)
                        a fresh account with a unique email; with earned_foundations, Foundations is earned
  browser               session: Chromium (/usr/bin/chromium) through Playwright
  context, page         a fresh 1280x900 context (base_url = live_server) and a page in it
  phone_page            a fresh 375x812 mobile context (is_mobile, has_touch) and a page in it
  assert_accessible(page, label="")      axe-core, WCAG 2.0/2.1 A and AA: fails listing every violation
  axe                   an AxeReport: axe.check(page, label) on many pages, axe.assert_clean() once at the end
  follow(page, locator), press(page, button_name)    keyboard activation (Enter) that waits for the next page
  sign_in(page, email, password, next_path=None, expect_success=True)
                        signs in through the real form with the keyboard (type, Tab, Enter)

Every page a test opens is watched: an uncaught JavaScript error or a Content-Security-Policy violation
fails the test at teardown.
"""

import functools
import itertools
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

from portal import create_app, demo
from portal.accounts import services as accounts
from portal.demo import seed_demo
from portal.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
HERE = Path(__file__).resolve().parent

# Demo data created by portal.demo.seed_demo().
STAFF_EMAIL = "staff@example.org"
DEMO_PASSWORD = "demo-password"
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: the browser tests are required in CI", pytrace=False)
    pytest.skip(reason)


# --- the live server ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live-server")
    overrides = {
        # Its own SQLite file: the server thread must never share the database the other tests empty.
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'browser.db'}",
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "WTF_CSRF_ENABLED": True,
        "AUTOSAVE_SECONDS": 1,
        # Every test signs in from 127.0.0.1; the sign-in rate limits are tested elsewhere.
        "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
    }
    overrides["BADGE_KEY_FILE"] = str(tmp / "badge-issuer-key.txt")
    app = create_app(overrides)  # the root conftest has chosen the test config
    # The server is bound before the demo is seeded: the credentials it issues name the server's address.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PORTAL_URL"] = f"http://127.0.0.1:{server.server_port}"  # mailed links and credentials
    app.extensions["live_server"] = server
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        db.session.remove()
    yield app
    server.server_close()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    server = live_app.extensions["live_server"]
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live_app.config["PORTAL_URL"]
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    name: str


_RUN = uuid.uuid4().hex[:8]
_numbers = itertools.count(1)


@pytest.fixture
def make_account(live_app, live_server):
    """make_account(roles=("educator",), earned_foundations=False, name=None) -> Account with a unique email."""
    def make(roles=("educator",), earned_foundations: bool = False, name: str | None = None) -> Account:
        n = next(_numbers)
        email = f"browser-{_RUN}-{n}@example.org"
        name = name or f"Browser Educator {n}"
        with live_app.app_context():
            user = accounts.create_user(
                email=email, name=name, password=PASSWORD, organization="Riverside Unified School District",
                roles=roles,
            )
            if earned_foundations:
                demo.earn_through_review(user, "foundations")
            db.session.commit()
            account = Account(id=user.id, email=email, password=PASSWORD, name=name)
            db.session.remove()
        return account

    return make


# --- the browser --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_driver():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


class PageWatch:
    """Uncaught script errors and CSP violations seen on the pages of one context."""

    def __init__(self):
        self.problems: list[str] = []

    def attach(self, page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error on {page.url}: {error}"))
        page.on("console", lambda msg: self._console(page, msg))

    def _console(self, page, msg) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.problems.append(f"CSP violation on {page.url}: {msg.text}")

    def check(self) -> None:
        if self.problems:
            raise AssertionError("Problems seen in the browser:\n" + "\n".join(self.problems))


def _new_context(browser, base_url, **options):
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    watch = PageWatch()
    context.on("page", watch.attach)
    return context, watch


@pytest.fixture
def context(browser, live_server):
    context, watch = _new_context(browser, live_server, viewport=DESKTOP)
    yield context
    context.close()
    watch.check()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def phone_page(browser, live_server):
    context, watch = _new_context(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()
    watch.check()


# --- helpers ------------------------------------------------------------------------------------------------


@functools.cache
def _axe_source() -> str:
    import axe_playwright_python

    path = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
    return path.read_text(encoding="utf-8") + "\n;typeof window.axe"


def _format_violations(violations) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {node['target']}: {summary[:300]}")
    return "\n".join(lines)


def check_accessible(page, label: str = "") -> None:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # The portal's Content-Security-Policy (script-src 'self') blocks the inline <script> that
        # page.add_script_tag() inserts, so the same file is evaluated through the DevTools protocol instead,
        # which CSP does not govern. The page's own CSP stays on, so the tests still see its violations.
        page.evaluate(_axe_source())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations = result["violations"]
    where = f"{label} ({page.url})" if label else page.url
    if violations:  # raised rather than asserted, so pytest does not append the raw result
        raise AssertionError(
            f"axe found {len(violations)} WCAG A/AA violation(s) on {where}:\n" + _format_violations(violations)
        )


@pytest.fixture
def assert_accessible():
    """assert_accessible(page, label="") runs axe-core (WCAG 2.0/2.1 A and AA) and fails on any violation."""
    return check_accessible


class AxeReport:
    """Runs axe on many pages in one test and reports every page's violations (and any other problem noted
    with .note) together at the end, so one finding does not hide the rest of the journey."""

    def __init__(self):
        self.failures: list[str] = []

    def check(self, page, label: str) -> None:
        try:
            check_accessible(page, label)
        except AssertionError as error:
            self.failures.append(str(error))

    def note(self, ok: bool, problem: str) -> None:
        if not ok:
            self.failures.append(problem)

    def assert_clean(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)


@pytest.fixture
def axe():
    """An AxeReport: axe.check(page, label) on each page, axe.assert_clean() at the end."""
    return AxeReport()


def follow(page, locator) -> None:
    """Activate a link or button with the keyboard (focus, Enter) and wait for the page it loads."""
    with page.expect_navigation():
        locator.press("Enter")


def press(page, name: str) -> None:
    follow(page, page.get_by_role("button", name=name, exact=True))


def keyboard_sign_in(page, email: str, password: str, next_path: str | None = None, expect_success: bool = True):
    """Sign in through the real form, typing with the keyboard and pressing Enter."""
    if "/sign-in" not in page.url or next_path:
        page.goto("/sign-in" + (f"?next={quote(next_path)}" if next_path else ""))
    page.locator("#email").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password", "Tab from Email should reach Password"
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if expect_success:
        assert "/sign-in" not in page.url, f"sign-in as {email} failed: {page.locator('main').inner_text()[:300]}"
        assert page.get_by_role("button", name="Sign out").is_visible()


@pytest.fixture
def sign_in():
    """sign_in(page, email, password, next_path=None, expect_success=True)."""
    return keyboard_sign_in
