import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup

from portal.accounts import services as accounts
from portal.accounts.browser import sign_in_browser
from portal.accounts.models import User
from portal.audit import utcnow
from portal.catalog.models import Stack
from portal.cohorts import breakdowns as groups_by
from portal.cohorts import dashboard as figures
from portal.cohorts import export, invitations, matrix, profile, progress, roster, services
from portal.cohorts import members as membership
from portal.cohorts.forms import (
    ORDER_OPTIONS,
    SORT_OPTIONS,
    STATE_OPTIONS,
    AddMemberForm,
    CohortForm,
    ConfirmForm,
    RosterUploadForm,
    SetPasswordForm,
    make_cohort_form,
    make_milestone_form,
    make_profile_form,
    read_matrix_filter,
)
from portal.cohorts.freshness import FIGURES
from portal.cohorts.models import Cohort, Membership
from portal.csvfile import csv_response
from portal.extensions import db
from portal.permissions import require_staff, signed_in_user
from portal.selects import OptionList
from portal.templating import plural

bp = Blueprint("cohorts", __name__)

SUMMARY_EXPORTS = {
    "credentials": export.credentials_csv, "funnel": export.funnel_csv, "milestones": export.milestones_csv,
    "parts": export.parts_csv, "timing": export.timing_csv,
}
MEMBERS_PER_PAGE = 50
ROSTER_MAX_BYTES = 1024 * 1024


def _today() -> date:
    return utcnow().date()


def _cohort(cohort_id: int, *load) -> Cohort:
    """The cohort or a 404; load: loader options for what the page shows of it (by default credentials and
    milestones load in queries of their own)."""
    return db.get_or_404(Cohort, cohort_id, options=load)


# ---------- staff: cohorts ----------

@bp.get("/staff/cohorts")
@require_staff
def overview():
    pagination, lines = services.overview(request.args.get("page", 1, type=int), _today())
    return render_template("cohorts/overview.html", pagination=pagination, lines=lines)


def _save_cohort(form: CohortForm, cohort: Cohort | None):
    values = dict(
        name=form.name.data, program=form.program.data or "", description=form.description.data or "",
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, stack=db.session.get(Stack, form.stack_id.data),
        credentials=services.credentials_by_id(form.credential_ids.data or []), actor=signed_in_user(),
    )
    try:
        return services.update_cohort(cohort=cohort, **values) if cohort else services.create_cohort(**values)
    except services.CohortError as error:
        form[error.field].errors.append(str(error))
        return None


@bp.route("/staff/cohorts/new", methods=["GET", "POST"])
@require_staff
def new():
    form = make_cohort_form(None, services.stacks())
    if form.validate_on_submit() and (cohort := _save_cohort(form, None)):
        db.session.commit()
        flash(f"Cohort “{cohort.name}” created. Add its milestones and members next.", "success")
        _warn_missing_prerequisites(cohort)
        return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@bp.route("/staff/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@require_staff
def edit(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = make_cohort_form(cohort, services.stacks())
    if form.validate_on_submit() and _save_cohort(form, cohort):
        db.session.commit()
        flash("Cohort saved.", "success")
        _warn_missing_prerequisites(cohort)
        return redirect(url_for("cohorts.dashboard", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort,
                           missing=services.missing_prerequisites(cohort))


def _warn_missing_prerequisites(cohort: Cohort) -> None:
    for credential, prerequisite in services.missing_prerequisites(cohort):
        flash(f"Check the credentials: “{credential.title}” needs “{prerequisite.title}” first, and this cohort "
              "does not include it. Members can submit it only after earning that elsewhere; add it to the cohort "
              "unless they already have.", "warning")


# ---------- staff: dashboard, breakdowns, exports ----------

def _matrix_url(base: str, cohort_id: int, query: matrix.MatrixQuery):
    """The page's own address (base) with the filter's arguments, some changed; another endpoint's by url_for."""
    current = {
        "organization": query.organization_id, "state": query.state, "credential": query.credential_id,
        "sort": query.sort, "order": "desc" if query.descending else "asc",
    }

    def url(endpoint="cohorts.dashboard", **changes) -> str:
        args = {k: v for k, v in {**current, **changes}.items() if v not in ("", None)}
        if endpoint != "cohorts.dashboard":
            return url_for(endpoint, cohort_id=cohort_id, **args)
        return f"{base}?{urlencode(args)}" if args else base

    return url


def _educator_url() -> str:
    """The address of the staff page about one educator, without the id: built once for a page of links."""
    return url_for("cohorts.educator", user_id=0).removesuffix("0")


@dataclass(frozen=True)
class DashboardPart:
    """What the dashboard shows besides the member table, the same for every staff member: plain values and HTML
    rendered once per cohort and day, and again after a change of the cohort's data (cohorts.freshness). A
    request then reads no cohort row, only the page of members."""

    id: int
    name: str
    credential_ids: tuple[int, ...]
    url: str  # the dashboard's own address
    educator_url: str
    head_html: Markup  # the heading and the cohort's navigation
    figures_html: Markup
    credential_heads: Markup  # the matrix's column headings
    organization_options: OptionList  # the filter's
    credential_options: OptionList
    roster: tuple[tuple[int, str, str, str], ...]  # dashboard.Figures.roster: the plain member table's order


def _member_page(part: DashboardPart, query: matrix.MatrixQuery, page: int) -> matrix.Page:
    """The member table's page: everyone by name from the roster kept with the figures (the query reads only the
    page's states), any other filter or order worked out in SQL."""
    if matrix.is_plain(query):
        return matrix.roster_page_html(part.id, part.credential_ids, part.roster, page, part.educator_url)
    return matrix.matrix_page_html(part.id, part.credential_ids, query, page, part.educator_url)


def _rendered(template: str, **context) -> Markup:
    """A template rendered without the context processors: nothing about the signed-in user is at hand."""
    html = current_app.jinja_env.get_template(template).render(**context)
    return Markup(html)  # noqa: S704 -- the autoescaped output of our own template


def _dashboard_part(cohort_id: int, today: date) -> DashboardPart:
    def render() -> DashboardPart:
        cohort = figures.load_for_figures(cohort_id)
        if cohort is None:
            abort(404)
        found = figures.figures(cohort, today)
        educator_url = _educator_url()
        heads = Markup("").join(
            Markup('<th scope="col" class="credential-head">{}. {}</th>').format(c.position, c.title)
            for c in cohort.credentials
        )
        return DashboardPart(
            id=cohort.id, name=cohort.name, credential_ids=tuple(c.id for c in cohort.credentials),
            url=url_for("cohorts.dashboard", cohort_id=cohort.id), educator_url=educator_url,
            head_html=_rendered("cohorts/_nav.html", cohort=cohort),
            figures_html=_rendered(
                "cohorts/_figures.html", cohort=cohort, summary=figures.summary(cohort, found, today),
                funnel_stages=figures.FUNNEL, educator_url=educator_url,
            ),
            credential_heads=heads,
            organization_options=OptionList([("", "All organizations"), *found.organizations]),
            credential_options=OptionList([("", "Any credential"), *((c.id, c.title) for c in cohort.credentials)]),
            roster=found.roster,
        )

    return FIGURES.get(("page", cohort_id, today), render, scope=cohort_id)


@bp.get("/staff/cohorts/<int:cohort_id>")
@require_staff
def dashboard(cohort_id: int):
    part = _dashboard_part(cohort_id, _today())
    chosen = read_matrix_filter(request.args, part.credential_ids)
    query = chosen.query
    selects = [
        ("organization", "Organization", part.organization_options), ("state", "State", STATE_OPTIONS),
        ("credential", "Of credential", part.credential_options), ("sort", "Sort by", SORT_OPTIONS),
        ("order", "Order", ORDER_OPTIONS),
    ]
    return render_template(
        "cohorts/dashboard.html", cohort=part, query=query,
        selects=[(name, label, options.render(chosen.chosen[name])) for name, label, options in selects],
        page=_member_page(part, query, chosen.page),
        matrix_url=_matrix_url(part.url, part.id, query),
    )


@bp.get("/staff/cohorts/<int:cohort_id>/groups")
@require_staff
def groups(cohort_id: int):
    cohort = _cohort(cohort_id, *groups_by.COHORT_LOAD)
    return render_template(
        "cohorts/groups.html", cohort=cohort, breakdowns=groups_by.breakdowns(cohort), minimum=groups_by.min_group(),
        rounding_rule=groups_by.rounding_rule(groups_by.min_group()),
    )


def _csv(cohort: Cohort, name: str, text: str) -> Response:
    services.record_export(cohort=cohort, table=name, actor=signed_in_user())
    db.session.commit()
    slug = re.sub(r"[^a-z0-9]+", "-", cohort.name.lower()).strip("-") or "cohort"
    return csv_response(text, f"{slug}-{name}.csv")


@bp.get("/staff/cohorts/<int:cohort_id>/export/<name>.csv")
@require_staff
def export_csv(cohort_id: int, name: str):
    cohort = _cohort(cohort_id, *figures.COHORT_LOAD)
    if name == "matrix":
        query = read_matrix_filter(request.args, {c.id for c in cohort.credentials}).query
        return _csv(cohort, name, export.matrix_csv(cohort.credentials, matrix.matrix_all(cohort, query)))
    if name in SUMMARY_EXPORTS:
        found = figures.cached_figures(cohort, _today())
        return _csv(cohort, name, SUMMARY_EXPORTS[name](figures.summary(cohort, found, _today())))
    breakdown = groups_by.breakdown(cohort, name)
    if breakdown is None:
        abort(404)
    return _csv(cohort, f"by-{name}", export.breakdown_csv(breakdown))


# ---------- staff: milestones ----------

@bp.route("/staff/cohorts/<int:cohort_id>/milestones/new", methods=["GET", "POST"], defaults={"milestone_id": None})
@bp.route("/staff/cohorts/<int:cohort_id>/milestones/<int:milestone_id>", methods=["GET", "POST"])
@require_staff
def milestone(cohort_id: int, milestone_id: int | None):
    cohort = _cohort(cohort_id)
    existing = next((m for m in cohort.milestones if m.id == milestone_id), None) if milestone_id else None
    if milestone_id and existing is None:
        abort(404)
    form = make_milestone_form(cohort, existing)
    if form.validate_on_submit():
        try:
            services.save_milestone(
                cohort=cohort, milestone=existing, title=form.title.data, due_on=form.due_on.data,
                credentials=[c for c in cohort.credentials if c.id in (form.credential_ids.data or [])],
                actor=signed_in_user(),
            )
        except services.CohortError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash("Milestone saved.", "success")
            return redirect(url_for("cohorts.edit", cohort_id=cohort.id) + "#milestones")
    return render_template("cohorts/milestone.html", cohort=cohort, form=form, milestone=existing)


@bp.post("/staff/cohorts/<int:cohort_id>/milestones/<int:milestone_id>/delete")
@require_staff
def delete_milestone(cohort_id: int, milestone_id: int):
    cohort = _cohort(cohort_id)
    existing = next((m for m in cohort.milestones if m.id == milestone_id), None)
    if existing is None or not ConfirmForm().validate_on_submit():
        abort(404 if existing is None else 400)
    services.delete_milestone(cohort=cohort, milestone=existing, actor=signed_in_user())
    db.session.commit()
    flash(f"Milestone “{existing.title}” deleted.", "success")
    return redirect(url_for("cohorts.edit", cohort_id=cohort.id) + "#milestones")


# ---------- staff: members and roster imports ----------

@bp.route("/staff/cohorts/<int:cohort_id>/members", methods=["GET", "POST"])
@require_staff
def members(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            planned = membership.add_member(
                cohort=cohort, email=form.email.data, name=form.name.data, organization=form.organization.data,
                role=form.role.data or "", create_organization=form.create_organization.data, actor=signed_in_user(),
            )
        except membership.MemberError as error:
            form.email.errors.extend(error.reasons)
        else:
            db.session.commit()
            flash(f"{planned.row.name} added ({planned.action_label.lower()}).", "success")
            return redirect(url_for("cohorts.members", cohort_id=cohort.id))
    page = db.paginate(
        membership.roster_query(cohort), page=request.args.get("page", 1, type=int), per_page=MEMBERS_PER_PAGE,
        error_out=False,
    )
    return render_template("cohorts/members.html", cohort=cohort, form=form, page=page,
                           has_password=invitations.has_password)


def _member(cohort: Cohort, user_id: int) -> Membership:
    """The membership a member-row button posts about; 404 when there is none, 400 without a valid CSRF token."""
    found = membership.find_membership(cohort, user_id)
    if found is None or not ConfirmForm().validate_on_submit():
        abort(404 if found is None else 400)
    return found


@bp.route("/staff/cohorts/<int:cohort_id>/members/<int:user_id>/remove", methods=["GET", "POST"])
@require_staff
def remove_member(cohort_id: int, user_id: int):
    """GET asks (the members table links here); POST, from that page, removes."""
    cohort = _cohort(cohort_id)
    if request.method == "GET":
        found = membership.find_membership(cohort, user_id)
        if found is None:
            abort(404)
        return render_template("cohorts/remove_member.html", cohort=cohort, member=found.user)
    found = _member(cohort, user_id)
    membership.remove_member(cohort=cohort, user=found.user, actor=signed_in_user())
    db.session.commit()
    flash(f"{found.user.name} removed from the cohort. Their account and work are kept.", "success")
    return redirect(url_for("cohorts.members", cohort_id=cohort.id))


@bp.post("/staff/cohorts/<int:cohort_id>/members/<int:user_id>/invite")
@require_staff
def resend_invitation(cohort_id: int, user_id: int):
    cohort = _cohort(cohort_id)
    found = _member(cohort, user_id)
    try:
        membership.resend_invitation(cohort=cohort, user=found.user, actor=signed_in_user())
    except membership.MemberError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"A new invitation is on its way to {found.user.email}.", "success")
    return redirect(url_for("cohorts.members", cohort_id=cohort.id))


@bp.route("/staff/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@require_staff
def import_roster(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = RosterUploadForm()
    if form.validate_on_submit():
        data = form.file.data.stream.read(ROSTER_MAX_BYTES + 1)
        if len(data) > ROSTER_MAX_BYTES:
            form.file.errors.append("The file is larger than 1 MB. Split it into smaller files.")
        elif b"\x00" in data:  # UTF-16 ("Unicode text") or not text at all; no database stores NUL in text
            form.file.errors.append(
                "This file is not a CSV file as saved by a spreadsheet (it contains NUL characters). "
                "Save it as “CSV UTF-8” and upload it again."
            )
        else:
            staged = membership.stage_import(
                cohort=cohort, actor=signed_in_user(), filename=form.file.data.filename or "",
                text=roster.decode_upload(data), create_organizations=form.create_organizations.data,
            )
            db.session.commit()
            return redirect(url_for("cohorts.import_preview", cohort_id=cohort.id, token=staged.token))
    return render_template("cohorts/import.html", cohort=cohort, form=form, fields=profile.active_fields())


@bp.route("/staff/cohorts/<int:cohort_id>/import/<token>", methods=["GET", "POST"])
@require_staff
def import_preview(cohort_id: int, token: str):
    cohort = _cohort(cohort_id)
    staged = membership.find_import(cohort=cohort, token=token, actor=signed_in_user())
    if staged is None:
        flash("That preview has expired or was already imported. Upload the file again.", "error")
        return redirect(url_for("cohorts.import_roster", cohort_id=cohort.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            plan = membership.confirm_import(cohort=cohort, staged=staged, actor=signed_in_user())
        except membership.MemberError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_imported_message(plan), "success")
        return redirect(url_for("cohorts.members", cohort_id=cohort.id))
    plan = membership.preview_import(cohort=cohort, staged=staged)
    return render_template("cohorts/import_preview.html", cohort=cohort, staged=staged, plan=plan, form=form,
                           Action=roster.Action)


def _imported_message(plan: roster.RosterPlan) -> str:
    counts = {action: plan.count(action) for action in roster.Action}
    return (
        f"Roster imported: {plural(counts[roster.Action.NEW_ACCOUNT], 'new account')} (invited by email), "
        f"{plural(counts[roster.Action.NEW_MEMBERSHIP], 'existing account')} added, "
        f"{counts[roster.Action.CHANGED]} changed, {counts[roster.Action.UNCHANGED]} unchanged, "
        f"{plural(len(plan.problems), 'row')} skipped."
    )


# ---------- staff: one educator ----------

@bp.get("/staff/educators/<int:user_id>")
@require_staff
def educator(user_id: int):
    person = db.get_or_404(User, user_id)
    memberships, submissions = progress.educator_record(person)
    return render_template("cohorts/educator.html", person=person, memberships=memberships, submissions=submissions,
                           cells=progress.latest_cells(person))


# ---------- educators ----------

@bp.get("/my/cohorts")
@login_required
def mine():
    return render_template("cohorts/mine.html", cohorts=progress.my_cohorts(signed_in_user(), _today()))


@bp.route("/my/profile", methods=["GET", "POST"])
@login_required
def my_profile():
    fields = profile.active_fields()
    form = make_profile_form(fields, profile.answers_of(signed_in_user()))
    if form.validate_on_submit():
        try:
            profile.save_answers(user=signed_in_user(), answers={f.key: form[f.key].data for f in fields})
        except profile.ProfileError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash("Your answers are saved.", "success")
            return redirect(url_for("cohorts.my_profile"))
    return render_template("cohorts/profile.html", form=form, fields=fields, min_group=groups_by.min_group())


@bp.after_request
def _keep_invitation_pages_out_of_caches(response):
    # The token is in the address and the page names the person. Its address may reach this site only
    # (same-origin): never another site through a link, but the form's own POST still carries the Referer
    # that the CSRF check demands over HTTPS (no-referrer made every invitation fail behind TLS).
    if request.endpoint == "cohorts.accept_invitation":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = invitations.find_invitation(token)
    except invitations.InvitationError as error:
        return _invitation_problem(error)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept_invitation(token=token, password=form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        except invitations.InvitationError as error:
            db.session.rollback()
            return _invitation_problem(error)
        else:
            sign_in_browser(user)
            db.session.commit()
            flash(f"Welcome, {user.name}. Your password is set and you are signed in.", "success")
            return redirect(url_for("cohorts.mine"))
    return render_template("cohorts/invitation.html", form=form, invitation=invitation)


def _invitation_problem(error: invitations.InvitationError):
    status = 404 if error.problem == invitations.InvitationProblem.UNKNOWN else 410
    return render_template("cohorts/invitation_problem.html", problem=error.problem.value,
                           invitation=error.invitation), status
