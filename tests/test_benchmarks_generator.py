"""The benchmark data generator (benchmarks/generate.py) on a tiny size: the requested counts, the app's
invariants, and the pages the benchmarks drive render on its data."""

from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from benchmarks.generate import BENCH_PASSWORD, EMAIL_DOMAIN, Params, build_schema, generate
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.catalog.models import Credential
from portal.cohorts.models import Cohort, Membership
from portal.extensions import db
from portal.notifications.models import Notice
from portal.reviews import routing
from portal.reviews.models import Assignment, Review, ReviewerProfile
from portal.submissions.models import Artifact, Submission, Version
from portal.submissions.validation import submission_problems
from portal.text import count_words


@pytest.fixture
def app_config(app_config):
    # Double scoring on, so that the two-reviewer paths are generated too.
    return {**app_config, "CALIBRATION_SHARE": 0.3}


@pytest.fixture
def generated(app, tmp_path):
    # The test schema exists and is shared: the generator must add to it, never drop it.
    assert build_schema("existing").startswith("schema: existing")
    return generate(Params(submissions=30, reviewers=3, reviews=40, cohort_members=8, seed=1,
                           upload_folder=str(tmp_path / "uploads")), log=lambda _: None)


def test_generator_makes_the_requested_counts_and_keeps_the_invariants(generated):
    assert generated["submissions"] == 30
    assert generated["reviews"] == 40
    assert db.session.scalar(select(db.func.count()).where(User.is_reviewer)) == 3

    credentials = {c.id: c for c in db.session.scalars(select(Credential))}
    users = {u.id: u for u in db.session.scalars(select(User))}
    submissions = list(db.session.scalars(select(Submission)))
    versions = defaultdict(list)
    for version in db.session.scalars(select(Version).order_by(Version.number)):
        versions[version.submission_id].append(version)
    reviews = defaultdict(list)
    for review in db.session.scalars(select(Review)):
        reviews[review.version_id].append(review)
    assignments = list(db.session.scalars(select(Assignment)))
    files = Counter((a.version_id, a.part_key) for a in db.session.scalars(select(Artifact)))

    # One submission per educator and credential; prerequisites earned before the work on another began.
    assert len({(s.educator_id, s.credential_id) for s in submissions}) == len(submissions)
    earned_at = {(s.educator_id, s.credential_id): versions[s.id][-1].decided_at
                 for s in submissions if versions[s.id][-1].state == "earned"}
    for s in submissions:
        for prerequisite in credentials[s.credential_id].prerequisites:
            assert earned_at[(s.educator_id, prerequisite.id)] < s.created_at

    states = Counter()
    for s in submissions:
        numbers = [v.number for v in versions[s.id]]
        assert numbers == list(range(1, len(numbers) + 1))
        assert all(v.state == "not_yet" for v in versions[s.id][:-1])  # earlier versions were decided Not yet
        states[versions[s.id][-1].state] += 1
        for v in versions[s.id]:
            parts = v.requirements.parts
            assert v.requirements_id == credentials[s.credential_id].requirements.id
            assert (v.decided_at is not None) == (v.state in ("earned", "not_yet"))
            assert v.state in ("draft", "withdrawn") or v.submitted_at is not None
            if v.submitted_at is not None:
                counts = {key: n for (version_id, key), n in files.items() if version_id == v.id}
                assert submission_problems(parts, v.answers, counts) == []
                essays = [count_words(v.answers[p.key]["text"]) for p in parts if p.kind == "essay"]
                assert 260 <= sum(essays) <= 400
            confirmed = [r for r in reviews[v.id] if r.confirmed_at is not None]
            if v.state in ("earned", "not_yet"):
                assert len(confirmed) == routing.reviews_needed_for(s.id)
                for review in confirmed:
                    results = {r.part_key: r for r in review.results}
                    assert set(results) == {p.key for p in parts}
                    if v.state == "earned":
                        assert all(r.result == "yes" for r in results.values())
                    else:
                        assert any(r.result == "not_yet" and r.feedback for r in results.values())
            elif v.state in ("draft", "submitted", "withdrawn"):
                assert not reviews[v.id]
    assert states["earned"] and states["not_yet"] and states["draft"]

    for a in assignments:
        version = next(v for vs in versions.values() for v in vs if v.id == a.version_id)
        author = users[version.submission.educator_id]
        assert a.reviewer_id != author.id
        assert users[a.reviewer_id].organization_id != author.organization_id
    open_load = Counter(a.reviewer_id for a in assignments if a.state == "open")
    for profile in db.session.scalars(select(ReviewerProfile)):
        assert open_load[profile.user_id] <= profile.capacity

    cohort = db.session.scalar(select(Cohort).where(Cohort.name.like("%(benchmark)%")))
    assert db.session.scalar(select(db.func.count()).where(Membership.cohort_id == cohort.id)) == 8

    # One shared hash that the app's own sign-in accepts; new rows still get fresh ids.
    staff = db.session.scalar(select(User).where(User.email == f"staff1@{EMAIL_DOMAIN}"))
    assert accounts.authenticate(staff.email, BENCH_PASSWORD) == staff
    db.session.add(Notice(user_id=staff.id, text="after the generator"))
    db.session.commit()


def test_the_benchmarked_pages_render_on_generated_data(generated, client, login_as):
    staff = db.session.scalar(select(User).where(User.email == f"staff1@{EMAIL_DOMAIN}"))
    cohort = db.session.scalar(select(Cohort).where(Cohort.name.like("%(benchmark)%")))
    assignment = db.session.scalar(select(Assignment).where(Assignment.state == "open").order_by(Assignment.id))
    login_as(staff)
    assert client.get("/staff/submissions").status_code == 200
    assert client.get(f"/staff/cohorts/{cohort.id}").status_code == 200
    login_as(db.session.get(User, assignment.reviewer_id))
    assert client.get(f"/review/assignments/{assignment.id}").status_code == 200
    assert client.get("/review").status_code == 200
