"""Staff pages of issued credentials: the list with its filters and CSV export, and revocation with a reason.

Everyone else signed in gets 404 here, not 403: revoking is staff work, and educators and reviewers have no
business learning these pages exist. The list filters by cohort and names each earner's cohorts, and the export
neutralizes its cells as the cohort exports do: the two imports of cohorts (a higher domain) are listed in
.importlinter."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.audit import utcnow
from portal.badges import listing, services
from portal.badges.models import IssuedCredential
from portal.badges.staff_forms import IssuedFilterForm, RevokeForm
from portal.cohorts import services as cohorts
from portal.cohorts.export import to_csv
from portal.extensions import db
from portal.pagination import newest_first
from portal.permissions import can_revoke_credential, require_staff_or_404, signed_in_user

bp = Blueprint("badges_staff", __name__)

PER_PAGE = 50


def _filter_form() -> IssuedFilterForm:
    form = IssuedFilterForm(request.args)
    form.set_choices(credentials=listing.credential_choices(), cohorts=cohorts.cohort_choices())
    form.validate()
    return form


def _query(filters: listing.IssuedFilters):
    members = cohorts.member_ids(filters.cohort_id) if filters.cohort_id is not None else None
    return listing.issued_query(filters, cohort_members=members)


def _filter_args() -> dict:
    return {key: value for key, value in request.args.items() if key not in ("before", "after") and value}


@bp.get("/staff/credentials")
@require_staff_or_404
def issued():
    form = _filter_form()
    page = newest_first(
        _query(form.filters()), IssuedCredential.id, lambda row: row.id,
        before=request.args.get("before", type=int), after=request.args.get("after", type=int), per_page=PER_PAGE,
    )
    return render_template(
        "badges/staff/issued.html", form=form, page=page, filter_args=_filter_args(),
        cohorts=cohorts.cohort_names_by_member({row.earner_id for row in page.rows}),
        status_of=listing.status_of,
    )


@bp.get("/staff/credentials.csv")
@require_staff_or_404
def export():
    filters = _filter_form().filters()
    rows = listing.all_rows(_query(filters))
    names = cohorts.cohort_names_by_member({row.earner_id for row in rows})
    # to_csv neutralizes every cell, so a spreadsheet never runs a name or a reason as a formula.
    text = to_csv(listing.CSV_HEADER, (listing.csv_line(row, names) for row in rows))
    listing.record_export(actor=signed_in_user(), filters=filters, rows=len(rows))
    db.session.commit()
    name = f"credentials-issued-{utcnow():%Y-%m-%d}.csv"
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response("\ufeff" + text, mimetype="text/csv", headers=headers)


@bp.route("/staff/credentials/<int:issued_id>/revoke", methods=["GET", "POST"])
@require_staff_or_404
def revoke(issued_id: int):
    issued = db.get_or_404(IssuedCredential, issued_id)
    form = RevokeForm()
    if can_revoke_credential(current_user, issued) and form.validate_on_submit():
        services.revoke_credential(actor=signed_in_user(), issued=issued, reason=form.reason.data.strip())
        db.session.commit()
        flash(f"Revoked “{issued.title}” of {issued.earner.name}. They have been told, and its public page and "
              "the status list say “Revoked” from now on.", "success")
        return redirect(url_for(".issued"))
    if request.method == "POST" and issued.is_revoked:
        flash("This credential was already revoked.", "info")
    return render_template("badges/staff/revoke.html", issued=issued, form=form)
