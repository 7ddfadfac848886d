from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Form, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

ROLE_CHOICES = ("educator", "reviewer", "staff")


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()


class SignUpForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=200)])
    email = EmailField(
        "Email", validators=[DataRequired("Enter your email address."), Email("Enter a valid email address.")]
    )
    organization = StringField(
        "Organization",
        description="Your district, charter network or other organization.",
        validators=[DataRequired("Enter your organization."), Length(max=200)],
    )
    password = PasswordField(
        "Password", description="At least 8 characters. A long phrase is easiest to remember.",
        validators=[DataRequired("Choose a password.")],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField(
        "New password", description="At least 8 characters. Other browsers you are signed in on will be signed out.",
        validators=[DataRequired("Choose a new password.")],
    )


class CreateAccountForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter a name."), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired("Enter an email address."), Email("Enter a valid email.")])
    organization = StringField("Organization", validators=[Length(max=200)])
    password = PasswordField(
        "Temporary password", description="Share it with the person; they can change it after signing in.",
        validators=[DataRequired("Choose a temporary password.")],
    )
    educator = BooleanField("Educator")
    reviewer = BooleanField("Reviewer", default=True)
    staff = BooleanField("Staff")

    def selected_roles(self) -> list[str]:
        return [role for role in ROLE_CHOICES if self[role].data]


ROLE_FILTERS = {"": "Anyone", "educator": "Educators", "reviewer": "Reviewers", "staff": "Staff"}


class PeopleSearchForm(Form):
    """Read from the query string (method="get"): a search changes nothing, so it carries no CSRF token."""

    q = StringField("Name or email contains", validators=[Length(max=200)])
    role = SelectField("Role", choices=[SelectChoice(k, v) for k, v in ROLE_FILTERS.items()], default="")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."),
                             Length(max=254)],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", description="At least 8 characters. A long phrase is easiest to remember.",
        validators=[DataRequired("Choose a new password.")],
    )


class ButtonForm(FlaskForm):
    """A form that is only a button: CSRF protection for a POST that carries no fields."""


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        "New email address", description="We send a link to it; the change happens when you follow that link.",
        validators=[DataRequired("Enter the new address."), Email("Enter a valid email address."), Length(max=254)],
    )
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm.")])


class RolesForm(FlaskForm):
    educator = BooleanField("Educator")
    reviewer = BooleanField("Reviewer")
    staff = BooleanField("Staff")

    def selected_roles(self) -> list[str]:
        return [role for role in ROLE_CHOICES if self[role].data]
