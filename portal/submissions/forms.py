"""The draft form, built from a credential's parts: one sub-form per part, one block per goal."""

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, MultipleFileField, StringField, TextAreaField

from portal.catalog.loader import PartSpec
from portal.submissions.validation import blank_goal


def _goal_form(part: PartSpec) -> type[Form]:
    fields = {"statement": TextAreaField("Goal")}
    fields.update({field.key: TextAreaField(field.label) for field in part.fields})
    return type("GoalForm", (Form,), fields)


def _part_form(part: PartSpec) -> type[Form]:
    fields = {}
    if part.kind == "essay":
        fields["text"] = TextAreaField(part.title)
    if part.kind == "plan":
        fields["goals"] = FieldList(FormField(_goal_form(part)), min_entries=0)
    if part.accepts_artifacts:
        fields["files"] = MultipleFileField("Add files")
    return type("PartForm", (Form,), fields)


def make_draft_form(parts: list[PartSpec], *, formdata=None, answers=None, revision=None) -> FlaskForm:
    """The form for a draft. Without formdata it shows the saved answers, with at least min_goals goal blocks."""
    attrs = {"revision": HiddenField(), "action": StringField()}
    attrs.update({part.key: FormField(_part_form(part)) for part in parts})
    form_class = type("DraftForm", (FlaskForm,), attrs)
    data = None if formdata else {"revision": revision, **_form_data(parts, answers or {})}
    return form_class(formdata=formdata, data=data)


def _form_data(parts: list[PartSpec], answers: dict) -> dict:
    data = {}
    for part in parts:
        answer = answers.get(part.key) or {}
        if part.kind == "essay":
            data[part.key] = {"text": answer.get("text", "")}
        elif part.kind == "plan":
            goals = list(answer.get("goals") or [])
            goals += [blank_goal(part) for _ in range(part.min_goals - len(goals))]
            data[part.key] = {"goals": goals}
    return data


def answers_from_form(form, parts: list[PartSpec]) -> dict:
    """Plain answers from a draft form: nothing typed is dropped, not even an empty goal block."""
    answers = {}
    for part in parts:
        sub = form[part.key]
        if part.kind == "essay":
            answers[part.key] = {"text": sub.text.data or ""}
        elif part.kind == "plan":
            keys = list(blank_goal(part))
            answers[part.key] = {"goals": [{k: entry[k].data or "" for k in keys} for entry in sub.goals]}
    return answers


def apply_goal_action(action: str, parts: list[PartSpec], answers: dict) -> str | None:
    """Add or remove a goal block ("add-goal:plan", "remove-goal:plan:2"). Returns the id to show next."""
    verb, _, target = (action or "").partition(":")
    part_key, _, index = target.partition(":")
    part = next((p for p in parts if p.key == part_key and p.kind == "plan"), None)
    if part is None or verb not in ("add-goal", "remove-goal"):
        return None
    goals = answers[part.key]["goals"]
    if verb == "add-goal":
        goals.append(blank_goal(part))
        return f"{part.key}-goal-{len(goals) - 1}"
    if index.isdigit() and int(index) < len(goals):
        goals.pop(int(index))
    return f"{part.key}-goals"


def goal_to_confirm(action: str, parts: list[PartSpec], answers: dict) -> tuple[str, int] | None:
    """(part key, goal index) when the action removes a goal with something written in it: that asks first.
    An empty goal block goes at once; nothing typed is lost by it."""
    verb, _, target = (action or "").partition(":")
    part_key, _, index = target.partition(":")
    if verb != "remove-goal" or not index.isdigit():
        return None
    goals = (answers.get(part_key) or {}).get("goals") or []
    position = int(index)
    if position >= len(goals) or not any(str(value).strip() for value in goals[position].values()):
        return None
    return part_key, position


def base_revision(form) -> int:
    try:
        return int(form.revision.data)
    except (TypeError, ValueError):
        return -1  # a save without a revision can only conflict, never overwrite


class RemoveGoalForm(FlaskForm):
    """The confirmation of removing a goal: the draft's revision the author saw, so a newer save wins."""

    revision = HiddenField()


class ConfirmForm(FlaskForm):
    """A bare form for buttons that need only CSRF protection (start, withdraw, remove a file)."""
