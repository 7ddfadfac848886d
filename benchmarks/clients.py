"""Talking to the portal as a browser does: one client over HTTP (for gunicorn), one over the Flask test client
(in-process), both with the cookie handled by hand, and sign-in through the real form."""

from __future__ import annotations

import re
import urllib.parse
from http.client import HTTPConnection

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


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
