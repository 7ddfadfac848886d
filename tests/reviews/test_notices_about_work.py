"""Notices about review work: a notice about work that went elsewhere is marked, and the same unread news is
not said twice."""

from sqlalchemy import select

from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.models import Notice, OutboxMessage
from portal.reviews import services as reviews
from tests.reviews.test_scoring import assignment_of


def notices_of(user) -> list[Notice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)))


def test_reassigned_work_marks_the_first_reviewers_notice_no_longer_current(
    client, login_as, make_user, make_reviewer, submit_plan
):
    first, second = make_reviewer(), make_reviewer()
    staff = make_user(roles=("staff",))
    version = submit_plan().current_version
    assignment = assignment_of(version, first)
    [notice] = notices_of(first)
    assert notice.link == f"/review/assignments/{assignment.id}" and notice.is_current and notice.is_unread
    reviews.reassign(staff=staff, assignment=assignment, reviewer_id=second.id)
    db.session.commit()
    [notice] = notices_of(first)
    assert notice.withdrawn_note == "staff gave this review to another reviewer."
    assert not notice.is_unread  # nothing left to act on: it no longer counts as unread
    login_as(first)
    page = client.get("/notices").get_data(as_text=True)
    assert "No longer current" in page and "staff gave this review to another reviewer." in page
    assert [n.is_current for n in notices_of(second)] == [True]


def test_withdrawal_marks_the_reviewers_notice(make_reviewer, submit_plan):
    from portal.submissions import services as submissions

    reviewer = make_reviewer()
    submission = submit_plan()
    version = submissions.withdraw(educator=submission.educator, submission=submission)
    reviews.release_for_withdrawal(version, actor=submission.educator)
    db.session.commit()
    [notice] = notices_of(reviewer)
    assert notice.withdrawn_note == "the educator withdrew the submission; no review is needed."


def test_the_same_unread_notice_is_not_added_twice_nor_mailed_twice(make_user):
    user = make_user()
    first = notifications.notify(user=user, text="A submission is waiting.", link="/staff/submissions/1",
                                 email_subject="Needs attention")
    again = notifications.notify(user=user, text="A submission is waiting.", link="/staff/submissions/1",
                                 email_subject="Needs attention")
    db.session.commit()
    assert again.id == first.id
    assert len(notices_of(user)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 1


def test_news_already_read_may_be_said_again(make_user):
    user = make_user()
    first = notifications.notify(user=user, text="Reminder", link="/review")
    notifications.mark_read(user=user, notice=first)
    notifications.notify(user=user, text="Reminder", link="/review")
    db.session.commit()
    assert len(notices_of(user)) == 2


def test_following_a_stale_notice_shows_why_the_review_is_closed(client, login_as, make_user, make_reviewer,
                                                                  submit_plan):
    first, second = make_reviewer(), make_reviewer()
    assignment = assignment_of(submit_plan().current_version, first)
    reviews.reassign(staff=make_user(roles=("staff",)), assignment=assignment, reviewer_id=second.id)
    db.session.commit()
    login_as(first)
    page = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert "This review is no longer yours" in page
    assert 'name="action" value="check"' not in page  # nothing to score
