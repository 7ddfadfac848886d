"""Friendly error pages: never a stack trace, always a way back."""

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, InternalServerError

from portal import logsafe, throttle
from portal.extensions import db

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
    return render_template("error.html", code=code, title=title, hint=hint), code, headers


def _request_has_no_routing() -> bool:
    # An untrusted Host header fails before URL routing exists, so the page template cannot build its links.
    return request_ctx.url_adapter is None


def handle_unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    # A failed statement leaves the transaction unusable; the page (its header reads the signed-in user)
    # needs a working one.
    db.session.rollback()
    return handle_http_error(InternalServerError())


def init_errors(app: Flask) -> None:
    logsafe.install()
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
