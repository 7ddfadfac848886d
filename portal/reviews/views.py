from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.audit import utcnow
from portal.catalog.cached import requirements_view
from portal.catalog.models import Credential
from portal.extensions import db
from portal.permissions import can_review, require_reviewer, signed_in_user
from portal.reviews import queue as reviewer_queue
from portal.reviews import scoring, services
from portal.reviews.changes import earlier_round_of
from portal.reviews.forms import (
    DECLINE_NOTE_LABEL,
    DECLINE_REASON_LABEL,
    DECLINE_REASONS,
    RESULT_CHOICES,
    DeclineForm,
    entries_from_form,
    make_results_form,
    posted_action,
    posted_entries,
)
from portal.reviews.models import Assignment, Review
from portal.submissions.downloads import send_artifact
from portal.submissions.forms import ConfirmForm
from portal.submissions.models import Artifact, Submission, Version
from portal.templating import url_pattern

bp = Blueprint("reviews", __name__, url_prefix="/review")


# Checking and confirming work on the objects, built once: one query, the review's results joined.
SCORING_POST = select(Assignment).where(Assignment.id == bindparam("assignment_id")).options(
    joinedload(Assignment.version).joinedload(Version.submission).joinedload(Submission.credential)
    .joinedload(Credential.stack),
    joinedload(Assignment.review).joinedload(Review.results),
)
PLAIN = select(Assignment).where(Assignment.id == bindparam("assignment_id"))


def _load_assignment(assignment_id: int, query=PLAIN) -> Assignment:
    assignment = db.session.execute(query, {"assignment_id": assignment_id}).unique().scalar_one_or_none()
    if assignment is None or not can_review(current_user, assignment):
        abort(404)
    return assignment


@bp.get("")
@require_reviewer
def queue():
    me = signed_in_user()
    href = url_pattern("reviews.score", "assignment_id")
    return render_template(
        "reviews/queue.html", open_rows=reviewer_queue.open_rows(me.id, now=utcnow(), href=href),
        closed_rows=reviewer_queue.closed_rows(me.id, href=href), profile=reviewer_queue.availability(me.id),
    )


@bp.post("/availability")
@require_reviewer
def availability():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    pause = request.args.get("pause") == "1"
    services.set_availability(reviewer=signed_in_user(), is_active=not pause)
    db.session.commit()
    flash("You are paused: no new submissions will be assigned to you." if pause
          else "Welcome back: new submissions can be assigned to you again.", "success")
    return redirect(url_for("reviews.queue"))


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@require_reviewer
def score(assignment_id: int):
    if request.method == "GET":
        return _score_page(_load_page(assignment_id))
    if posted_action(request.form) == "save":
        return _save(assignment_id)
    assignment = _load_assignment(assignment_id, SCORING_POST)
    parts = assignment.version.requirements.parts
    form = make_results_form(parts, formdata=request.form)
    entries = entries_from_form(form, parts)
    if form.validate_on_submit():
        return _record(assignment, form, entries)
    return _score_page(_load_page(assignment_id), entries)


def _load_page(assignment_id: int) -> scoring.ScoringPage:
    page = scoring.load(assignment_id)
    if page is None or not can_review(current_user, page):
        abort(404)
    return page


def _save(assignment_id: int):
    """Save for later, the button pressed most: plain statements, no objects (services.save_results)."""
    target = services.lock_review_target(assignment_id)
    if target is None or not can_review(current_user, target):
        abort(404)
    parts = requirements_view(target.requirements_id).parts
    entries = posted_entries(parts, request.form)
    try:
        services.save_results(reviewer=signed_in_user(), target=target, parts=parts, entries=entries)
    except services.ResultsIncomplete as incomplete:
        db.session.rollback()  # nothing was stored
        return _score_page(_load_page(assignment_id), entries, problems=incomplete.problems)
    except services.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("reviews.score", assignment_id=assignment_id))
    db.session.commit()
    flash("Saved. You can come back to this review later.", "success")
    return redirect(url_for("reviews.score", assignment_id=assignment_id))


def _record(assignment: Assignment, form, entries):
    """The scoring page's other buttons: check (then ask to confirm), the confirmation itself, and a save posted
    without its action (as the save button does, through the objects)."""
    action, assignment_id = form.action.data, assignment.id  # the id outlives the commit, which expires the row
    try:
        if action == "confirm":
            services.confirm_review(reviewer=signed_in_user(), assignment=assignment, entries=entries)
        else:
            services.save_review(reviewer=signed_in_user(), assignment=assignment, entries=entries)
    except services.ResultsIncomplete as incomplete:
        db.session.commit()  # keep what the reviewer chose so far; only the confirmation is refused
        return _score_page(_load_page(assignment_id), entries, problems=incomplete.problems)
    except services.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("reviews.score", assignment_id=assignment_id))
    db.session.commit()
    if action in ("check", "preview"):
        return _ask_to_confirm(assignment, entries)
    if action == "confirm":
        flash("Your review is recorded. Thank you.", "success")
        return redirect(url_for("reviews.queue"))
    flash("Saved. You can come back to this review later.", "success")
    return redirect(url_for("reviews.score", assignment_id=assignment_id))


def _ask_to_confirm(assignment: Assignment, entries):
    """The confirmation step: the resulting decision and every result, then one button that confirms exactly
    these (they travel in hidden fields, so what is confirmed is what was shown)."""
    problems = services.check_results(assignment.version, entries)
    if problems:
        return _score_page(_load_page(assignment.id), entries, problems=problems)
    outcome = services.outcome({key: result for key, (result, _) in entries.items()})
    return render_template(
        "reviews/confirm.html", assignment=assignment, version=assignment.version, entries=entries, outcome=outcome,
    )


def _score_page(page: scoring.ScoringPage, entries=None, problems=()):
    """The page with `entries` (part key -> the result and feedback to show; the saved ones by default) in its
    fields."""
    file_href = url_pattern("reviews.download", "artifact_id", assignment_id=page.assignment_id)
    rows = scoring.part_rows(page, page.results if entries is None else entries, problems, file_href)
    html = render_template(
        "reviews/score.html", page=page, rows=rows, problems=list(problems), result_choices=RESULT_CHOICES,
        decline_reasons=DECLINE_REASONS, decline_labels=(DECLINE_REASON_LABEL, DECLINE_NOTE_LABEL),
        earlier=earlier_round_of(page, page.parts),
    )
    return html, (422 if problems else 200)


@bp.post("/assignments/<int:assignment_id>/decline")
@require_reviewer
def decline(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        errors = [message for messages in form.errors.values() for message in messages]
        flash(errors[0] if errors else "Choose a reason for declining.", "error")
        return redirect(url_for("reviews.score", assignment_id=assignment.id) + "#decline")
    if not form.is_confirmed:
        return render_template("reviews/decline_confirm.html", assignment=assignment, form=form)
    try:
        services.decline(reviewer=signed_in_user(), assignment=assignment, reason=form.reason_text())
    except services.ReviewError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("You declined this review. It has been passed on.", "success")
    return redirect(url_for("reviews.queue"))


@bp.get("/assignments/<int:assignment_id>/files/<int:artifact_id>")
@require_reviewer
def download(assignment_id: int, artifact_id: int):
    assignment = _load_assignment(assignment_id)
    artifact = db.get_or_404(Artifact, artifact_id)
    if artifact.version_id != assignment.version_id:
        abort(404)
    return send_artifact(artifact, blind=assignment.version.submission.credential.stack.blind_review)
