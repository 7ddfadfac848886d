"""The staff overview: the first staff page, where work is waiting."""

from flask import Blueprint, render_template

from portal.audit import utcnow
from portal.permissions import require_staff
from portal.staff.overview import LISTED, staff_overview

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@require_staff
def overview():
    now = utcnow()
    figures = staff_overview(now=now, today=now.date())
    return render_template("staff/overview.html", figures=figures, listed=LISTED)
