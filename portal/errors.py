"""Friendly error pages: never a stack trace, always a way back."""

import contextlib

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal import logsafe, throttle
from portal.extensions import db

# How long clients are asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30
OUTAGE_TITLE = "The portal is briefly unavailable"
OUTAGE_HINT = ("We cannot reach our database at the moment. Nothing you saved is lost. "
               "Please try again in a minute; this page does not need to be reported.")

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("You do not have access to this page", "If you think you should, ask your program staff."),
    404: ("Page not found", "The page may have moved, or you may not have access to it."),
    405: ("That action is not available here", "Please go back and try again."),
    413: ("That upload is too large", "Each file may be at most 10 MB. Nothing else on the page was changed."),
    429: ("Too many attempts", "Please wait a few minutes before trying again."),
    500: ("Something went wrong on our side", "The problem has been logged. Please try again in a moment."),
}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def handle_http_error(error: HTTPException):
    code = error.code or 500
    title, hint = MESSAGES.get(code, (error.name, "Please go back and try again."))
    hint = getattr(error, "hint", hint)  # an exception may say exactly what was wrong
    if code == 404:
        throttle.count_not_found()
    headers = {"Retry-After": str(error.retry_after)} if getattr(error, "retry_after", None) else {}
    if _wants_json():
        return jsonify(error=title, detail=hint), code, headers
    if _request_has_no_routing():
        return f"{title}. {hint}", code, {"Content-Type": "text/plain; charset=utf-8", **headers}
    try:
        # The page's header reads the signed-in user and their unread notices from the database.
        return render_template("error.html", code=code, title=title, hint=hint), code, headers
    except (OperationalError, InterfaceError, PoolTimeoutError) as database_error:
        return handle_database_unavailable(database_error)


def _request_has_no_routing() -> bool:
    # An untrusted Host header fails before URL routing exists, so the page template cannot build its links.
    return request_ctx.url_adapter is None


def handle_unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    # A failed statement leaves the transaction unusable; the page (its header reads the signed-in user)
    # needs a working one.
    try:
        db.session.rollback()
    except DBAPIError as database_error:
        return handle_database_unavailable(database_error)
    return handle_http_error(InternalServerError())


def is_database_unavailable(error: Exception) -> bool:
    """The database cannot be reached (stopped, restarting, refusing or dropping connections, pool exhausted),
    as opposed to a statement that failed."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def handle_database_error(error: DBAPIError):
    if is_database_unavailable(error):
        return handle_database_unavailable(error)
    return handle_unexpected_error(error)


def handle_database_unavailable(error: Exception):
    """A 503 with Retry-After, rendered without the database: no user, no notices, no base template (whose
    header reads both), so the page itself cannot fail the same way. The next request tries the database again:
    the service returns as soon as the database does."""
    current_app.logger.warning(
        "Database unavailable on %s %s: %s", request.method, request.path, str(error).splitlines()[0][:200]
    )
    _forget_transaction()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if _wants_json():
        body = jsonify(error="Not saved yet: the portal cannot reach its database. Your text is kept; "
                       "we will try again.", retry_after=RETRY_AFTER_SECONDS)
        return body, 503, headers
    if _request_has_no_routing():
        return f"{OUTAGE_TITLE}. {OUTAGE_HINT}", 503, {**headers, "Content-Type": "text/plain; charset=utf-8"}
    # Straight from the Jinja environment: render_template would run the context processors, which read the
    # signed-in user's unread notices.
    page = current_app.jinja_env.get_template("outage.html").render(
        title=OUTAGE_TITLE, hint=OUTAGE_HINT, retry_after=RETRY_AFTER_SECONDS, request=request
    )
    return page, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}


def _forget_transaction() -> None:
    # The connection is gone; what matters is that the next request starts afresh with a new one.
    with contextlib.suppress(DBAPIError):
        db.session.rollback()
    db.session.remove()


def init_errors(app: Flask) -> None:
    logsafe.install()
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
