"""The earner's share panel forms: each is a button, with CSRF and the page to come back to."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf


class ShareForm(FlaskForm):
    """Buttons that need only CSRF and a way back (copy link, add to LinkedIn)."""

    next = HiddenField()
    # Set to "1" by the page's script once the link is on the clipboard, so the message can say so.
    copied = HiddenField()


class VisibilityForm(ShareForm):
    public = HiddenField(validators=[AnyOf(["0", "1"])])
