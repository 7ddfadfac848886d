"""Bounds on every request before any view (or CSRF check) reads it.

- Size: multipart bodies (the draft form with files) keep MAX_CONTENT_LENGTH, and Werkzeug holds each of
  their text fields to MAX_FORM_MEMORY_SIZE; every other body (URL-encoded forms, JSON) is read whole into
  memory, so it is held to MAX_BODY_BYTES.
- Text that no database can store: a NUL character, an unpaired surrogate or bytes that are not UTF-8, in the
  path, the query string or a form field, is refused with 400 and a message saying so, before anything is
  written. (PostgreSQL refuses NUL in text, and psycopg cannot encode a lone surrogate.)
"""

import sys

from flask import Flask, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

UNSTORABLE_MESSAGE = (
    "The text you sent contains a character that cannot be stored (a NUL character, an unpaired surrogate "
    "or bytes that are not UTF-8). Nothing was saved. Remove the character (it is often left by copying "
    "from another program) and try again."
)
TOO_LARGE_MESSAGE = "That request is too large. Nothing was saved; go back and shorten the text, then try again."


class UnstorableText(BadRequest):
    hint = UNSTORABLE_MESSAGE  # errors.py shows a hint in place of the generic one


class BodyTooLarge(RequestEntityTooLarge):
    hint = TOO_LARGE_MESSAGE


def has_unstorable(text: str) -> bool:
    """True for text with a NUL character or an unpaired surrogate."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bound_body() -> None:
    if request.mimetype == "multipart/form-data":
        return
    limit = min(current_app.config["MAX_BODY_BYTES"], current_app.config["MAX_CONTENT_LENGTH"] or sys.maxsize)
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge()
    request.max_content_length = limit  # also covers bodies sent without a Content-Length


def _refuse_unstorable_text() -> None:
    raw_path = request.environ.get("PATH_INFO", "") + "?" + request.environ.get("QUERY_STRING", "")
    if _raw_has_bad_bytes(raw_path) or has_unstorable(request.path):
        raise UnstorableText()
    for values in (request.args, _form_values()):
        for key, value in values.items(multi=True):
            if has_unstorable(key) or has_unstorable(value):
                raise UnstorableText()
    if request.mimetype == "multipart/form-data":
        for file in request.files.values():
            if has_unstorable(file.filename or ""):
                raise UnstorableText()


def _form_values() -> MultiDict:
    if request.mimetype == "application/x-www-form-urlencoded":
        # Werkzeug would quietly parse bytes that are not UTF-8 as an empty form (and a save would then
        # blank the draft): look at the bytes first. MAX_BODY_BYTES bounds them; the form reuses them.
        try:
            request.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError:
            raise UnstorableText() from None
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form
    return MultiDict()


def _raw_has_bad_bytes(raw: str) -> bool:
    """The WSGI server hands over the path as bytes in Latin-1; bytes that are not UTF-8 are refused."""
    try:
        raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return True
    return False


def init_request_guard(app: Flask) -> None:
    """Registered before the extensions, so these run before CSRFProtect reads the form."""
    app.before_request(_bound_body)
    app.before_request(_refuse_unstorable_text)
