"""Staff pages of review routing: every submission, one submission's history with its assignment actions,
adjudication, and the reviewer pool."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from portal import audit
from portal.accounts.models import User
from portal.accounts.services import REVIEWERS
from portal.audit import utcnow
from portal.cache import ProcessCache, read_generations
from portal.catalog.models import Stack
from portal.cohorts.services import cohort_names_by_member
from portal.csvfile import csv_response, to_csv
from portal.extensions import db
from portal.permissions import require_staff, signed_in_user
from portal.reviews import history, services, stats, submission_list
from portal.reviews.changes import earlier_round
from portal.reviews.models import Assignment, ReviewerProfile
from portal.reviews.staff_forms import (
    AssignForm,
    AvailabilityForm,
    ReassignForm,
    ReviewerForm,
    SubmissionFilterForm,
    adjudication_entries,
    credential_options,
    make_adjudication_form,
    reviewer_options,
    show_problems,
)
from portal.submissions.models import State, Submission, Version
from portal.submissions.services import SubmissionError
from portal.templating import url_pattern

bp = Blueprint("staff_reviews", __name__, url_prefix="/staff")

PER_PAGE = 50
NOT_WAITING = "This version is not waiting for review, so it cannot be assigned."


# The filter's option lists, the same for every staff member: kept until a stack is loaded ("catalog") or
# someone becomes a reviewer, gains a reviewer profile or is renamed ("reviewers").
_credential_options = ProcessCache("catalog")
_reviewer_options = ProcessCache(REVIEWERS)


def _filter_form() -> SubmissionFilterForm:
    form = SubmissionFilterForm(request.args)
    read_generations("catalog", REVIEWERS)
    form.set_options(
        credentials=_credential_options.get(
            "submission-filter", lambda: credential_options(submission_list.credential_choices())
        ),
        reviewers=_reviewer_options.get(
            "submission-filter", lambda: reviewer_options(submission_list.reviewer_choices())
        ),
    )
    form.validate()
    return form


@bp.get("/submissions")
@require_staff
def submissions():
    form = _filter_form()
    now = utcnow()
    page = submission_list.newest_page(
        form.filters(), now=now, before=request.args.get("before", type=int),
        after=request.args.get("after", type=int), per_page=PER_PAGE,
    )
    coaching_after = current_app.config["COACHING_AFTER_NOT_YET"]
    rows = submission_list.submission_rows(page.rows, now=now, coaching_after=coaching_after)
    table = submission_list.table_html(
        rows, cohorts=cohort_names_by_member({listing.educator_id for listing in page.rows}),
        href=url_pattern(".submission", "submission_id"),
    )
    export_args = {k: v for k, v in request.args.items() if k not in ("before", "after")}
    return render_template(
        "reviews/staff/submissions.html", form=form, page=page, rows=table, is_filtered=any(export_args.values()),
        export_args=export_args,
    )


@bp.get("/submissions.csv")
@require_staff
def submissions_csv():
    """The list with the same filters, every page of it."""
    form = _filter_form()
    lines = submission_list.export_lines(
        form.filters(), now=utcnow(), coaching_after=current_app.config["COACHING_AFTER_NOT_YET"],
        cohorts_of=cohort_names_by_member,
    )
    audit.record("submissions.export", actor=signed_in_user(), subject=None, filters=request.args.to_dict())
    db.session.commit()
    return csv_response(to_csv(submission_list.EXPORT_HEADER, lines), "submissions.csv")


@bp.get("/submissions/<int:submission_id>")
@require_staff
def submission(submission_id: int):
    submission = db.get_or_404(Submission, submission_id)
    options = history.reviewer_options(submission)
    eligible = [o for o in options if not o.reasons]
    assign_form, reassign_form = AssignForm(), ReassignForm()
    assign_form.set_choices(eligible)
    reassign_form.set_choices(eligible)
    return render_template(
        "reviews/staff/submission.html",
        submission=submission,
        history=history.submission_history(submission),
        assign_form=assign_form,
        reassign_form=reassign_form,
        refused=[o for o in options if o.reasons],
        hand=history.hand_assignment(submission.current_version),
        can_assign=submission.current_version.state in submission_list.WAITING_STATES,
        now=utcnow(),
        person_keys=history.PERSON_KEYS,
    )


@bp.post("/submissions/<int:submission_id>/assign")
@require_staff
def assign(submission_id: int):
    submission = db.get_or_404(Submission, submission_id)
    form = AssignForm()
    form.set_choices(history.reviewer_options(submission))  # the service refuses the ineligible, with the reason
    back = redirect(url_for(".submission", submission_id=submission.id))
    if not form.validate_on_submit():
        flash("Choose a reviewer from the list.", "error")
        return back
    # The service does not look at the version's state; a decided or withdrawn version must not get a reviewer.
    version = submission.current_version
    if version.state not in submission_list.WAITING_STATES:
        flash(NOT_WAITING, "error")
        return back
    replaces = history.hand_assignment(version).replaces
    try:
        if replaces is None:
            created = [services.assign_by_hand(staff=signed_in_user(), version=version, reviewer_id=form.reviewer_id)]
        else:
            created = services.reassign(staff=signed_in_user(), assignment=replaces, reviewer_id=form.reviewer_id)
    except services.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    assignment = created[0]
    released = f" {replaces.reviewer.name}'s assignment was released." if replaces else ""
    flash(f"Assigned to {assignment.reviewer.name}, due {assignment.due_at:%d %b %Y}.{released}", "success")
    return back


@bp.post("/assignments/<int:assignment_id>/reassign")
@require_staff
def reassign(assignment_id: int):
    assignment = db.get_or_404(Assignment, assignment_id)
    submission = assignment.version.submission
    form = ReassignForm()
    form.set_choices(history.reviewer_options(submission))
    back = redirect(url_for(".submission", submission_id=submission.id))
    if not form.validate_on_submit():
        flash("Choose a reviewer from the list.", "error")
        return back
    try:
        created = services.reassign(staff=signed_in_user(), assignment=assignment, reviewer_id=form.reviewer_id)
    except services.ReviewError as error:
        db.session.rollback()  # reassign releases the old assignment before it can fail
        flash(str(error), "error")
        return back
    db.session.commit()
    if created:
        flash(f"Reassigned to {', '.join(a.reviewer.name for a in created)}.", "success")
    else:
        flash("Released. No eligible reviewer is free: the submission waits in the queue.", "info")
    return back


@bp.route("/adjudicate/<int:version_id>", methods=["GET", "POST"])
@require_staff
def adjudicate(version_id: int):
    version = db.get_or_404(Version, version_id)
    back = redirect(url_for(".submission", submission_id=version.submission_id))
    reviews = [r for r in services.confirmed_reviews(version) if not r.is_adjudication]
    if not services.needs_adjudication(version, reviews):
        flash("This version does not need adjudication (it may have been settled already).", "info")
        return back
    staff = signed_in_user()
    own_review = any(r.reviewer_id == staff.id for r in reviews)
    agreed = services.agreed_parts(reviews)
    form = make_adjudication_form([p for p in version.requirements.parts if p.key not in agreed])
    if not own_review and form.validate_on_submit():
        try:
            entries = {**agreed, **adjudication_entries(form)}
            services.adjudicate(staff=staff, version=version, entries=entries)
        except services.ResultsIncomplete as incomplete:
            show_problems(form, incomplete.problems)
        except (services.ReviewError, SubmissionError) as error:
            db.session.rollback()
            flash(str(error), "error")
            return back
        else:
            db.session.commit()
            flash(f"Decided: {State(version.state).label}. The educator has been told.", "success")
            return back
    status = 422 if form.errors else 200
    return render_template(
        "reviews/staff/adjudicate.html", version=version, reviews=reviews, form=form, own_review=own_review,
        agreed=agreed, earlier=earlier_round(version), blind=False,
    ), status


@bp.route("/reviewers", methods=["GET", "POST"])
@require_staff
def reviewers():
    form = AvailabilityForm()
    if form.validate_on_submit():
        user = _load_reviewer(form.target_id)
        profile = services.ensure_profile(user)
        resume = form.action.data == "resume"
        services.update_reviewer(
            staff=signed_in_user(), profile=profile, is_active=resume, capacity=profile.capacity,
            stacks=profile.stacks,
        )
        db.session.commit()
        flash(f"{user.name} {'is active again' if resume else 'is paused'}.", "success")
        return redirect(url_for(".reviewers"))
    if form.is_submitted():
        abort(400)
    pool = stats.reviewer_pool(now=utcnow())
    return render_template(
        "reviews/staff/reviewers.html", pool=pool, form=form, min_results=stats.MIN_RESULTS_TO_COMPARE,
        minimum=stats.minimums(current_app.config),
    )


@bp.get("/reviewers.csv")
@require_staff
def reviewers_csv():
    """The pool table with the same figures, and the same "too few to tell" below the minimums, as on screen."""
    pool = stats.reviewer_pool(now=utcnow())
    return csv_response(stats.pool_csv(pool, stats.minimums(current_app.config)), "reviewer-pool.csv")


@bp.route("/reviewers/<int:user_id>", methods=["GET", "POST"])
@require_staff
def edit_reviewer(user_id: int):
    user = _load_reviewer(user_id)
    profile = db.session.get(ReviewerProfile, user.id)
    stacks = list(db.session.scalars(select(Stack).order_by(Stack.title)))
    form = ReviewerForm(data=_profile_data(profile))
    form.set_choices(stacks)
    if form.validate_on_submit():
        services.update_reviewer(
            staff=signed_in_user(), profile=services.ensure_profile(user), is_active=form.is_active.data,
            capacity=form.capacity.data, stacks=[s for s in stacks if s.id in form.stacks.data],
        )
        db.session.commit()
        flash(f"Saved {user.name}'s reviewer settings.", "success")
        return redirect(url_for(".reviewers"))
    status = 422 if form.errors else 200
    return render_template("reviews/staff/edit_reviewer.html", user=user, profile=profile, form=form), status


def _load_reviewer(user_id: int | None) -> User:
    """A person with the reviewer role or a reviewer profile; anyone else is not on these pages."""
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not (user.is_reviewer or db.session.get(ReviewerProfile, user.id)):
        abort(404)
    return user


def _profile_data(profile: ReviewerProfile | None) -> dict:
    if profile is None:  # what a new profile starts with
        columns = ReviewerProfile.__table__.c
        return {"is_active": columns.is_active.default.arg, "capacity": columns.capacity.default.arg, "stacks": []}
    return {"is_active": profile.is_active, "capacity": profile.capacity, "stacks": [s.id for s in profile.stacks]}
