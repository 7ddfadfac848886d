from flask import Blueprint, abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.notifications import services
from portal.notifications.forms import MarkAllReadForm, OpenNoticeForm
from portal.notifications.models import Notice
from portal.permissions import signed_in_user
from portal.security import is_safe_next

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def inject_unread_notices() -> dict:
    """`unread_notices` for every template: for a signed-in user the count read with the session, 0 otherwise."""
    return {"unread_notices": _count_unread()}


def _count_unread() -> int:
    # Mail templates rendered by the worker have no request, hence no signed-in user.
    if not has_request_context() or not current_user.is_authenticated:
        return 0
    try:
        return services.unread_count_for_page(current_user)
    except SQLAlchemyError:
        # The error page after a database failure renders base.html too; a badge must not break it.
        return 0


@bp.get("/notices")
@login_required
def index():
    page = services.list_notices(signed_in_user(), request.args.get("page", 1, type=int))
    form = MarkAllReadForm(next=request.full_path.rstrip("?"))
    return render_template("notifications/index.html", page=page, form=form)


@bp.post("/notices/read")
@login_required
def mark_all_read():
    form = MarkAllReadForm()
    if form.validate_on_submit():
        services.mark_all_read(user=signed_in_user())
        db.session.commit()
        flash("All notices are marked as read.", "success")
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("notifications.index"))


@bp.post("/notices/<int:notice_id>")
@login_required
def open_notice(notice_id: int):
    """Opening a notice (a button on the notices page, so a POST with CSRF) marks it read, then goes where
    it points."""
    notice = db.get_or_404(Notice, notice_id)
    if notice.user_id != current_user.id:
        abort(404)
    if not OpenNoticeForm().validate_on_submit():
        abort(400)
    services.mark_read(user=signed_in_user(), notice=notice)
    db.session.commit()
    return redirect(notice.href or url_for("notifications.index"))
