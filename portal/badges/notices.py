"""Telling the earner: the "you've earned it" notice and e-mail, each linking to the share panel."""

from urllib.parse import urlsplit

from portal.badges.models import IssuedCredential
from portal.links import public_url
from portal.notifications import services as notifications

SHARE_HOW = "Share it from there: a public link, LinkedIn, a file for your digital wallet, and a PDF certificate."


def tell_earned(*, version, issued: IssuedCredential | None) -> None:
    """Notice and e-mail for an earned version, linking to the share panel on its page; and, when this
    credential completed the stack, a second pair for the stack credential. Flushes; the caller commits."""
    submission = version.submission
    title = submission.credential.title
    url = public_url("submissions.version", submission_id=submission.id, number=version.number)
    if issued is not None:
        url += "#share"
    notifications.notify(
        user=submission.educator, text=f"“{title}” was earned.", link=_path(url),
        email_subject=f"Earned: {title}",
        email_body=f"“{title}” was earned: a reviewer marked every part Yes.\n\n"
                   f"Your credential, the feedback and the share panel:\n{url}\n\n{SHARE_HOW}",
        kind="submission.decided",
        new_link=True,  # a version is decided once
    )
    if issued is not None and issued.completed_stack is not None:
        _tell_stack_earned(issued.completed_stack)


def _tell_stack_earned(issued: IssuedCredential) -> None:
    url = public_url("badges.earned", issued_id=issued.id) + "#share"
    title = issued.stack.title
    notifications.notify(
        user=issued.earner, text=f"You hold every credential of “{title}”: the stack credential was issued.",
        link=_path(url), email_subject=f"Stack credential earned: {title}",
        email_body=f"You now hold every micro-credential of “{title}”, so the portal issued its stack "
                   f"credential.\n\nYour stack credential and its share panel:\n{url}\n\n{SHARE_HOW}",
        kind="badge.stack_earned",
    )


def _path(url: str) -> str:
    # A notice links within the site: the path (with the PORTAL_URL prefix, if any) and the fragment.
    parts = urlsplit(url)
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")
