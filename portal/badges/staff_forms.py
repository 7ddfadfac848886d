"""Forms of the staff pages of issued credentials: the list's filter and revocation."""

from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.badges.listing import CREDENTIAL_PREFIX, REVOKED, STACK_PREFIX, STATUS_LABELS, VALID, IssuedFilters

DATE_MESSAGE = "Enter a date like 2026-09-30."
REASON_MAX = 500


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


def _id_after(value: str | None, prefix: str) -> int | None:
    if value and value.startswith(prefix) and value[len(prefix):].isdigit():
        return int(value[len(prefix):])
    return None


class IssuedFilterForm(Form):
    """Read from the query string (method="get"): a filter changes nothing, so it carries no CSRF token."""

    credential = SelectField("Credential", default="")
    cohort = SelectField("Cohort", default="")
    issued_from = DateField("Issued on or after", validators=[Optional()])
    issued_to = DateField("Issued on or before", validators=[Optional()])
    status = SelectField(
        "Status", choices=_options([("", "Any status"), (VALID, STATUS_LABELS[VALID]), (REVOKED, "Revoked")]),
        default="",
    )

    def set_choices(self, *, credentials, cohorts) -> None:
        self.credential.choices = _options([("", "Any credential"), *credentials])
        self.cohort.choices = _options([("", "Any cohort"), *cohorts])

    def validate(self, extra_validators=None) -> bool:
        for f in (self.issued_from, self.issued_to):
            if f.raw_data and f.raw_data[0] and f.data is None:
                f.process_errors = [DATE_MESSAGE]  # WTForms' own words ("Not a valid date value.") say less
        ok = super().validate(extra_validators)
        start, end = self.issued_from.data, self.issued_to.data
        if start and end and end < start and not self.issued_to.errors:
            self.issued_to.errors.append("This date is before the first one.")
            ok = False
        return ok

    def filters(self) -> IssuedFilters:
        """The filters that passed validation; a field with an error is left out rather than guessed."""

        def valid(f):
            return f.data if not f.errors else None

        credential = valid(self.credential)
        cohort = valid(self.cohort)
        return IssuedFilters(
            credential_id=_id_after(credential, CREDENTIAL_PREFIX),
            stack_id=_id_after(credential, STACK_PREFIX),
            cohort_id=int(cohort) if cohort and cohort.isdigit() else None,
            issued_from=valid(self.issued_from),
            issued_to=valid(self.issued_to),
            status=valid(self.status) or None,
        )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        description="The earner reads it in their notice, and anyone opening the credential's public page sees it.",
        validators=[
            DataRequired("Say why the credential is revoked."),
            Length(max=REASON_MAX, message=f"Keep the reason to {REASON_MAX} characters."),
        ],
    )
