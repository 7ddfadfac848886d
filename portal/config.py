"""Configuration classes. Every setting can be overridden from the environment."""

import os
from datetime import timedelta

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 -- known on purpose: production refuses it


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # None means "a SQLite file in the instance folder", filled in by create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # pool_pre_ping: a connection that died with the database is replaced on checkout, so service returns as soon
    # as the database does, without a restart. pool_timeout: waiting for a free connection ends in a 503, not a hang.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_timeout": 5}
    # Seconds to wait for PostgreSQL to accept a connection before the page answers 503 (libpq's minimum is 2;
    # a stopped server refuses at once).
    DATABASE_CONNECT_TIMEOUT = _env_int("DATABASE_CONNECT_TIMEOUT", 2)

    # Requests larger than this are refused with 413 before the body is read:
    # five artifacts of 10 MB plus the form itself.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 52 * 1024 * 1024)
    # Each text field of a multipart form (the draft form), and every other body (URL-encoded forms, JSON),
    # which Werkzeug reads whole into memory. Both sit well above TEXT_MAX_CHARS (4 bytes a character at
    # most), so a text just over that limit still reaches its form and gets a message beside its field.
    MAX_FORM_MEMORY_SIZE = _env_int("MAX_FORM_MEMORY_SIZE", 1024 * 1024)
    MAX_BODY_BYTES = _env_int("MAX_BODY_BYTES", 1024 * 1024)
    # The longest text any one field takes (an essay, a goal field, feedback). Far above every word limit;
    # it bounds the work of rendering and counting (see portal/text.py).
    TEXT_MAX_CHARS = _env_int("TEXT_MAX_CHARS", 50_000)
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    UPLOAD_MAX_FILES = _env_int("UPLOAD_MAX_FILES", 5)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # default: instance/uploads
    UPLOAD_QUOTA_BYTES = _env_int("UPLOAD_QUOTA_BYTES", 200 * 1024 * 1024)  # all of one account's files
    # Files of withdrawn versions are removed this long after the withdrawal (`flask uploads sweep`).
    UPLOAD_RETENTION_DAYS = _env_int("UPLOAD_RETENTION_DAYS", 90)

    # OWASP: argon2id, 19 MiB minimum; we use 64 MiB, 3 passes.
    PASSWORD_HASH = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MAX_LENGTH = 256

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 10 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes")
    # Checking an uploaded credential canonicalizes and verifies it, which costs CPU; anyone may do it.
    VERIFY_LIMIT_PER_ADDRESS = os.environ.get("VERIFY_LIMIT_PER_ADDRESS", "30 per minute")
    # "Not found" answers from object pages per person (or address): past it, walking ids gets 429.
    NOT_FOUND_LIMIT = os.environ.get("NOT_FOUND_LIMIT", "60 per 10 minutes")
    # Failed checks of the current password (password and email change pages), per account.
    PASSWORD_CHECK_LIMIT = os.environ.get("PASSWORD_CHECK_LIMIT", "5 per 10 minutes")
    # Reset-link and confirmation-link requests: per address, and per account asked about.
    LINK_LIMIT_PER_ADDRESS = os.environ.get("LINK_LIMIT_PER_ADDRESS", "10 per hour")
    LINK_LIMIT_PER_ACCOUNT = os.environ.get("LINK_LIMIT_PER_ACCOUNT", "3 per hour")
    SIGN_UP_LIMIT_PER_ADDRESS = os.environ.get("SIGN_UP_LIMIT_PER_ADDRESS", "20 per hour")
    PASSWORD_RESET_MINUTES = _env_int("PASSWORD_RESET_MINUTES", 60)
    EMAIL_CONFIRMATION_HOURS = _env_int("EMAIL_CONFIRMATION_HOURS", 48)
    # Whom a deactivated account is told to contact, e.g. "the program office, help@district.org".
    SUPPORT_CONTACT = os.environ.get("SUPPORT_CONTACT", "")
    # How many proxies in front of the app set X-Forwarded-For. 0 means the header is ignored,
    # so a forged header can never change the address the rate limit counts.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    # Two-step sign-in: the roles (comma-separated) that must use an authenticator app; "" for none.
    TWO_FACTOR_REQUIRED_ROLES = os.environ.get("TWO_FACTOR_REQUIRED_ROLES", "staff")
    TWO_FACTOR_LIMIT_PER_ACCOUNT = os.environ.get("TWO_FACTOR_LIMIT_PER_ACCOUNT", "5 per 5 minutes")
    # How long the half-signed-in state (password or district sign-in done, code not yet) lasts.
    TWO_FACTOR_PENDING_SECONDS = _env_int("TWO_FACTOR_PENDING_SECONDS", 300)

    # District sign-in (OpenID Connect): each provider is on once its client ID and secret are set.
    # Allowed domains: comma-separated e-mail domains; empty allows any (Microsoft: the tenant limits it).
    OIDC_GOOGLE_CLIENT_ID = os.environ.get("OIDC_GOOGLE_CLIENT_ID", "")
    OIDC_GOOGLE_CLIENT_SECRET = os.environ.get("OIDC_GOOGLE_CLIENT_SECRET", "")
    OIDC_GOOGLE_ALLOWED_DOMAINS = os.environ.get("OIDC_GOOGLE_ALLOWED_DOMAINS", "")
    OIDC_MICROSOFT_CLIENT_ID = os.environ.get("OIDC_MICROSOFT_CLIENT_ID", "")
    OIDC_MICROSOFT_CLIENT_SECRET = os.environ.get("OIDC_MICROSOFT_CLIENT_SECRET", "")
    OIDC_MICROSOFT_TENANT = os.environ.get("OIDC_MICROSOFT_TENANT", "")
    OIDC_MICROSOFT_ALLOWED_DOMAINS = os.environ.get("OIDC_MICROSOFT_ALLOWED_DOMAINS", "")
    # Any other provider (Clever, ClassLink ...), one per line or separated by ";":
    # name|issuer URL|client ID|client secret|allowed domains (optional, comma-separated)
    OIDC_PROVIDERS = os.environ.get("OIDC_PROVIDERS", "")

    SESSION_LIFETIME = timedelta(days=_env_int("SESSION_LIFETIME_DAYS", 14))
    PERMANENT_SESSION_LIFETIME = SESSION_LIFETIME
    # A session unused for this long ends; pages warn SESSION_IDLE_WARNING before (WCAG 2.2.1).
    SESSION_IDLE = timedelta(minutes=float(os.environ.get("SESSION_IDLE_MINUTES", "30")))
    SESSION_IDLE_WARNING = timedelta(minutes=2)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    HSTS = False
    TRUSTED_HOSTS = [h for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h] or None

    REVIEW_DUE_DAYS = _env_int("REVIEW_DUE_DAYS", 14)
    REVIEW_REMINDER_DAYS = _env_int("REVIEW_REMINDER_DAYS", 3)
    CALIBRATION_SHARE = float(os.environ.get("CALIBRATION_SHARE", "0.10"))
    COACHING_AFTER_NOT_YET = _env_int("COACHING_AFTER_NOT_YET", 3)
    COHORT_MIN_GROUP = _env_int("COHORT_MIN_GROUP", 10)
    # Below these bases a statistic says "too few to tell" instead of a number that would mislead.
    STATS_MIN_PAIRS = _env_int("STATS_MIN_PAIRS", 10)  # double-scored part pairs behind an agreement figure
    STATS_MIN_RESULTS = _env_int("STATS_MIN_RESULTS", 10)  # part results behind a Yes rate
    STATS_MIN_DECISIONS = _env_int("STATS_MIN_DECISIONS", 3)  # decisions behind a median time
    INVITATION_DAYS = _env_int("INVITATION_DAYS", 7)
    # The portal's public address: every mailed link and every issued credential is built from it,
    # never from a request's Host header. `make run` sets it from its port.
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")

    # Open Badges: the organization named as issuer of every credential, and where the signing key is.
    BADGE_ISSUER_NAME = os.environ.get("BADGE_ISSUER_NAME", "Micro-credential Portal")
    BADGE_ISSUER_URL = os.environ.get("BADGE_ISSUER_URL", "")  # empty: PORTAL_URL
    BADGE_ISSUER_EMAIL = os.environ.get("BADGE_ISSUER_EMAIL", "")
    BADGE_KEY_FILE = os.environ.get("BADGE_KEY_FILE")  # default: instance/badge-issuer-key.txt
    BADGE_PRIVATE_KEY = os.environ.get("BADGE_PRIVATE_KEY", "")  # the key itself, instead of a file
    BADGE_REQUIRE_KEY = False  # outside production a missing key is made on first use

    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # unset: messages are printed on the console
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1").lower() in ("1", "true", "yes", "on")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Micro-credential Portal <no-reply@example.org>")

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so long drafting sessions keep working
    AUTOSAVE_SECONDS = 3


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 -- tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PASSWORD_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    CALIBRATION_SHARE = 0.0  # tests that need double scoring set it
    TWO_FACTOR_REQUIRED_ROLES = ""  # most tests sign staff in with a password; tests of the rule turn it on


class ProductionConfig(Config):
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    BADGE_REQUIRE_KEY = True


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
