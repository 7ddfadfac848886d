"""Self-reported fields: their definitions (data, seeded with defaults) and each educator's answers."""

from sqlalchemy import delete, select

from portal import audit
from portal.cohorts.models import ProfileAnswer, ProfileField
from portal.extensions import db

PREFER_NOT = "Prefer not to say"

# key, label, hint, choices. Every field is optional and offers PREFER_NOT, so nobody has to answer.
DEFAULT_FIELDS = [
    ("role_group", "Role", "The kind of work you lead in your district.", [
        "District technology leader", "Academic or curriculum leader", "Equity and inclusion leader",
        "Superintendent or cabinet member", "School leader", "Teacher or instructional coach", "Other",
    ]),
    ("school_level", "School level", "The grades your work mostly serves.", [
        "Elementary", "Middle", "High", "District-wide (all levels)",
    ]),
    ("locale", "Locale", "The kind of community your district serves.", ["City", "Suburban", "Town", "Rural"]),
    ("race_ethnicity", "Race or ethnicity", "Choose the answer that describes you best.", [
        "American Indian or Alaska Native", "Asian", "Black or African American", "Hispanic or Latino/a/x",
        "Middle Eastern or North African", "Native Hawaiian or Pacific Islander", "White", "Two or more races",
        "A race or ethnicity not listed",
    ]),
    ("gender", "Gender", "", ["Woman", "Man", "Non-binary", "A gender not listed"]),
]


class ProfileError(ValueError):
    """An answer that is not one of its field's choices; .field is the field's key."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def seed_profile_fields() -> list[str]:
    """Create the default fields that do not exist yet (matched by key); never changes existing ones.
    Returns the keys created. Safe to run again."""
    existing = set(db.session.scalars(select(ProfileField.key)))
    created = []
    for position, (key, label, hint, choices) in enumerate(DEFAULT_FIELDS, start=1):
        if key not in existing:
            db.session.add(ProfileField(key=key, label=label, hint=hint, choices=[*choices, PREFER_NOT],
                                        position=position))
            created.append(key)
    db.session.flush()
    return created


def active_fields() -> list[ProfileField]:
    return list(db.session.scalars(
        select(ProfileField).where(ProfileField.is_active.is_(True)).order_by(ProfileField.position, ProfileField.id)
    ))


def answers_of(user) -> dict[str, str]:
    """The user's answers by field key."""
    rows = db.session.execute(
        select(ProfileField.key, ProfileAnswer.value).join(ProfileAnswer.field).where(ProfileAnswer.user_id == user.id)
    )
    return dict(rows.all())


def matching_choice(field: ProfileField, value: str) -> str | None:
    """The field's choice that value names (ignoring case and spacing), or None."""
    wanted = " ".join(value.split()).casefold()
    return next((choice for choice in field.choices if choice.casefold() == wanted), None)


def save_answers(*, user, answers: dict[str, str | None]) -> list[str]:
    """Set, change or clear (blank or None) the user's answers to the active fields named in answers.
    Raises ProfileError for a value that is not a choice, changing nothing. Returns the keys that changed.
    The audit entry names the fields, never the answers."""
    fields = {field.key: field for field in active_fields()}
    mine = db.session.scalars(select(ProfileAnswer).where(ProfileAnswer.user_id == user.id))
    current = {answer.field.key: answer for answer in mine}
    wanted = {}
    for key, value in answers.items():
        if key not in fields:
            continue
        choice = matching_choice(fields[key], value) if value and value.strip() else None
        if value and value.strip() and choice is None:
            raise ProfileError(f"Choose one of the answers listed for “{fields[key].label}”.", key)
        wanted[key] = choice
    changed = [key for key, choice in wanted.items() if _apply(user, fields[key], current.get(key), choice)]
    if changed:
        db.session.flush()
        audit.record("profile.answers", actor=user, subject=user, fields=changed)
    return changed


def _apply(user, field: ProfileField, answer: ProfileAnswer | None, choice: str | None) -> bool:
    if answer is not None and choice is None:
        db.session.execute(delete(ProfileAnswer).where(ProfileAnswer.id == answer.id))
        return True
    if answer is None and choice is not None:
        db.session.add(ProfileAnswer(user_id=user.id, field_id=field.id, value=choice))
        return True
    if answer is not None and answer.value != choice:
        answer.value = choice
        return True
    return False
