"""Reading mailed links out of the outbox, as the person receiving them would."""

import re

from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import OutboxMessage


def mails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)
    ))


def link_in(message: OutboxMessage) -> str | None:
    found = re.search(r"https?://\S+/(?:password/reset|email/confirm)/\S+", message.body)
    return found.group(0) if found else None


def last_link_to(address: str) -> str:
    links = [link for link in map(link_in, mails_to(address)) if link]
    assert links, f"no link was mailed to {address}"
    return links[-1]


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]
