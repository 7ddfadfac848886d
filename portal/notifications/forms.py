from flask_wtf import FlaskForm
from wtforms import HiddenField


class MarkAllReadForm(FlaskForm):
    """The "Mark all as read" button; next is the page to return to (checked to be on this site)."""

    next = HiddenField()


class OpenNoticeForm(FlaskForm):
    """The button that opens a notice: only CSRF, since opening it marks it read."""
