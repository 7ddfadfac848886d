"""The scoring form, built from the parts of the version under review: a result and feedback per part."""

from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.catalog.loader import PartSpec
from portal.limits import WithinTextLimit
from portal.reviews.models import Result

RESULT_CHOICES = [SelectChoice(Result.YES.value, "Yes"), SelectChoice(Result.NOT_YET.value, "Not yet")]


@lru_cache(maxsize=256)
def _results_form_class(part_keys: tuple[str, ...]) -> type[FlaskForm]:
    # Building a form class is costly and the parts of a requirements version never change: build it once.
    # Two flat fields per part (no nested form per part: that costs a form object per part on every post).
    attrs = {"action": StringField()}
    for key in part_keys:
        attrs[f"{key}-result"] = RadioField("Result", choices=RESULT_CHOICES, validate_choice=False)
        attrs[f"{key}-feedback"] = TextAreaField("Feedback")
    return type("ResultsForm", (FlaskForm,), attrs)


def make_results_form(parts: list[PartSpec], *, formdata) -> FlaskForm:
    """The posted results, checked (the CSRF token) and read. The page itself is drawn without a form object,
    with the same field names: `<part key>-result` and `<part key>-feedback`."""
    return _results_form_class(tuple(part.key for part in parts))(formdata=formdata)


def entries_from_form(form, parts: list[PartSpec]) -> dict[str, tuple[str | None, str]]:
    return {part.key: (form[f"{part.key}-result"].data or None, form[f"{part.key}-feedback"].data or "")
            for part in parts}


def posted_entries(parts: list[PartSpec], formdata) -> dict[str, tuple[str | None, str]]:
    """entries_from_form without the form object, for the save button (pressed most; the form costs more than
    the rest of the save): the same values. The CSRF token of every POST is checked before any view runs
    (CSRFProtect), and the service checks what is stored."""
    return {part.key: (formdata.get(f"{part.key}-result") or None, formdata.get(f"{part.key}-feedback") or "")
            for part in parts}


def posted_action(formdata) -> str:
    """Which of the scoring page's buttons was pressed, before the parts are known (each action reads the
    assignment its own way); make_results_form then reads the same field with the rest."""
    return formdata.get("action", "")


DECLINE_REASONS = {
    "conflict": "I have a conflict of interest",
    "no_time": "I do not have time to review it by the due date",
    "other": "Another reason",
}


DECLINE_REASON_LABEL = "Why are you declining?"
DECLINE_NOTE_LABEL = "Anything staff should know (optional)"


class DeclineForm(FlaskForm):
    """Posted from the scoring page, whose template draws these fields by hand (it is always blank there)."""

    reason = SelectField(DECLINE_REASON_LABEL, choices=[SelectChoice(k, v) for k, v in DECLINE_REASONS.items()],
                         validators=[DataRequired("Choose a reason.")])
    note = TextAreaField(DECLINE_NOTE_LABEL, validators=[WithinTextLimit()])
    confirmed = HiddenField()  # "yes" once the reviewer has seen the confirmation step

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"

    def reason_text(self) -> str:
        label = DECLINE_REASONS[self.reason.data]
        return f"{label}. {self.note.data.strip()}".strip() if self.note.data else label
