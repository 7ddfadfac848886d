"""Forms of the cohort pages. Choices that come from the database are filled in by the view."""

from dataclasses import dataclass

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.cohorts.matrix import CELL_LABELS, CELL_STATES, SORTS, MatrixQuery
from portal.selects import OptionList


def options(pairs) -> list[SelectChoice]:
    """Choices from (value, label) pairs."""
    return [SelectChoice("" if value is None else str(value), label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the cohort's name."), Length(max=200)])
    program = StringField(
        "Program", description="For example: Data Equity Cohort.", validators=[Optional(), Length(max=200)]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    starts_on = DateField("Start date", validators=[Optional()])
    ends_on = DateField("End date", validators=[Optional()])
    stack_id = SelectField("Stack", coerce=int, validators=[DataRequired("Choose a stack.")])
    credential_ids = CheckboxesField(
        "Credentials", coerce=int, description="Leave all unticked to work toward the whole stack.",
    )


class MilestoneForm(FlaskForm):
    title = StringField(
        "Milestone", description="For example: Credentials 1 and 2 earned.",
        validators=[DataRequired("Name the milestone."), Length(max=200)],
    )
    due_on = DateField("Target date", validators=[DataRequired("Enter the target date.")])
    credential_ids = CheckboxesField("Credentials to have earned by then", coerce=int)


class RosterUploadForm(FlaskForm):
    file = FileField(
        "Roster file (CSV)",
        description="Columns: email, name, organization, role, and optionally the self-reported field keys.",
        validators=[FileRequired("Choose a CSV file.")],
    )
    create_organizations = BooleanField("Create new organizations for names not in the portal yet")


class ConfirmForm(FlaskForm):
    """A button that posts: CSRF only."""


class AddMemberForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email address."), Email("Enter a valid email.")])
    name = StringField("Full name", validators=[DataRequired("Enter a name."), Length(max=200)])
    organization = StringField("Organization", validators=[DataRequired("Enter an organization."), Length(max=200)])
    role = StringField("Role in the district", validators=[Optional(), Length(max=200)])
    create_organization = BooleanField("Create the organization if it is not in the portal yet")


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "Choose a password", description="At least 8 characters. A long phrase is easiest to remember.",
        validators=[DataRequired("Choose a password.")],
    )


def make_profile_form(fields, answers: dict) -> FlaskForm:
    """One select per self-reported field, showing the saved answers; the blank choice clears an answer."""
    attrs = {
        f.key: SelectField(
            f.label, description=f.hint, choices=options([("", "No answer")] + [(c, c) for c in f.choices]),
            validators=[Optional()],
        )
        for f in fields
    }
    form_class = type("ProfileForm", (FlaskForm,), attrs)
    return form_class(data=answers)


def make_cohort_form(cohort, stacks) -> CohortForm:
    """The cohort form; on an existing cohort that works toward its whole stack, no credential is ticked."""
    form = CohortForm(obj=cohort)
    form.stack_id.choices = options((s.id, s.title) for s in stacks)
    form.credential_ids.choices = options((c.id, f"{c.position}. {c.title}") for s in stacks for c in s.credentials)
    if cohort and not form.is_submitted():
        chosen = [c.id for c in cohort.credentials]
        form.credential_ids.data = [] if len(chosen) == len(cohort.stack.credentials) else chosen
    return form


def make_milestone_form(cohort, milestone) -> MilestoneForm:
    form = MilestoneForm(obj=milestone)
    form.credential_ids.choices = options((c.id, f"{c.position}. {c.title}") for c in cohort.credentials)
    if milestone and not form.is_submitted():
        form.credential_ids.data = [c.id for c in milestone.credentials]
    return form


@dataclass(frozen=True)
class MatrixFilter:
    """The matrix's query arguments (a GET form: no CSRF, works without JavaScript), read as WTForms read them
    before: the value each select shows chosen, the query they make, and the page number."""

    chosen: dict[str, str | None]  # select name -> the value of its chosen option (None: none chosen)
    query: MatrixQuery
    page: int


STATE_OPTIONS = OptionList([("", "Any state")] + [(s, CELL_LABELS[s]) for s in CELL_STATES])
SORT_OPTIONS = OptionList((s, s.capitalize()) for s in SORTS)
ORDER_OPTIONS = OptionList([("asc", "Ascending"), ("desc", "Descending")])


def _number(value: str | None) -> int | None:
    """An id or a page number; blank or not a number: None."""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def read_matrix_filter(args, credential_ids) -> MatrixFilter:
    """The matrix filter from query arguments; anything unknown falls back to "all", sorted by name, page 1."""
    organization, credential = _number(args.get("organization")), _number(args.get("credential"))
    state, sort, order = args.get("state"), args.get("sort"), args.get("order")
    query = MatrixQuery(
        organization_id=organization,
        state=state if state in CELL_STATES else None,
        credential_id=credential if credential in credential_ids else None,
        sort=sort if sort in SORTS else "name",
        descending=order == "desc",
    )
    chosen = {
        "organization": "" if organization is None else str(organization), "state": state,
        "credential": "" if credential is None else str(credential), "sort": sort, "order": order,
    }
    return MatrixFilter(chosen, query, _number(args.get("page")) or 1)
