"""Throttle walking through ids: a person (or, signed out, an address) who gets many "not found" answers
from the portal's object pages is slowed down.

Every page with an id in its address answers 404 for an object the visitor may not see, so running
through /submissions/1, /2, /3 ... is how someone would map what exists. Each 404 of a routed page
counts against NOT_FOUND_LIMIT in the rate-limit storage (Redis in production, shared by every worker);
past it, pages with an address parameter answer 429 with Retry-After until the window passes. Plain
mistakes (a stale bookmark, a typo) stay far below the limit; unrouted addresses (favicon.ico, scanners
guessing file names) do not count.
"""

import functools
import time

from flask import Flask, current_app, request
from flask_login import current_user
from limits import parse
from werkzeug.exceptions import TooManyRequests

from portal.extensions import limiter


class TooManyNotFound(TooManyRequests):
    hint = "Too many pages were not found in a short time. Please wait a few minutes and try again."


def _key() -> str:
    who = f"user:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}not-found:{who}"


def _enabled() -> bool:
    return current_app.config.get("RATELIMIT_ENABLED", True)


@functools.lru_cache(maxsize=8)
def _parse(limit: str):
    # Asked on every page with an id in its address: parse each setting once, not per request.
    return parse(limit)


def _limit():
    return _parse(current_app.config["NOT_FOUND_LIMIT"])


def count_not_found() -> None:
    """Called by the 404 handler: count a miss on a routed page."""
    if request.url_rule is not None and request.endpoint != "static" and _enabled():
        try:
            limiter.limiter.hit(_limit(), _key())
        except Exception:  # noqa: BLE001 -- the storage is down: serve the page, as Flask-Limiter would
            current_app.logger.warning("Rate-limit storage unavailable; not-found answers are not counted")


def _refuse_when_over() -> None:
    if not request.view_args or request.endpoint == "static" or not _enabled():
        return
    limit = _limit()
    try:
        if limiter.limiter.test(limit, _key()):
            return
        reset_at = limiter.limiter.get_window_stats(limit, _key())[0]
    except Exception:  # noqa: BLE001 -- the storage is down: fail open, never turn it into a 500
        current_app.logger.warning("Rate-limit storage unavailable; not-found throttle skipped")
        return
    raise TooManyNotFound(retry_after=max(1, int(reset_at - time.time())))


def _drop_idle_limiter_check(app: Flask) -> None:
    """Flask-Limiter looks on every request for limits that apply to the whole app or a blueprint. The portal
    has none: its limits sit on single views, whose decorators check them. So the per-request look finds
    nothing and only costs time; it is dropped, unless settings or code have added such limits."""
    manager = limiter.limit_manager
    app_wide = (
        manager._application_limits, manager._default_limits, manager._blueprint_limits, limiter._meta_limits,
        *(app.config.get(name) for name in ("RATELIMIT_APPLICATION", "RATELIMIT_DEFAULT", "RATELIMIT_META")),
    )
    if not any(app_wide) and limiter._check_request_limit in app.before_request_funcs[None]:
        app.before_request_funcs[None].remove(limiter._check_request_limit)


def init_throttle(app: Flask) -> None:
    app.before_request(_refuse_when_over)
    _drop_idle_limiter_check(app)
