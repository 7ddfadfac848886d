"""The hard limit on one text field (TEXT_MAX_CHARS), shared by every form, service and JSON endpoint."""

from flask import current_app
from wtforms.validators import StopValidation


def text_max_chars() -> int:
    return current_app.config["TEXT_MAX_CHARS"]


def too_long_message(text: str | None, label: str) -> str | None:
    """The message for a text over the limit, or None. Far above any word limit: only pasted or generated
    text reaches it, and what was typed is kept on the page for the writer to shorten."""
    length, limit = len(text or ""), text_max_chars()
    if length <= limit:
        return None
    return (
        f"{label} is too long to save: {length:,} characters, and the limit is {limit:,}. "
        "Nothing was saved. Shorten it and save again; your text is still here."
    )


class WithinTextLimit:
    """WTForms validator: the field's text is at most TEXT_MAX_CHARS characters."""

    def __call__(self, form, field) -> None:
        message = too_long_message(field.data, field.label.text)
        if message:
            raise StopValidation(message)
