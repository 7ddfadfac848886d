"""Staff: the list of every submission (filters, flags, bounded queries) and one submission's history and actions."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent, utcnow
from portal.cohorts.models import Cohort, Membership
from portal.extensions import db
from portal.reviews import services as reviews
from portal.reviews.models import Assignment, AssignmentState
from portal.submissions import services as submissions
from portal.submissions.models import State
from tests.conftest import fill_and_submit
from tests.reviews.conftest import all_yes

AUTHOR_ORG = "Riverside Unified School District"  # make_user's default organization


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def listed(response) -> dict[int, str]:
    """Submission id -> the text of its row, in page order."""
    rows = re.findall(r'<tr id="submission-(\d+)">(.*?)</tr>', text_of(response), flags=re.S)
    return {int(number): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for number, row in rows}


def assignment_of(version, reviewer):
    return db.session.scalar(
        select(Assignment).where(Assignment.version_id == version.id, Assignment.reviewer_id == reviewer.id)
    )


def holders_of(version) -> dict[int, str]:
    query = select(Assignment.reviewer_id, Assignment.state).where(Assignment.version_id == version.id)
    return dict(db.session.execute(query).all())


@pytest.fixture
def staff(make_user, login_as):
    user = make_user(name="Stella Staff", roles=("staff",), organization="CoSN Program Office")
    login_as(user)
    return user


def give(version, reviewer, *, overdue=False) -> Assignment:
    assignment = reviews.routing.assign(version, reviewer_id=reviewer.id)
    if overdue:
        assignment.due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return assignment


def fail_again(submission, staff_user):
    """The educator revises and submits; the new version is decided Not yet."""
    educator = submission.educator
    submissions.transition(submission, State.DRAFT, actor=educator)
    fill_and_submit(submission, educator)
    submissions.transition(submission, State.IN_REVIEW, actor=staff_user)
    submissions.transition(submission, State.NOT_YET, actor=staff_user)
    db.session.commit()


@pytest.fixture
def overview(staff, make_reviewer, make_submission, make_user):
    rita, raj = make_reviewer(name="Rita Reviewer"), make_reviewer(name="Raj Reviewer")
    late = make_submission(state=State.IN_REVIEW)
    give(late.current_version, rita, overdue=True)
    waiting = make_submission(state=State.SUBMITTED)
    earned = make_submission(state=State.EARNED)
    done = give(earned.current_version, raj)
    done.state = AssignmentState.DONE
    other = make_submission(slug="identifying-challenges", state=State.IN_REVIEW)  # also earns "foundations" first
    give(other.current_version, raj)
    coached = make_submission(state=State.NOT_YET)
    fail_again(coached, staff)
    fail_again(coached, staff)
    db.session.commit()
    prerequisite = submissions.find_open_submission(other.educator, earned.credential)
    return {
        "rita": rita, "raj": raj, "late": late, "waiting": waiting, "earned": earned, "other": other,
        "coached": coached, "prerequisite": prerequisite,
    }


def ids(data, *names) -> list[int]:
    return sorted((data[n].id for n in names), reverse=True)


def test_list_shows_every_submission_newest_first_with_its_facts(client, overview):
    rows = listed(client.get("/staff/submissions"))

    assert list(rows) == ids(overview, "late", "waiting", "earned", "other", "coached", "prerequisite")
    late = overview["late"]
    due = assignment_of(late.current_version, overview["rita"]).due_at
    assert rows[late.id] == (
        f"{late.id} {late.educator.name} {late.educator.email} {AUTHOR_ORG} — {late.credential.title} "
        "In review Overdue 1 "
        f"Rita Reviewer {due:%d %b %Y} 0 of 1"
    )
    assert rows[overview["coached"].id].endswith("Not yet Coaching 3 — — 0 of 1")
    assert rows[overview["waiting"].id].endswith("Submitted Waiting for a reviewer 1 — — 0 of 1")
    assert " In review — 1 Raj Reviewer " in rows[overview["other"].id]  # held, not late: no flag


def test_list_names_each_educators_cohorts(client, overview):
    late = overview["late"]
    stack_id = late.credential.stack_id
    for name in ("Spring Data Equity Cohort", "Autumn Leaders"):
        cohort = Cohort(name=name, stack_id=stack_id)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(Membership(cohort_id=cohort.id, user_id=late.educator_id))
    db.session.commit()

    rows = listed(client.get("/staff/submissions"))

    assert f"{AUTHOR_ORG} Autumn Leaders, Spring Data Equity Cohort {late.credential.title}" in rows[late.id]
    assert f"{AUTHOR_ORG} — " in rows[overview["waiting"].id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "in_review"}, ("late", "other")),
        ({"state": "earned"}, ("earned", "prerequisite")),
        ({"credential": "identifying"}, ("other",)),
        ({"reviewer": "rita"}, ("late",)),
        ({"reviewer": "raj"}, ("earned", "other")),
        ({"overdue": "y"}, ("late",)),
        ({"waiting": "y"}, ("waiting",)),
        ({"state": "in_review", "reviewer": "raj"}, ("other",)),
    ],
)
def test_filters_return_exactly_the_matching_submissions(client, overview, query, expected):
    args = dict(query)
    if "credential" in args:
        args["credential"] = str(overview["other"].credential_id)
    if "reviewer" in args:
        args["reviewer"] = str(overview[args["reviewer"]].id)

    rows = listed(client.get("/staff/submissions", query_string=args))

    assert list(rows) == ids(overview, *expected)


def test_unknown_filter_value_is_reported_and_not_applied(client, overview):
    response = client.get("/staff/submissions", query_string={"state": "lost", "reviewer": "999999"})

    assert len(listed(response)) == 6
    assert text_of(response).count("This filter was not applied.") == 2


def test_needs_adjudication_flag_when_two_reviewers_disagree(app, client, staff, make_reviewer, submit_plan):
    app.config["CALIBRATION_SHARE"] = 1.0
    first, second = make_reviewer(), make_reviewer()
    submission = submit_plan()
    version = submission.current_version
    waiting_for_second = listed(client.get("/staff/submissions"))[submission.id]
    reviews.confirm_review(reviewer=first, assignment=assignment_of(version, first), entries=all_yes(version))
    entries = {**all_yes(version), "plan": ("not_yet", "Goal 2 has no timeline.")}
    reviews.confirm_review(reviewer=second, assignment=assignment_of(version, second), entries=entries)
    db.session.commit()

    row = listed(client.get("/staff/submissions"))[submission.id]

    assert "Waiting for a reviewer" not in waiting_for_second  # two holders: nothing to wait for
    assert "In review Needs adjudication 1 " in row and row.endswith("2 of 2")


def test_one_holder_of_a_double_scored_version_is_still_waiting(app, client, staff, make_reviewer, submit_plan):
    app.config["CALIBRATION_SHARE"] = 1.0
    make_reviewer()  # only one reviewer: the second place stays empty
    submission = submit_plan()

    rows = listed(client.get("/staff/submissions", query_string={"waiting": "y"}))

    assert list(rows) == [submission.id]
    assert "Submitted Waiting for a reviewer 1 " in rows[submission.id] and rows[submission.id].endswith("0 of 2")


def test_list_is_paginated_by_fifty_newer_and_older(client, staff, make_submission):
    made = [make_submission(state=State.SUBMITTED).id for _ in range(52)]
    make_submission(state=State.EARNED)  # filtered out: must not shift the pages

    first = client.get("/staff/submissions", query_string={"waiting": "y"})
    older_link = re.search(r'href="([^"]*)">Older submissions', text_of(first)).group(1)
    second = client.get(older_link)
    newer_link = re.search(r'href="([^"]*)">Newer submissions', text_of(second)).group(1)
    back = client.get(newer_link)

    assert list(listed(first)) == made[::-1][:50]
    assert "Newer submissions" not in text_of(first)
    assert "waiting=y" in older_link and "waiting=y" in newer_link  # the filters survive paging
    assert list(listed(second)) == made[1::-1] and "Older submissions" not in text_of(second)
    assert list(listed(back)) == list(listed(first))


def test_a_page_past_the_end_offers_the_way_back(client, staff, make_submission):
    oldest = make_submission(state=State.SUBMITTED)

    page = text_of(client.get("/staff/submissions", query_string={"before": oldest.id}))

    assert "No more submissions here." in page and 'href="/staff/submissions">Back to the newest' in page


def test_list_query_count_does_not_grow_with_rows(client, staff, make_reviewer, make_submission, count_queries):
    rita = make_reviewer()

    def add(n):
        state = [State.SUBMITTED, State.IN_REVIEW, State.NOT_YET, State.EARNED][n % 4]
        submission = make_submission(state=state)
        if state != State.SUBMITTED:
            assignment = give(submission.current_version, rita, overdue=n % 2 == 0)
            if state != State.IN_REVIEW:
                assignment.state = AssignmentState.DONE
                db.session.commit()

    add(1)
    client.get("/staff/submissions")  # fills the cached option lists, which every later request reads
    with count_queries() as one:
        assert client.get("/staff/submissions").status_code == 200
    for n in range(2, 31):
        add(n)
    with count_queries() as thirty:
        response = client.get("/staff/submissions")

    assert len(listed(response)) == 30
    assert thirty[0] == one[0]


# --- one submission ---------------------------------------------------------------------------------------------


@pytest.fixture
def revised(staff, make_reviewer, submit_plan):
    """A district plan decided Not yet by Rita, revised and routed back to her."""
    rita = make_reviewer(name="Rita Reviewer")
    submission = submit_plan()
    first = submission.current_version
    entries = {**all_yes(first), "plan": ("not_yet", "Goal 3 needs **measurable** outcomes.")}
    reviews.confirm_review(reviewer=rita, assignment=assignment_of(first, rita), entries=entries)
    db.session.commit()
    submissions.transition(submission, State.DRAFT, actor=submission.educator)
    fill_and_submit(submission, submission.educator)
    reviews.route_submitted(submission.current_version, actor=submission.educator)
    db.session.commit()
    return submission, rita


def test_submission_page_shows_every_version_assignments_reviews_and_audit(client, revised):
    submission, rita = revised
    page = text_of(client.get(f"/staff/submissions/{submission.id}"))

    assert page.index("Version 2 ") < page.index("Version 1 ")
    assert f'/submissions/{submission.id}/versions/1"' in page and f'/submissions/{submission.id}/versions/2"' in page
    assert page.count("Rita Reviewer") >= 3  # two assignments and one review
    assert "Review by Rita Reviewer" in page
    assert "<strong>measurable</strong> outcomes" in page  # feedback rendered as Markdown
    assert re.search(r"Part 2\. Evidence/Artifacts</dt>\s*<dd><strong>Not yet</strong>", page)
    logged = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "submissions", AuditEvent.subject_id == submission.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    audit_table = page[page.index('id="audit-heading"'):]
    shown = re.findall(r"<td>([a-z_]+\.[a-z_]+)</td>", audit_table)
    assert shown == logged
    assert {"submission.start", "submission.not_yet", "review.confirm", "review.assign"} <= set(shown)
    assert "reviewer: Rita Reviewer" in audit_table  # user ids in the details are shown as names


def test_unknown_submission_is_404(client, staff):
    assert client.get("/staff/submissions/999999").status_code == 404


def test_assign_by_hand_refuses_the_authors_organization(client, staff, make_reviewer, make_submission):
    colleague = make_reviewer(name="Cole League", organization=AUTHOR_ORG)
    submission = make_submission(state=State.SUBMITTED)

    response = client.post(
        f"/staff/submissions/{submission.id}/assign", data={"reviewer": colleague.id}, follow_redirects=True
    )

    assert "Cole League cannot take this submission: same organization." in text_of(response)
    assert holders_of(submission.current_version) == {}


def test_assign_by_hand_gives_the_version_to_the_chosen_reviewer(client, staff, make_reviewer, make_submission):
    fay = make_reviewer(name="Fay Free", capacity=1)
    submission = make_submission(state=State.SUBMITTED)

    response = client.post(
        f"/staff/submissions/{submission.id}/assign", data={"reviewer": fay.id}, follow_redirects=True
    )

    assert "Assigned to Fay Free" in text_of(response)
    assert holders_of(submission.current_version) == {fay.id: AssignmentState.OPEN}


def test_assign_by_hand_refuses_a_reviewer_at_capacity(client, staff, make_reviewer, make_submission):
    full = make_reviewer(name="Fay Full", capacity=0)
    submission = make_submission(state=State.SUBMITTED)

    response = client.post(
        f"/staff/submissions/{submission.id}/assign", data={"reviewer": full.id}, follow_redirects=True
    )

    assert "Fay Full cannot take this submission: at capacity." in text_of(response)
    assert holders_of(submission.current_version) == {}


def test_hand_assignment_offers_only_eligible_reviewers_and_names_why_not(
    client, staff, make_reviewer, make_user, submit_plan
):
    dana = make_reviewer(name="Dana Decliner")
    submission = submit_plan()  # to Dana, the only reviewer yet
    reviews.decline(reviewer=dana, assignment=assignment_of(submission.current_version, dana),
                    reason="I have a conflict of interest")
    db.session.commit()
    make_reviewer(name="Cole League", organization=AUTHOR_ORG)
    make_reviewer(name="Fay Full", capacity=0)
    make_reviewer(name="Pat Paused", is_active=False)
    make_reviewer(name="Una Unqualified", qualified=False)
    make_reviewer(name="Ezra Eligible")
    author = submission.educator
    author.is_reviewer = True
    reviews.ensure_profile(author)
    db.session.commit()

    page = text_of(client.get(f"/staff/submissions/{submission.id}"))

    offered = re.search(r'<select[^>]*id="assign-reviewer".*?</select>', page, flags=re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<—]+) —", offered) == ["Ezra Eligible"]
    refused = dict(re.findall(r"<li>([^<]+?) — \d+ of \d+ open: <strong>([^<]+)</strong></li>", page))
    assert refused == {
        "Cole League": "same organization", "Dana Decliner": "declined: conflict", "Fay Full": "at capacity",
        "Pat Paused": "inactive", "Una Unqualified": "not qualified for this stack",
        author.name: "the author, not qualified for this stack",
    }


def test_assigning_work_already_assigned_says_the_first_is_released(client, staff, make_reviewer, submit_plan):
    dana, ezra = make_reviewer(name="Dana Reviewer"), make_reviewer(name="Ezra Reviewer")
    submission = submit_plan()  # to Dana: equal loads, lowest id

    page = text_of(client.get(f"/staff/submissions/{submission.id}"))
    assert "Dana Reviewer's assignment will be released" in page

    response = client.post(f"/staff/submissions/{submission.id}/assign", data={"reviewer": ezra.id},
                           follow_redirects=True)

    assert "Assigned to Ezra Reviewer" in text_of(response)
    assert "Dana Reviewer's assignment was released." in text_of(response)
    db.session.expire_all()
    assert holders_of(submission.current_version) == {
        dana.id: AssignmentState.RELEASED, ezra.id: AssignmentState.OPEN
    }
    listing = listed(client.get("/staff/submissions"))[submission.id]
    assert "Ezra Reviewer, Dana Reviewer (released)" in listing


def test_assign_by_hand_refuses_a_decided_version(client, staff, make_reviewer, make_submission):
    reviewer = make_reviewer()
    submission = make_submission(state=State.EARNED)

    response = client.post(
        f"/staff/submissions/{submission.id}/assign", data={"reviewer": reviewer.id}, follow_redirects=True
    )

    assert "This version is not waiting for review" in text_of(response)
    assert holders_of(submission.current_version) == {}


def test_assign_by_hand_to_a_reviewer_who_declined_is_answered_not_crashed(
    client, staff, make_reviewer, submit_plan
):
    rita = make_reviewer(name="Rita Reviewer")
    submission = submit_plan()
    reviews.decline(reviewer=rita, assignment=assignment_of(submission.current_version, rita), reason="Conflict")
    db.session.commit()

    response = client.post(f"/staff/submissions/{submission.id}/assign", data={"reviewer": rita.id},
                           follow_redirects=True)

    assert "Rita Reviewer cannot take this submission: declined: conflict" in text_of(response)
    db.session.expire_all()
    assert holders_of(submission.current_version) == {rita.id: AssignmentState.DECLINED}


def test_reassign_in_one_click_moves_the_open_assignment(client, staff, make_reviewer, submit_plan):
    rita, raj = make_reviewer(name="Rita Reviewer"), make_reviewer(name="Raj Reviewer")
    submission = submit_plan()  # to Rita: equal loads, lowest id
    assignment = assignment_of(submission.current_version, rita)

    response = client.post(f"/staff/assignments/{assignment.id}/reassign", follow_redirects=True)

    assert "Reassigned to Raj Reviewer." in text_of(response)
    db.session.expire_all()
    assert holders_of(submission.current_version) == {rita.id: AssignmentState.RELEASED, raj.id: AssignmentState.OPEN}


def test_reassign_in_one_click_never_gives_it_back_to_the_same_reviewer(client, staff, make_reviewer, submit_plan):
    rita, raj = make_reviewer(name="Rita Reviewer"), make_reviewer(name="Raj Reviewer")
    submission = submit_plan()  # to Rita
    submit_plan()  # to Raj, who is now assigned more recently than Rita
    assignment = assignment_of(submission.current_version, rita)

    client.post(f"/staff/assignments/{assignment.id}/reassign")

    db.session.expire_all()
    assert holders_of(submission.current_version) == {rita.id: AssignmentState.RELEASED, raj.id: AssignmentState.OPEN}


def test_reassign_to_a_chosen_reviewer(client, staff, make_reviewer, submit_plan):
    rita, _raj, sam = make_reviewer(name="Rita"), make_reviewer(name="Raj"), make_reviewer(name="Sam")
    submission = submit_plan()
    assignment = assignment_of(submission.current_version, rita)

    client.post(f"/staff/assignments/{assignment.id}/reassign", data={"reviewer": sam.id})

    db.session.expire_all()
    assert holders_of(submission.current_version) == {rita.id: AssignmentState.RELEASED, sam.id: AssignmentState.OPEN}


def test_reassign_refused_keeps_the_assignment_open(client, staff, make_reviewer, submit_plan):
    rita = make_reviewer(name="Rita")
    colleague = make_reviewer(name="Cole", organization=AUTHOR_ORG)
    submission = submit_plan()
    assignment = assignment_of(submission.current_version, rita)

    response = client.post(
        f"/staff/assignments/{assignment.id}/reassign", data={"reviewer": colleague.id}, follow_redirects=True
    )

    assert "Cole cannot take this submission: same organization." in text_of(response)
    db.session.expire_all()
    assert holders_of(submission.current_version) == {rita.id: AssignmentState.OPEN}


def test_search_finds_by_name_email_and_number(client, staff, make_user, make_submission):
    ana = make_user(name="Ana Ortega", email="ana.ortega@riverside.example")
    bo = make_user(name="Bo Lindqvist", email="bo@lakeview.example")
    ana_work, bo_work = make_submission(educator=ana), make_submission(educator=bo)

    assert list(listed(client.get("/staff/submissions?q=ortega"))) == [ana_work.id]
    assert list(listed(client.get("/staff/submissions?q=LAKEVIEW.example"))) == [bo_work.id]
    assert list(listed(client.get(f"/staff/submissions?q=%23{bo_work.id}"))) == [bo_work.id]
    assert listed(client.get("/staff/submissions?q=%25")) == {}  # % is a plain character, not a wildcard


def test_search_too_long_is_refused_next_to_the_field_and_kept(client, staff, make_submission):
    make_submission()

    response = client.get("/staff/submissions?q=" + "x" * 101)

    page = text_of(response)
    assert response.status_code == 200
    assert "Search for at most 100 characters. The search was not applied." in page
    assert 'value="' + "x" * 101 + '"' in page
    assert len(listed(response)) == 1


def test_csv_export_uses_the_filters_and_neutralizes_formulas(client, staff, make_user, make_submission):
    evil = make_user(name="=HYPERLINK(\"http://evil.example\")", email="evil@example.org",
                     organization="+Cmd Org")
    other = make_user(name="Quiet Person")
    evil_work = make_submission(educator=evil)
    make_submission(educator=other)

    response = client.get("/staff/submissions.csv?q=evil")

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0][:4] == ["No.", "Educator", "Email", "Organization"]
    assert len(lines) == 2
    assert lines[1][:4] == [str(evil_work.id), "'=HYPERLINK(\"http://evil.example\")", "evil@example.org", "'+Cmd Org"]
    assert lines[1][6] == "Draft"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submissions.export"))
    assert event.actor_id == staff.id and event.detail == {"filters": {"q": "evil"}}


def test_csv_export_names_withdrawn_work(client, staff, make_submission):
    withdrawn = make_submission(state=State.WITHDRAWN)

    lines = list(csv.reader(io.StringIO(client.get("/staff/submissions.csv").get_data(as_text=True))))

    assert [line[6] for line in lines[1:] if line[0] == str(withdrawn.id)] == ["Withdrawn"]


def test_csv_export_is_staff_only(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/staff/submissions.csv").status_code in (403, 404)


def test_listing_tuple_names_the_listing_query_columns():
    """submission_rows reads the listing's rows into the Listing named tuple by position."""
    from portal.reviews import submission_list

    assert tuple(submission_list._LISTING.selected_columns.keys()) == submission_list.Listing._fields


def test_list_rows_escape_every_text_from_the_database(client, staff, make_user, make_reviewer, make_submission):
    """The rows are written in Python (submission_list.table_html), not by Jinja: each text is still escaped."""
    educator = make_user(name="Ed <b>Bold</b>", organization='Org "Q" & <i>Co</i>')
    submission = make_submission(educator=educator, state=State.SUBMITTED)
    give(submission.current_version, make_reviewer(name="Rev <script>x</script>"))
    cohort = Cohort(name="<em>Cohort</em>", stack_id=submission.credential.stack_id)
    db.session.add(cohort)
    db.session.flush()
    db.session.add(Membership(cohort_id=cohort.id, user_id=educator.id))
    db.session.commit()

    page = client.get("/staff/submissions").get_data(as_text=True)
    row = re.search(rf'<tr id="submission-{submission.id}">(.*?)</tr>', page, flags=re.S).group(1)

    for markup in ("<b>", "<i>", "<script>", "<em>", '"Q"'):
        assert markup not in row
    for escaped in ("Ed &lt;b&gt;Bold&lt;/b&gt;", "Org &#34;Q&#34; &amp; &lt;i&gt;Co&lt;/i&gt;",
                    "Rev &lt;script&gt;x&lt;/script&gt;", "&lt;em&gt;Cohort&lt;/em&gt;"):
        assert escaped in row
