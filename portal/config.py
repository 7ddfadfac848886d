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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Requests larger than this are refused with 413 before the body is read:
    # five artifacts of 10 MB plus the form itself.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 52 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    UPLOAD_MAX_FILES = _env_int("UPLOAD_MAX_FILES", 5)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # default: instance/uploads

    # OWASP: argon2id, 19 MiB minimum; we use 64 MiB, 3 passes.
    PASSWORD_HASH = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MAX_LENGTH = 256

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 10 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes")
    # How many proxies in front of the app set X-Forwarded-For. 0 means the header is ignored,
    # so a forged header can never change the address the rate limit counts.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    SESSION_LIFETIME = timedelta(days=_env_int("SESSION_LIFETIME_DAYS", 14))
    PERMANENT_SESSION_LIFETIME = SESSION_LIFETIME
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


class ProductionConfig(Config):
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
