import json

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import CombinedMultiDict

from portal import permissions
from portal.badges import sharing
from portal.catalog.services import get_credential_or_404
from portal.extensions import db
from portal.limits import too_long_message
from portal.permissions import signed_in_user
from portal.request_guard import UNSTORABLE_MESSAGE, has_unstorable
from portal.reviews import services as reviews
from portal.submissions import services, uploads
from portal.submissions.downloads import send_artifact
from portal.submissions.forms import (
    ConfirmForm,
    RemoveGoalForm,
    answers_from_form,
    apply_goal_action,
    base_revision,
    goal_to_confirm,
    make_draft_form,
)
from portal.submissions.models import Artifact, State, Submission
from portal.submissions.validation import word_limit_problems
from portal.text import count_words, render_markdown

bp = Blueprint("submissions", __name__)


def _load_submission(submission_id: int) -> Submission:
    submission = db.get_or_404(Submission, submission_id)
    if not permissions.can_view_submission(current_user, submission):
        abort(404)
    return submission


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/my")
@login_required
def dashboard():
    return render_template("submissions/dashboard.html", submissions=services.list_dashboard(current_user))


@bp.post("/stacks/<stack_slug>/<credential_slug>/start")
@login_required
def start(stack_slug: str, credential_slug: str):
    credential = get_credential_or_404(stack_slug, credential_slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        submission, carried = services.start_or_restart(educator=signed_in_user(), credential=credential)
    except services.SubmissionError as error:
        flash(str(error), "error")
        return redirect(url_for("catalog.credential", stack_slug=stack_slug, credential_slug=credential_slug))
    db.session.commit()
    if carried and carried.sentence():
        flash(carried.sentence(), "info")
    return redirect(url_for("submissions.edit", submission_id=submission.id))


@bp.get("/submissions/<int:submission_id>")
@login_required
def edit(submission_id: int):
    submission = _load_submission(submission_id)
    if not permissions.can_edit_submission(current_user, submission):
        number = submission.current_version.number
        return redirect(url_for("submissions.version", submission_id=submission.id, number=number))
    return _edit_page(submission)


def _edit_page(submission: Submission, form=None, *, status: int = 200, **context):
    """The draft page: the saved answers unless a form with what was just typed is given."""
    version = submission.current_version
    parts = version.requirements.parts
    form = form or make_draft_form(parts, answers=version.answers, revision=version.revision)
    context.setdefault("warnings", word_limit_problems(parts, version.answers))
    page = render_template(
        "submissions/edit.html", submission=submission, form=form, earlier=_earlier_review(submission), **context
    )
    return page, status


def _earlier_review(submission: Submission):
    """The review of the previous version, shown beside each part while revising."""
    if len(submission.versions) < 2:
        return None
    return reviews.deciding_review(submission.versions[-2])


@bp.post("/submissions/<int:submission_id>/save")
@login_required
def save(submission_id: int):
    submission = _load_submission(submission_id)
    if not permissions.can_edit_submission(current_user, submission):
        return _refuse_edit(submission)
    parts = submission.current_version.requirements.parts
    form = make_draft_form(parts, formdata=CombinedMultiDict([request.form, request.files]))
    answers = answers_from_form(form, parts)
    confirm_goal = goal_to_confirm(form.action.data, parts, answers)
    focus = None if confirm_goal else apply_goal_action(form.action.data, parts, answers)
    try:
        warnings = services.save_draft(
            educator=signed_in_user(), submission=submission, answers=answers, base_revision=base_revision(form)
        )
    except services.EditConflict as conflict:
        db.session.rollback()
        return _conflict(submission, form, conflict.version)
    except services.TooLong as too_long:
        db.session.rollback()
        return _too_long(submission, form, too_long.problems)
    if _wants_json():
        db.session.commit()
        return jsonify(_saved_summary(submission, warnings))
    file_errors = _attach_files(submission, form, parts)
    _remove_file(submission, form.action.data)
    db.session.commit()
    if file_errors or form.action.data == "submit":
        return _submit_or_show(submission, file_errors)
    if confirm_goal:
        part_key, index = confirm_goal
        return redirect(url_for("submissions.remove_goal", submission_id=submission.id, part_key=part_key,
                                number=index + 1))
    flash("Draft saved.", "success")
    anchor = f"#{focus}" if focus else ""
    return redirect(url_for("submissions.edit", submission_id=submission.id) + anchor)


@bp.route("/submissions/<int:submission_id>/goals/<part_key>/<int:number>/remove", methods=["GET", "POST"])
@login_required
def remove_goal(submission_id: int, part_key: str, number: int):
    """Removing a goal with something written in it asks first (the draft was saved on the way here)."""
    submission = _load_submission(submission_id)
    if not permissions.can_edit_submission(current_user, submission):
        return _refuse_edit(submission)
    version = submission.current_version
    part = next((p for p in version.requirements.parts if p.key == part_key and p.kind == "plan"), None)
    goals = (version.answers.get(part_key) or {}).get("goals") or [] if part else []
    if not 1 <= number <= len(goals):
        abort(404)
    back = url_for("submissions.edit", submission_id=submission.id) + f"#{part_key}-goal-{number - 1}"
    form = RemoveGoalForm(revision=version.revision)
    if form.validate_on_submit():
        try:
            services.remove_goal(educator=signed_in_user(), submission=submission, part_key=part_key,
                                 index=number - 1, base_revision=base_revision(form))
        except services.EditConflict:
            db.session.rollback()
            flash("The draft changed since you asked to remove the goal, so nothing was removed. Look again.", "error")
            return redirect(back)
        db.session.commit()
        flash(f"Goal {number} removed.", "success")
        return redirect(url_for("submissions.edit", submission_id=submission.id) + f"#{part_key}-goals")
    return render_template("submissions/remove_goal.html", submission=submission, part=part, goal=goals[number - 1],
                           number=number, form=form, back=back)


def _refuse_edit(submission: Submission):
    message = "This version has been submitted and can no longer be changed."
    if _wants_json():
        return jsonify(error=message), 409
    flash(message, "error")
    return redirect(url_for("submissions.edit", submission_id=submission.id))


def _saved_summary(submission: Submission, warnings) -> dict:
    version = submission.current_version
    return {
        "revision": version.revision,
        "saved_at": version.saved_at.isoformat() + "Z",
        "words": {
            key: count_words(answer.get("text", "")) for key, answer in version.answers.items() if "text" in answer
        },
        "warnings": [{"field": w.field_id, "message": w.message} for w in warnings],
    }


def _conflict(submission: Submission, form, saved_version):
    """Keep what this tab typed on the page, explain, and let the author choose; nothing is overwritten."""
    message = (
        "This draft was saved from another tab or window after you opened this page, so your changes here "
        "were not saved. Your text is still below. Compare it with the saved text, then choose “Save draft” to keep "
        "yours, or reload the page to continue with the saved one."
    )
    if _wants_json():
        short = ("This draft was changed in another tab or window, so your latest changes here were not saved. "
                 "Your text is still on this page. Keep your version, or load the saved one.")
        return jsonify(error=short, conflict=True, revision=saved_version.revision), 409
    form.revision.data = saved_version.revision
    return _edit_page(submission, form, status=409, conflict=message, saved=saved_version, warnings=[])


def _too_long(submission: Submission, form, problems):
    """Nothing was saved: say which field is over the limit, beside it, and keep every text typed."""
    if _wants_json():
        fields = [{"field": p.field_id, "message": p.message} for p in problems]
        return jsonify(error=problems[0].message, problems=fields), 422
    return _edit_page(submission, form, status=422, problems=problems, warnings=[], not_saved=True)


def _attach_files(submission: Submission, form, parts) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for part in parts:
        if not part.accepts_artifacts:
            continue
        for file in form[part.key].files.data or []:
            if not getattr(file, "filename", ""):
                continue
            try:
                services.add_artifact(
                    educator=signed_in_user(), submission=submission, part_key=part.key, stream=file.stream,
                    filename=file.filename, config=current_app.config,
                )
            except uploads.UploadRejected as error:
                errors.setdefault(f"{part.key}-files", []).append(str(error))
    return errors


def _remove_file(submission: Submission, action: str | None) -> None:
    verb, _, artifact_id = (action or "").partition(":")
    if verb != "remove-file" or not artifact_id.isdigit():
        return
    artifact = _load_artifact(submission, int(artifact_id))
    services.remove_artifact(
        educator=signed_in_user(), submission=submission, artifact=artifact,
        upload_folder=current_app.config["UPLOAD_FOLDER"],
    )
    flash(f"Removed “{artifact.original_name}”.", "success")


def _submit_or_show(submission: Submission, file_errors):
    """Submit when the files went in; otherwise, or when something is missing, show every problem at once."""
    problems = []
    if not file_errors:
        try:
            version = services.submit(educator=signed_in_user(), submission=submission)
            reviews.route_submitted(version, actor=signed_in_user())
        except services.NotReady as not_ready:
            problems = not_ready.problems
        except services.SubmissionError as error:
            flash(str(error), "error")
            return redirect(url_for("submissions.edit", submission_id=submission.id))
        else:
            db.session.commit()
            flash(f"Submitted. “{submission.credential.title}” is now waiting for a reviewer.", "success")
            return redirect(url_for("submissions.version", submission_id=submission.id, number=version.number))
    return _edit_page(submission, status=422, problems=problems, file_errors=file_errors)


@bp.post("/submissions/<int:submission_id>/withdraw")
@login_required
def withdraw(submission_id: int):
    submission = _load_submission(submission_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        version = services.withdraw(educator=signed_in_user(), submission=submission)
        reviews.release_for_withdrawal(version, actor=signed_in_user())
    except services.SubmissionError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Your submission was withdrawn. You can start again from the credential page; your text and files "
              "are kept and carried into the new draft.", "success")
    return redirect(url_for("submissions.version", submission_id=submission.id,
                            number=submission.current_version.number))


@bp.get("/submissions/<int:submission_id>/versions/<int:number>")
@login_required
def version(submission_id: int, number: int):
    submission = _load_submission(submission_id)
    version = next((v for v in submission.versions if v.number == number), None)
    if version is None:
        abort(404)
    review = reviews.deciding_review(version)
    issued = sharing.issued_for_version(version) if version.state == State.EARNED else None
    share = None
    if issued is not None and permissions.can_share_credential(current_user, issued):
        back = url_for("submissions.version", submission_id=submission.id, number=number)
        share = sharing.share_context(issued, back)
    page = render_template("submissions/version.html", submission=submission, version=version, review=review,
                           issued=issued, share=share)
    return page, ({"Content-Security-Policy": sharing.SHARE_PAGE_POLICY} if share else {})


@bp.post("/submissions/<int:submission_id>/revise")
@login_required
def revise(submission_id: int):
    submission = _load_submission(submission_id)
    if not ConfirmForm().validate_on_submit() or submission.educator_id != current_user.id:
        abort(404)
    try:
        carried = services.revise(educator=signed_in_user(), submission=submission)
    except services.SubmissionError as error:
        flash(str(error), "error")
        return redirect(url_for("submissions.edit", submission_id=submission.id))
    db.session.commit()
    flash("A new version is open. The reviewer's feedback is shown beside each part.", "success")
    if carried.sentence():
        flash(carried.sentence(), "info")
    return redirect(url_for("submissions.edit", submission_id=submission.id))


def _load_artifact(submission: Submission, artifact_id: int) -> Artifact:
    artifact = db.get_or_404(Artifact, artifact_id)
    if artifact.version.submission_id != submission.id:
        abort(404)
    return artifact


@bp.get("/submissions/<int:submission_id>/files/<int:artifact_id>")
@login_required
def download(submission_id: int, artifact_id: int):
    return send_artifact(_load_artifact(_load_submission(submission_id), artifact_id))


PREVIEW_BAD_REQUEST = 'The preview expects JSON of the form {"text": "…"}.'


@bp.post("/preview")
@login_required
def preview():
    """Render a draft's text as it will be shown; the body was already held to MAX_BODY_BYTES."""
    try:
        payload = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        return jsonify(error=PREVIEW_BAD_REQUEST), 400
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return jsonify(error=PREVIEW_BAD_REQUEST), 400
    if has_unstorable(text):
        return jsonify(error=UNSTORABLE_MESSAGE), 400
    if message := too_long_message(text, "This text"):
        return jsonify(error=message), 422
    return jsonify(html=str(render_markdown(text)), words=count_words(text))
