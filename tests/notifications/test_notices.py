"""In-page notices and the email that may go with them."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notice, OutboxMessage


def test_notify_adds_an_unread_notice_without_email(make_user):
    dana = make_user(email="dana@example.org")

    notice = services.notify(user=dana, text="Your submission was received.", link="/submissions/3")
    db.session.commit()

    assert (notice.user_id, notice.text, notice.link, notice.read_at) == (
        dana.id, "Your submission was received.", "/submissions/3", None
    )
    assert services.unread_count(dana) == 1
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_notify_with_a_subject_queues_an_email_to_the_user(make_user):
    dana = make_user(email="dana@example.org")

    services.notify(
        user=dana, text="A decision was recorded.", link="/submissions/3", email_subject="Your result",
        email_body="Open the portal to read the feedback.", kind="submission.decided",
    )
    db.session.commit()

    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.to_address, message.subject, message.body, message.kind) == (
        "dana@example.org", "Your result",
        "Open the portal to read the feedback.\n\nOpen it in the portal:\nhttp://127.0.0.1:5000/submissions/3\n",
        "submission.decided",
    )


def test_notify_mails_the_notice_text_when_no_body_is_given(make_user):
    dana = make_user()
    services.notify(user=dana, text="You were invited to a cohort.", email_subject="Invitation")
    assert db.session.scalars(select(OutboxMessage.body)).one() == "You were invited to a cohort."


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "/\\evil"])
def test_notify_refuses_a_link_off_this_site(make_user, link):
    with pytest.raises(ValueError):
        services.notify(user=make_user(), text="Click", link=link)


def test_notify_cuts_text_longer_than_the_column(make_user):
    notice = services.notify(user=make_user(), text="word " * 100)
    assert len(notice.text) == 300 and notice.text.endswith("…")


def test_notice_href_is_empty_for_a_link_off_this_site(app):
    assert Notice(link="https://evil.example/").href == ""
    assert Notice(link="/notices").href == "/notices"


def test_mark_all_read_marks_only_that_users_unread_notices(make_user):
    dana, lee = make_user(), make_user()
    for text in ("one", "two"):
        services.notify(user=dana, text=text)
    services.notify(user=lee, text="three")
    db.session.commit()

    assert services.mark_all_read(user=dana) == 2
    db.session.commit()

    assert (services.unread_count(dana), services.unread_count(lee)) == (0, 1)
    assert services.mark_all_read(user=dana) == 0


def test_mark_read_marks_one_notice_and_refuses_another_users(make_user):
    dana, lee = make_user(), make_user()
    first, second = services.notify(user=dana, text="one"), services.notify(user=dana, text="two")

    services.mark_read(user=dana, notice=first)
    read_at = first.read_at
    services.mark_read(user=dana, notice=first)  # again: the first reading time stays

    assert first.read_at == read_at is not None and second.read_at is None
    with pytest.raises(PermissionError):
        services.mark_read(user=lee, notice=second)
    assert second.read_at is None


def test_list_notices_is_newest_first_thirty_a_page(make_user):
    dana = make_user()
    for n in range(31):
        services.notify(user=dana, text=f"notice {n}")
    db.session.commit()

    first, second = services.list_notices(dana, 1), services.list_notices(dana, 2)

    assert [n.text for n in first.items][:2] == ["notice 30", "notice 29"]
    assert len(first.items) == 30 and [n.text for n in second.items] == ["notice 0"]
    assert services.list_notices(dana, 9).items == []
