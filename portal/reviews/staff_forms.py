"""Forms of the staff review pages: the submissions filter, assigning, adjudicating and the reviewer profile."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from portal.catalog.loader import PartSpec
from portal.reviews.models import Result
from portal.reviews.submission_list import SubmissionFilters
from portal.selects import ListedSelectField, OptionList
from portal.submissions.models import State

CAPACITY_MESSAGE = "Enter a whole number from 0 to 50."
SEARCH_MAX = 100
MAX_CAPACITY = 50


def _optional_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


STATE_OPTIONS = OptionList([("", "Any state")] + [(s.value, s.label) for s in State])


def credential_options(credentials) -> OptionList:
    return OptionList([("", "Any credential"), *credentials])


def reviewer_options(reviewers) -> OptionList:
    return OptionList([("", "Anyone"), *reviewers])


class SubmissionFilterForm(Form):
    """Read from the query string (method="get"): a filter changes nothing, so it carries no CSRF token. The
    credential and reviewer options come rendered (see set_options): the same for every staff member, they are
    cached until a stack is loaded or the reviewers change."""

    q = SearchField(
        "Educator or submission number",
        validators=[Length(max=SEARCH_MAX, message=f"Search for at most {SEARCH_MAX} characters.")],
        filters=[lambda value: value.strip() if value else value],
    )
    state = ListedSelectField("State", options=STATE_OPTIONS, default="")
    credential = ListedSelectField("Credential", default="")
    reviewer = ListedSelectField("Reviewer", default="")
    overdue = BooleanField("Overdue only")
    waiting = BooleanField("Waiting for a reviewer only")

    def set_options(self, *, credentials: OptionList, reviewers: OptionList) -> None:
        self.credential.options, self.reviewer.options = credentials, reviewers

    def filters(self) -> SubmissionFilters:
        """The filters that passed validation; a field with an error is left out rather than guessed."""

        def valid(f):
            return f.data if not f.errors else None

        return SubmissionFilters(
            state=valid(self.state) or None,
            credential_id=_optional_int(valid(self.credential)),
            reviewer_id=_optional_int(valid(self.reviewer)),
            overdue_only=bool(self.overdue.data),
            waiting_only=bool(self.waiting.data),
            search=valid(self.q) or None,
        )


class AssignForm(FlaskForm):
    reviewer = SelectField("Reviewer", validators=[InputRequired("Choose a reviewer.")])

    def set_choices(self, options) -> None:
        self.reviewer.choices = _options([("", "Choose a reviewer")] + [(o.user_id, o.label) for o in options])

    @property
    def reviewer_id(self) -> int | None:
        return _optional_int(self.reviewer.data)


class ReassignForm(FlaskForm):
    """Without a reviewer (the one-click button) the assignment goes to the next eligible reviewer."""

    reviewer = SelectField("Give it to", default="")

    def set_choices(self, options) -> None:
        self.reviewer.choices = _options([("", "The next eligible reviewer")] + [(o.user_id, o.label) for o in options])

    @property
    def reviewer_id(self) -> int | None:
        return _optional_int(self.reviewer.data)


class _WholeNumberField(IntegerField):
    """An integer field whose "not a number" message is the field's own, said once."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(CAPACITY_MESSAGE) from error

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the range check would repeat the same message


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReviewerForm(FlaskForm):
    is_active = BooleanField("Active: may receive new assignments")
    capacity = _WholeNumberField(
        "Capacity",
        description="The most open assignments routing gives this reviewer at once (0 to 50).",
        validators=[InputRequired(CAPACITY_MESSAGE), NumberRange(0, MAX_CAPACITY, CAPACITY_MESSAGE)],
    )
    stacks = MultiCheckboxField("Qualified for", coerce=int)

    def set_choices(self, stacks) -> None:
        self.stacks.choices = _options((s.id, s.title) for s in stacks)


class AvailabilityForm(FlaskForm):
    """The one-click pause / resume button of the reviewer table."""

    user_id = HiddenField(validators=[InputRequired()])
    action = HiddenField(validators=[AnyOf(["pause", "resume"])])

    @property
    def target_id(self) -> int | None:
        return _optional_int(self.user_id.data)


RESULT_CHOICES = _options((r.value, r.label) for r in Result)
RESULT_VALUES = {choice.value for choice in RESULT_CHOICES}
PART_PREFIX = "part_"


def make_adjudication_form(parts: list[PartSpec]) -> FlaskForm:
    """One Yes / Not yet choice and one feedback box per part. Completeness is checked by the service
    (check_results), whose messages are then shown next to each part."""
    part_form = type(
        "PartDecision",
        (Form,),
        {
            "result": RadioField("Result", choices=RESULT_CHOICES, validate_choice=False),
            "feedback": TextAreaField("Feedback for the educator"),
        },
    )
    attrs = {PART_PREFIX + part.key: FormField(part_form, label=part.title) for part in parts}
    form_class = type("AdjudicationForm", (FlaskForm,), attrs)
    form = form_class()
    form.part_keys = [part.key for part in parts]
    return form


def adjudication_entries(form) -> dict[str, tuple[str | None, str]]:
    return {
        key: (form[PART_PREFIX + key].result.data or None, form[PART_PREFIX + key].feedback.data or "")
        for key in form.part_keys
    }


def show_problems(form, problems) -> None:
    """Put each problem next to its part: on the choice when none was made, on the feedback otherwise."""
    chosen = adjudication_entries(form)
    for problem in problems:
        sub = form[PART_PREFIX + problem.part_key]
        target = sub.feedback if chosen[problem.part_key][0] in RESULT_VALUES else sub.result
        target.errors = [*target.errors, problem.message]
