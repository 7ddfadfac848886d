"""Forms of the two-step sign-in and of the sign-in methods page."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class TwoStepForm(FlaskForm):
    code = StringField(
        "Code", description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        validators=[DataRequired("Enter the code from your authenticator app."), Length(max=32)],
    )


class ConfirmAppForm(FlaskForm):
    code = StringField(
        "Code from the app", description="The 6-digit code the app shows for this portal.",
        validators=[DataRequired("Enter the 6-digit code the app shows."), Length(max=32)],
    )
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes something: carries only the CSRF token."""
