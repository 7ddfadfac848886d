"""Response headers, safe redirects and the production start-up checks."""

from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import DEV_SECRET_KEY

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_safe_next(target: str | None) -> bool:
    """True only for a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def check_production_settings(app: Flask) -> None:
    if app.config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY):
        raise RuntimeError("Refusing to start: set SECRET_KEY to a long random value in production.")


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")  # a page may ask for stricter
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.blueprint != "static" and _is_signed_in():
        headers["Cache-Control"] = "no-store"
    return response


def _is_signed_in() -> bool:
    # Never loads the user itself: during a database outage that would fail again, after the error page was made.
    # Nor reads the user's columns: after the view's commit they are expired, and is_authenticated (is_active)
    # would reload the user with one more query. A user was loaded only if the session was live and the
    # account active, so "not anonymous" is the answer without the database.
    user = g.get("_login_user")
    return not user.is_anonymous if user is not None else bool(session.get("_user_id"))


def _set_hsts(response):
    response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its signer built once per key instead of on every request (opening
    the session builds it even when the request has no cookie)."""

    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


def init_security(app: Flask) -> None:
    app.session_interface = SessionCookies()
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.after_request(_set_headers)
    if app.config["HSTS"]:
        app.after_request(_set_hsts)
