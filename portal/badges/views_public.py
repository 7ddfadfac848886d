"""Pages anyone may open without signing in: a shared credential's verification page, and the check of an
uploaded credential file (its JSON, or its badge PNG with the credential baked in).

Both check the status live (verify_document reads the signature and the status list on every request), so a
revocation shows at once. Neither shows the earner's e-mail or anything they submitted: the page is built from
the signed document, which names the earner and holds only a salted hash of the e-mail."""

from flask import abort, current_app, render_template
from sqlalchemy import select

from portal.badges import reading, services, upload, verdict
from portal.badges.keys import IssuerKeyMissing
from portal.badges.models import IssuedCredential
from portal.badges.public_forms import VerifyForm
from portal.badges.views import bp
from portal.extensions import db, limiter

MAX_TOKEN_LENGTH = 64


def _verify(document: dict) -> services.Verification:
    try:
        return services.verify_document(document)
    except IssuerKeyMissing:
        # Production without its key: the status list cannot be vouched for, so nothing is said about it.
        current_app.logger.error("Credentials cannot be checked: the portal has no issuer key.")
        abort(503)


def _earned_count(issued: IssuedCredential) -> int:
    if issued.credential_id is not None:
        return services.earned_count(credential_id=issued.credential_id)
    return services.earned_count(stack_id=issued.stack_id)


@bp.get("/credentials/<token>")
def public(token: str):
    issued = None
    if len(token) <= MAX_TOKEN_LENGTH:
        issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.share_token == token))
    if issued is None:
        abort(404)
    if not issued.is_public:
        # Nothing about the credential, not even its name: hiding it is the earner's choice.
        return render_template("badges/not_shared.html")
    document = issued.document_json
    return render_template(
        "badges/public.html",
        issued=issued,
        summary=reading.summarize(document),
        status=verdict.status(_verify(document)),
        earned_count=_earned_count(issued),
    )


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["VERIFY_LIMIT_PER_ADDRESS"], methods=["POST"])
def verify():
    form = VerifyForm()
    result = summary = None
    if form.validate_on_submit():
        try:
            document = upload.credential_from_upload(upload.read_limited(form.file.data.stream))
        except upload.UploadProblem as problem:
            form.file.errors.append(str(problem))
        else:
            checked = _verify(document)
            # The staff's reason is public only where the earner made the credential public.
            show_reason = bool(checked.issued is not None and checked.issued.is_public)
            result = verdict.file_check(checked, show_reason=show_reason)
            summary = reading.summarize(document) if checked.signature_ok else None
    return render_template("badges/verify.html", form=form, result=result, summary=summary)
