"""Bulk data for the benchmarks: organizations, educators, reviewers, submissions in every state with their
versions, assignments, reviews and part results, notices, the audit trail, and cohorts with members.

    python -m benchmarks.generate --database-url URL --submissions 2000 --reviewers 20 --reviews 4000 \
        --cohort-members 250 --seed 1

Rows are inserted with SQLAlchemy Core (lists of dicts, in chunks) and explicit ids, never through the
per-row services, but they keep the app's invariants:

- the bundled stack is loaded through portal.catalog.services.sync_stack, and every version points at its
  credential's current requirements;
- version states pass the CHECK constraints: decided_at exactly for earned / not_yet, submitted_at for
  every state past draft (and for a version withdrawn after it was submitted);
- one submission per educator and credential; credentials with prerequisites only after they were earned;
- a version in review or decided has as many reviewers as routing.reviews_needed_for() says (double scoring
  follows the app's CALIBRATION_SHARE), none from the author's organization; a revision goes back to the
  previous reviewer; open work stays within each reviewer's capacity (5-12): what does not fit waits in the
  staff queue unassigned, as it would in a program with few reviewers;
- a decided version has confirmed Review + PartResult rows (one per part) that match the decision: earned
  means every part Yes, Not yet means at least one part Not yet with feedback; double-scored decided versions
  agree; an in-review version has a saved (unconfirmed) review, or one of its two confirmed, or two confirmed
  that disagree (they show as "Needs adjudication");
- every password hash is one argon2 hash of BENCH_PASSWORD made once with the app's settings.

The number of review rows is exactly --reviews: earlier "Not yet" versions (revisions) are added to (or
removed from) submissions until the count matches.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, inspect, select, text

from benchmarks import texts

BENCH_PASSWORD = "benchmark-password"  # every generated account; printed by the scripts, never used in production
EMAIL_DOMAIN = "bench.example.org"
MAX_EARLIER_VERSIONS = 6
CHUNK = 5000

# How the current version of a submission is spread over the states.
ROOT_STATES = {"earned": 0.62, "not_yet": 0.08, "in_review": 0.06, "submitted": 0.06, "draft": 0.12, "withdrawn": 0.06}
OTHER_STATES = {"earned": 0.36, "not_yet": 0.16, "in_review": 0.1, "submitted": 0.1, "draft": 0.2, "withdrawn": 0.08}
# How many of the other credentials an educator who earned the first one takes on.
OTHER_COUNTS = {0: 0.2, 1: 0.25, 2: 0.25, 3: 0.18, 4: 0.12}
WAITING_SHARE = 0.15  # submitted versions that no reviewer holds yet (the staff queue), at least
CAPACITY = (5, 12)  # open assignments a reviewer takes at most; the app's default is 5
DECLINED_SHARE = 0.04  # decided versions whose first reviewer declined before another took it
OTHER_COHORTS = 3


@dataclass
class Params:
    submissions: int = 2000
    reviewers: int = 20
    reviews: int = 4000
    cohort_members: int = 250
    seed: int = 1
    upload_folder: str | None = None


@dataclass
class Sub:
    id: int
    educator: int
    credential: int  # index into the credential list
    state: str
    needed: int = 1
    earlier: int = 0  # earlier versions, each decided Not yet
    in_review: str = ""  # saved | one_confirmed | disagree
    waiting: bool = False
    withdrawn_after_submit: bool = False


@dataclass
class Edu:
    id: int
    organization: int
    subs: list[Sub] = field(default_factory=list)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _base_reviews(sub: Sub) -> int:
    if sub.state in ("earned", "not_yet"):
        return sub.needed
    if sub.state == "in_review":
        return 2 if sub.in_review == "disagree" else 1
    return 0


def total_reviews(subs: list[Sub]) -> int:
    return sum(_base_reviews(s) + s.earlier * s.needed for s in subs)


# ---------------------------------------------------------------------------------------------- the plan


def plan_submissions(params: Params, rng: random.Random, *, n_credentials: int, roots: list[int],
                     first_sub_id: int, first_user_id: int, needed_for, open_slots: int = 10**9) -> list[Edu]:
    """Educators and their submissions (states, double scoring, revisions) adding up to the requested counts."""
    advanced = [i for i in range(n_credentials) if i not in roots]
    educators: list[Edu] = []
    count = 0
    while count < params.submissions:
        edu = Edu(id=first_user_id + len(educators), organization=0)
        left = params.submissions - count
        root_state = _pick(rng, ROOT_STATES)
        edu.subs.append(Sub(0, edu.id, rng.choice(roots), root_state))
        if root_state == "earned" and advanced:
            m = min(left - 1, _pick(rng, OTHER_COUNTS), len(advanced))
            for credential in rng.sample(advanced, m):
                edu.subs.append(Sub(0, edu.id, credential, _pick(rng, OTHER_STATES)))
        count += len(edu.subs)
        educators.append(edu)
    subs = [s for e in educators for s in e.subs]
    for offset, sub in enumerate(subs):
        sub.id = first_sub_id + offset
        sub.needed = needed_for(sub.id)
        if sub.state == "in_review":
            sub.in_review = "saved" if sub.needed == 1 else rng.choice(("saved", "one_confirmed", "disagree"))
        elif sub.state == "submitted":
            sub.waiting = rng.random() < WAITING_SHARE
        elif sub.state == "withdrawn":
            sub.withdrawn_after_submit = rng.random() < 0.5
    _fit_capacity(subs, open_slots)
    _match_review_count(subs, params.reviews, rng)
    return educators


def _open_demand(sub: Sub) -> int:
    """Open assignments the current version holds."""
    if sub.state == "submitted" and not sub.waiting:
        return sub.needed
    if sub.state == "in_review":
        return {"saved": sub.needed, "one_confirmed": 1, "disagree": 0}[sub.in_review]
    return 0


def _fit_capacity(subs: list[Sub], slots: int) -> None:
    """Open work beyond 85% of the reviewers' capacity waits unassigned. Versions in review take at most half
    of it (the others go back to submitted-and-waiting: nobody could have started them), submitted versions
    with a reviewer the rest."""
    limit = int(slots * 0.85)
    in_review = sum(_open_demand(s) for s in subs if s.state == "in_review")
    for sub in subs:
        if in_review <= limit // 2:
            break
        if sub.state == "in_review" and sub.in_review != "disagree":
            in_review -= _open_demand(sub)
            sub.state, sub.in_review, sub.waiting = "submitted", "", True
    submitted = sum(_open_demand(s) for s in subs if s.state == "submitted")
    for sub in subs:
        if in_review + submitted <= limit:
            break
        if sub.state == "submitted" and not sub.waiting:
            submitted -= _open_demand(sub)
            sub.waiting = True


def _match_review_count(subs: list[Sub], target: int, rng: random.Random) -> None:
    """Add or remove earlier Not-yet versions (then change states) until the review rows number `target`."""
    deficit = target - total_reviews(subs)
    order = list(subs)
    rng.shuffle(order)
    guard = 0
    while deficit > 0:
        guard += 1
        if guard > 50 * len(subs) + 1000:
            raise ValueError(f"cannot reach {target} reviews with {len(subs)} submissions")
        sub = rng.choice(order)
        if sub.earlier < MAX_EARLIER_VERSIONS and sub.needed <= deficit:
            sub.earlier += 1
            deficit -= sub.needed
        elif deficit == 1 and not any(s.needed == 1 and s.earlier < MAX_EARLIER_VERSIONS for s in subs):
            deficit -= _toggle_disagreement(subs, +1)
    for sub in order:  # too many: fewer revisions first
        while deficit < 0 and sub.earlier and sub.needed <= -deficit:
            sub.earlier -= 1
            deficit += sub.needed
    per_educator = Counter(s.educator for s in subs)
    prerequisite_holders = {educator for educator, n in per_educator.items() if n > 1}
    for sub in order:  # still too many: decided or in-review versions go back to "submitted"
        if deficit >= 0:
            break
        if sub.state not in ("earned", "not_yet", "in_review") or _base_reviews(sub) > -deficit:
            continue
        if sub.state == "earned" and sub.educator in prerequisite_holders:
            continue
        deficit += _base_reviews(sub)
        sub.state, sub.in_review = "submitted", ""
    if deficit == -1:
        deficit += _toggle_disagreement(subs, -1)
    if deficit:
        raise ValueError(f"cannot reach exactly {target} reviews with {len(subs)} submissions (off by {-deficit})")


def _toggle_disagreement(subs: list[Sub], step: int) -> int:
    """A double-scored version in review carries one review (saved) or two (both confirmed, disagreeing)."""
    for sub in subs:
        if sub.state == "in_review" and sub.needed == 2:
            if step > 0 and sub.in_review != "disagree":
                sub.in_review = "disagree"
                return 1
            if step < 0 and sub.in_review == "disagree":
                sub.in_review = "saved"
                return 1
    raise ValueError("no double-scored version in review to adjust the review count with")


# ---------------------------------------------------------------------------------------------- the rows


class Rows:
    """Rows per table, with the next free id of each table."""

    def __init__(self, next_ids: dict[str, int]):
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.next_ids = dict(next_ids)

    def add(self, table: str, **values) -> int:
        if "id" not in values and table in self.next_ids:
            values["id"] = self.next_ids[table]
            self.next_ids[table] += 1
        self.rows[table].append(values)
        return values.get("id", 0)


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


def _answers(rng: random.Random, parts: list[dict], *, draft: bool) -> dict:
    """Essays of 130-200 words each (the two essays of a version: 260-400 words) and complete plans.
    Some drafts are unfinished or over a word limit, as drafts may be."""
    mode = rng.choices(("complete", "partial", "over"), weights=(70, 15, 15))[0] if draft else "complete"
    answers = {}
    for index, part in enumerate(parts):
        if mode == "partial" and index > 0:
            break
        if part["kind"] == "essay":
            limit = part.get("word_limit") or 200
            over = mode == "over" and index == 0
            answers[part["key"]] = {"text": texts.essay(rng, limit + 1, limit + 30) if over
                                    else texts.essay(rng, min(130, limit), limit)}
        elif part["kind"] == "plan":
            keys = [f["key"] for f in part.get("fields") or []]
            goals = (part.get("min_goals") or 1) + (1 if rng.random() < 0.25 else 0)
            answers[part["key"]] = {"goals": [texts.goal(rng, keys) for _ in range(goals)]}
    return answers


def _results(rng: random.Random, parts: list[dict], outcome: str, *, not_yet_keys=None) -> list[tuple]:
    """(part_key, result, feedback) for every part. Earned: every part Yes. Not yet: the given parts Not yet."""
    if outcome == "not_yet" and not not_yet_keys:
        not_yet_keys = {p["key"] for p in rng.sample(parts, rng.choice((1, 1, 2)))}
    out = []
    for part in parts:
        if outcome == "not_yet" and part["key"] in not_yet_keys:
            out.append((part["key"], "not_yet", rng.choice(texts.FEEDBACK_NOT_YET)))
        else:
            out.append((part["key"], "yes", rng.choice(texts.FEEDBACK_YES)))
    return out


class Builder:
    """Turns the plan into rows: versions, artifacts, assignments, reviews, notices, mail and audit."""

    def __init__(self, rng, now, rows: Rows, credentials, users, reviewers, paused, files, staff_ids, capacity):
        self.rng, self.now, self.rows = rng, now, rows
        self.credentials = credentials  # [{id, title, requirements_id, parts}]
        self.users = users  # id -> {email, organization}
        self.reviewers = reviewers  # reviewer user ids
        self.paused = paused
        self.files = files  # [(stored_name, size, sha256)]
        self.staff_ids = staff_ids
        self.capacity = capacity  # reviewer -> open assignments they take at most
        self.open_load: dict[int, int] = defaultdict(int)
        self.last_assigned: dict[int, datetime] = {}

    # -- time lines, built backwards from the last event so that open work is recent

    def anchor(self, state: str) -> datetime:
        now, rng = self.now, self.rng
        ranges = {"submitted": (0.1, 20), "in_review": (0.5, 20), "draft": (0.05, 60), "earned": (1, 240),
                  "not_yet": (1, 120), "withdrawn": (1, 200)}
        low, high = ranges[state]
        return now - _days(rng, low, high)

    def build(self, edu: Edu) -> None:
        advanced = [s for s in edu.subs if s.state and s is not edu.subs[0]]
        starts = []
        for sub in advanced:
            starts.append(self.submission(edu, sub, self.anchor(sub.state)))
        root = edu.subs[0]
        end = (min(starts) - _days(self.rng, 0.5, 10)) if starts else self.anchor(root.state)
        self.submission(edu, root, end)

    def submission(self, edu: Edu, sub: Sub, end: datetime) -> datetime:
        """Rows of one submission whose last event is at `end`; returns when it was created."""
        rng = self.rng
        credential = self.credentials[sub.credential]
        # (state, created, submitted, decided, withdrawn) per version, newest first
        lines = []
        state = sub.state
        if state == "draft":
            saved = end
            created = saved - _days(rng, 0, 10)
            lines.append(("draft", created, saved, None, None, None))
        elif state == "withdrawn":
            submitted = end - _days(rng, 0.5, 5) if sub.withdrawn_after_submit else None
            created = (submitted or end) - _days(rng, 1, 20)
            lines.append(("withdrawn", created, submitted or end, submitted, None, end))
        elif state in ("submitted", "in_review"):
            created = end - _days(rng, 1, 20)
            lines.append((state, created, end, end, None, None))
        else:
            submitted = end - _days(rng, 1, 14)
            created = submitted - _days(rng, 1, 20)
            lines.append((state, created, submitted, submitted, end, None))
        for _ in range(sub.earlier):
            decided = lines[-1][1] - _days(rng, 0.2, 20)
            submitted = decided - _days(rng, 1, 14)
            created = submitted - _days(rng, 1, 20)
            lines.append(("not_yet", created, submitted, submitted, decided, None))
        lines.reverse()
        first_created = lines[0][1]
        self.rows.add("submissions", id=sub.id, educator_id=edu.id, credential_id=credential["id"],
                      created_at=first_created)
        self.audit("submission.start", edu.id, sub.id, first_created, {})
        previous_reviewers: list[int] = []
        for number, (v_state, created, saved, submitted, decided, withdrawn) in enumerate(lines, start=1):
            version_id = self.rows.add(
                "submission_versions", submission_id=sub.id, number=number,
                requirements_id=credential["requirements_id"], state=v_state,
                answers=_answers(rng, credential["parts"], draft=v_state == "draft" or (
                    v_state == "withdrawn" and not submitted)),
                revision=rng.randint(2, 40), created_at=created, saved_at=saved, submitted_at=submitted,
                decided_at=decided, withdrawn_at=withdrawn,
            )
            if number > 1:
                self.audit("submission.draft", edu.id, sub.id, created, {"version": number})
            self.artifacts(version_id, credential["parts"], created, draft=submitted is None)
            if submitted:
                self.audit("submission.submitted", edu.id, sub.id, submitted, {"version": number})
                self.notice(edu.id, f"We received “{credential['title']}” (version {number}).",
                            f"/submissions/{sub.id}/versions/{number}", submitted, "submission.received")
            if v_state in ("earned", "not_yet"):
                previous_reviewers = self.decided(edu, sub, version_id, number, v_state, submitted, decided,
                                                  previous_reviewers)
            elif v_state == "in_review":
                self.in_review(edu, sub, version_id, number, submitted, previous_reviewers)
            elif v_state == "submitted" and not sub.waiting:
                for reviewer in self.choose(edu, sub.needed, previous_reviewers, open_=True, full_ok=False):
                    self.assign(sub, version_id, number, reviewer, submitted + _days(rng, 0.001, 0.2), "open")
            elif v_state == "withdrawn":
                if submitted and rng.random() < 0.7:
                    for reviewer in self.choose(edu, sub.needed, previous_reviewers, open_=False):
                        self.assign(sub, version_id, number, reviewer, submitted + _days(rng, 0.001, 0.2),
                                    "released", closed=withdrawn)
                self.audit("submission.withdrawn", edu.id, sub.id, withdrawn, {"version": number})
        return first_created

    # -- reviewers

    def choose(self, edu: Edu, count: int, preferred: list[int], *, open_: bool, exclude=(),
               full_ok: bool = True) -> list[int]:
        """Reviewers from another organization than the author's: the previous ones first, then (for open
        work) the least loaded, or anyone eligible for finished work."""
        org = edu.organization
        eligible = [r for r in self.reviewers if self.users[r]["organization"] != org and r not in exclude
                    and not (open_ and r in self.paused)]
        if open_:  # new open work only for those under capacity (if nobody is, the least loaded: rare)
            free = [r for r in eligible if self.open_load[r] < self.capacity[r]]
            eligible = free if len(free) >= count or not full_ok else eligible
        chosen = [r for r in preferred if r in eligible][:count]
        rest = [r for r in eligible if r not in chosen]
        if open_:
            self.rng.shuffle(rest)
            rest.sort(key=lambda r: self.open_load[r] / self.capacity[r])
        else:
            rest = self.rng.sample(rest, min(len(rest), count - len(chosen)))
        return chosen + rest[: count - len(chosen)]

    def assign(self, sub: Sub, version_id: int, number: int, reviewer: int, at: datetime, state: str, *,
               closed=None, reason="") -> int:
        at = min(at, self.now - timedelta(minutes=1))
        assignment_id = self.rows.add(
            "assignments", version_id=version_id, reviewer_id=reviewer, state=state, assigned_at=at,
            due_at=at + timedelta(days=14), reminded_at=None, overdue_notified_at=None, closed_at=closed,
            decline_reason=reason,
        )
        if state == "open":
            self.open_load[reviewer] += 1
        self.last_assigned[reviewer] = max(self.last_assigned.get(reviewer, at), at)
        title = self.credentials[sub.credential]["title"]
        self.notice(reviewer, f"New review: “{title}”, due {at + timedelta(days=14):%d %b %Y}.",
                    f"/review/assignments/{assignment_id}", at, "review.assigned")
        self.audit("review.assign", None, sub.id, at, {"version": number, "reviewer": reviewer,
                                                       "assignment": assignment_id})
        if state == "declined":
            self.audit("review.decline", reviewer, sub.id, closed, {"reason": reason})
        return assignment_id

    def review(self, sub: Sub, version_id: int, number: int, reviewer: int, assignment_id: int,
               created: datetime, confirmed: datetime | None, results: list[tuple]) -> int:
        review_id = self.rows.add("reviews", version_id=version_id, reviewer_id=reviewer,
                                  assignment_id=assignment_id, is_adjudication=False, created_at=created,
                                  confirmed_at=confirmed)
        for key, result, feedback in results:
            self.rows.add("part_results", review_id=review_id, part_key=key, result=result, feedback=feedback)
        if confirmed:
            outcome = "earned" if all(r == "yes" for _, r, _ in results) else "not_yet"
            self.audit("review.confirm", reviewer, sub.id, confirmed, {"version": number, "outcome": outcome})
        return review_id

    def decided(self, edu, sub, version_id, number, state, submitted, decided, previous) -> list[int]:
        rng = self.rng
        parts = self.credentials[sub.credential]["parts"]
        reviewers = self.choose(edu, sub.needed, previous, open_=False)
        start = submitted + (decided - submitted) * rng.uniform(0.001, 0.1)
        if rng.random() < DECLINED_SHARE:
            declined = self.choose(edu, 1, [], open_=False, exclude=reviewers)
            if declined:
                closed = start + (decided - start) * rng.uniform(0.05, 0.3)
                self.assign(sub, version_id, number, declined[0], start, "declined", closed=closed,
                            reason="I do not have time to review it by the due date")
                start = closed
        results = _results(rng, parts, state)
        not_yet_keys = {k for k, r, _ in results if r == "not_yet"}
        for i, reviewer in enumerate(reviewers):
            # the last confirmation decides the version, at decided_at exactly
            confirmed = decided if i == len(reviewers) - 1 else start + (decided - start) * rng.uniform(0.3, 0.95)
            assignment_id = self.assign(sub, version_id, number, reviewer, start, "done", closed=confirmed)
            mine = results if i == 0 else _results(rng, parts, state, not_yet_keys=not_yet_keys)
            self.review(sub, version_id, number, reviewer, assignment_id,
                        start + (confirmed - start) * rng.uniform(0.1, 0.9), confirmed, mine)
        if reviewers:
            self.audit("submission.in_review", reviewers[0], sub.id, start, {"version": number})
        self.audit(f"submission.{state}", reviewers[-1] if reviewers else None, sub.id, decided,
                   {"version": number})
        title = self.credentials[sub.credential]["title"]
        text_ = f"“{title}” was earned." if state == "earned" else f"“{title}”: a reviewer marked some parts Not yet."
        self.notice(edu.id, text_, f"/submissions/{sub.id}/versions/{number}", decided, "submission.decided")
        return reviewers

    def in_review(self, edu, sub, version_id, number, submitted, previous) -> None:
        rng = self.rng
        parts = self.credentials[sub.credential]["parts"]
        reviewers = self.choose(edu, sub.needed, previous, open_=True)
        at = submitted + _days(rng, 0.001, 0.2)
        span = max(self.now - at, timedelta(minutes=10))
        for i, reviewer in enumerate(reviewers):
            confirm = sub.in_review == "disagree" or (sub.in_review == "one_confirmed" and i == 0)
            if confirm:
                confirmed = at + span * rng.uniform(0.2, 0.8)
                assignment_id = self.assign(sub, version_id, number, reviewer, at, "done", closed=confirmed)
                outcome = "not_yet" if (sub.in_review == "disagree" and i == 1) else "earned"
                self.review(sub, version_id, number, reviewer, assignment_id, at + span * 0.1, confirmed,
                            _results(rng, parts, outcome))
            else:
                assignment_id = self.assign(sub, version_id, number, reviewer, at, "open")
                if i == 0 and sub.in_review == "saved":
                    filled = rng.randint(1, len(parts))
                    results = [(k, r, f) if j < filled else (k, None, "")
                               for j, (k, r, f) in enumerate(_results(rng, parts, rng.choice(("earned", "not_yet"))))]
                    self.review(sub, version_id, number, reviewer, assignment_id, at + span * 0.3, None, results)
        if reviewers:
            self.audit("submission.in_review", reviewers[0], sub.id, at + span * 0.1, {"version": number})

    # -- the rest

    def artifacts(self, version_id: int, parts: list[dict], at: datetime, *, draft: bool) -> None:
        rng = self.rng
        for part in parts:
            count = 0
            if part.get("min_files"):
                count = part["min_files"] + (1 if rng.random() < 0.3 else 0)
                if draft:
                    count = rng.choice((0, count))
            elif part.get("accepts_artifacts") and rng.random() < 0.4:
                count = 1
            for n in range(count):
                stored, size, digest = rng.choice(self.files)
                self.rows.add("artifacts", version_id=version_id, part_key=part["key"], stored_name=stored,
                              original_name=f"{part['key'].replace('_', '-')}-{n + 1}.pdf", kind="pdf", size=size,
                              sha256=digest, uploaded_at=at)

    def notice(self, user_id: int, text_: str, link: str, at: datetime, kind: str) -> None:
        rng = self.rng
        recent = at > self.now - timedelta(days=7)
        read = None if (recent and rng.random() < 0.5) else min(at + _days(rng, 0, 2), self.now)
        self.rows.add("notices", user_id=user_id, text=text_[:300], link=link, created_at=at, read_at=read)
        self.rows.add("outbox_messages", to_address=self.users[user_id]["email"], subject=text_[:200],
                      body=text_ + "\n\nOpen the portal to see more.", kind=kind, created_at=at, next_attempt_at=at,
                      attempts=1, last_error="", sent_at=min(at + timedelta(minutes=1), self.now))

    def audit(self, action: str, actor: int | None, submission_id: int, at: datetime, detail: dict) -> None:
        self.rows.add("audit_events", at=at, actor_id=actor, action=action, subject_type="submissions",
                      subject_id=submission_id, address="127.0.0.1", detail=detail)


# ---------------------------------------------------------------------------------------------- schema


def migrations_cover_models() -> tuple[bool, str]:
    """Upgrade a throwaway SQLite database with the project's migrations and compare it with the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/check.db", "UPLOAD_FOLDER": tmp})
        with app.app_context():
            upgrade()
            logging.getLogger("alembic").setLevel(logging.WARNING)  # the migrations' env.py turned it up
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            db.engine.dispose()
    if diff:
        first = diff[0][0] if isinstance(diff[0], list) else diff[0]
        example = " ".join(str(getattr(x, "name", x)) for x in first[:2])
        return False, f"{len(diff)} difference(s) between the migrations and the models (first: {example})"
    return True, "the migrations cover every model"


def build_schema(mode: str, *, drop: bool = False) -> str:
    """Create the tables. mode: auto | create | upgrade | existing. Returns a line saying what was done."""
    from flask_migrate import upgrade

    from portal.extensions import db

    if mode == "existing":
        missing = set(db.metadata.tables) - set(inspect(db.engine).get_table_names())
        if missing:
            raise SystemExit(f"--schema existing, but these tables are missing: {', '.join(sorted(missing))}")
        return "schema: existing tables used as they are"
    reason = ""
    if mode == "auto":
        covered, reason = migrations_cover_models()
        mode = "upgrade" if covered else "create"
    present = set(db.metadata.tables) & set(inspect(db.engine).get_table_names())
    if present and not drop:
        raise SystemExit(f"the database already has portal tables ({len(present)}); pass --drop to replace them, "
                         "or --schema existing to add to them")
    if present:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    if mode == "upgrade":
        upgrade()
        return "schema: flask db upgrade (the migrations cover every model)"
    db.create_all()
    why = f" -- {reason}, so flask db upgrade would not build them all" if reason else ""
    return f"schema: db.create_all(){why}"


# ---------------------------------------------------------------------------------------------- main work


def _next_id(table) -> int:
    from portal.extensions import db

    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _pdf_files(folder: Path, rng: random.Random, count: int = 24) -> list[tuple[str, int, str]]:
    """A pool of small real PDF files; artifacts of different versions share them (as carried-forward files do)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for _ in range(count):
        padding = b"%" + b"x" * rng.randint(20_000, 400_000) + b"\n"
        body = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + padding + b"trailer<<>>\n%%EOF\n"
        name = secrets.token_urlsafe(24)
        (folder / name).write_bytes(body)
        files.append((name, len(body), hashlib.sha256(body).hexdigest()))
    return files


def generate(params: Params, *, log=print) -> dict[str, int]:
    """Insert the data into the app's database (the tables must exist). Returns row counts per table."""
    from portal.accounts.services import hash_password
    from portal.audit import utcnow
    from portal.catalog.loader import bundled_stack_paths, load_stack
    from portal.catalog.models import Stack
    from portal.catalog.services import sync_stack
    from portal.cohorts.profile import PREFER_NOT, seed_profile_fields
    from portal.extensions import db
    from portal.reviews import routing

    started = time.perf_counter()
    rng = random.Random(params.seed)
    meta = db.metadata.tables
    if db.session.scalar(select(func.count()).select_from(meta["users"]).where(
            meta["users"].c.email.like(f"%@{EMAIL_DOMAIN}"))):
        raise SystemExit(f"this database already holds generated accounts (@{EMAIL_DOMAIN})")

    for path in bundled_stack_paths():
        sync_stack(load_stack(path))
    seed_profile_fields()
    db.session.commit()
    stack = db.session.scalar(select(Stack).order_by(Stack.id))
    credentials = [
        {"id": c.id, "slug": c.slug, "title": c.title, "requirements_id": c.requirements.id,
         "parts": c.requirements.parts_data, "prerequisites": [p.id for p in c.prerequisites]}
        for c in stack.credentials
    ]
    roots = [i for i, c in enumerate(credentials) if not c["prerequisites"]]
    if any(set(c["prerequisites"]) - {credentials[r]["id"] for r in roots} for c in credentials):
        raise SystemExit("the generator handles one level of prerequisites (every prerequisite without its own)")
    if any(len(c["prerequisites"]) > 1 for c in credentials) or len(roots) != 1:
        raise SystemExit("the generator expects one first credential that every other one requires")
    profile_fields = meta["profile_fields"]
    fields = db.session.execute(select(profile_fields.c.id, profile_fields.c.choices)).all()
    stacks = [stack.id]
    if params.reviewers < 2:
        raise SystemExit("--reviewers must be at least 2 (an author's colleague can never review their work)")

    next_ids = {name: _next_id(table) for name, table in meta.items() if "id" in table.c and name != "stacks"}
    rows = Rows(next_ids)
    now = utcnow()

    # People. One argon2 hash with the app's settings, shared by every generated account.
    password_hash = hash_password(BENCH_PASSWORD)
    n_staff = 2
    first_user = rows.next_ids["users"]
    capacities = [rng.randint(*CAPACITY) for _ in range(params.reviewers)]
    paused_count = 1 if params.reviewers > 2 else 0
    educators = plan_submissions(
        params, rng, n_credentials=len(credentials), roots=roots, first_sub_id=rows.next_ids["submissions"],
        first_user_id=first_user + n_staff + params.reviewers, needed_for=routing.reviews_needed_for,
        open_slots=sum(capacities[: params.reviewers - paused_count]),
    )
    rows.next_ids["submissions"] += params.submissions
    n_orgs = max(3, round(len(educators) / 35))
    org_names = texts.organization_names(n_orgs + 5, rng)
    org_ids = [rows.add("organizations", name=name) for name in org_names]
    program_office = org_ids[-1]
    district_orgs, reviewer_only_orgs = org_ids[:n_orgs], org_ids[n_orgs:-1]

    users: dict[int, dict] = {}

    def person(email_prefix: str, n: int, org: int, *, educator=False, reviewer=False, staff=False) -> int:
        email = f"{email_prefix}{n}@{EMAIL_DOMAIN}"
        user_id = rows.add("users", email=email, name=texts.person_name(rng), organization_id=org,
                           password_hash=password_hash, is_educator=educator, is_reviewer=reviewer, is_staff=staff,
                           created_at=now - timedelta(days=730), email_confirmed_at=now - timedelta(days=730))
        users[user_id] = {"email": email, "organization": org}
        return user_id

    staff_ids = [person("staff", n, program_office, staff=True) for n in range(1, n_staff + 1)]
    reviewer_ids = []
    for n in range(1, params.reviewers + 1):
        # Most reviewers come from organizations without educators here; some from the districts themselves.
        # The first two never share an organization with an author, so every version can get its reviewers.
        org = rng.choice(reviewer_only_orgs) if n <= 2 or rng.random() < 0.6 else rng.choice(district_orgs)
        reviewer_ids.append(person("reviewer", n, org, reviewer=True))
    paused = {reviewer_ids[-1]} if len(reviewer_ids) > 2 else set()
    for n, edu in enumerate(educators, start=1):
        edu.organization = rng.choice(district_orgs)
        assert person("educator", n, edu.organization, educator=True) == edu.id
    for user_id in reviewer_ids:
        rows.add("reviewer_stacks", reviewer_id=user_id, stack_id=stacks[0])

    # Work: submissions and everything that happened to them.
    upload_folder = Path(params.upload_folder or current_app.config["UPLOAD_FOLDER"])
    builder = Builder(rng, now, rows, credentials, users, reviewer_ids, paused, _pdf_files(upload_folder, rng),
                      staff_ids, dict(zip(reviewer_ids, capacities, strict=True)))
    for edu in educators:
        builder.build(edu)
    for user_id in reviewer_ids:
        load = builder.open_load[user_id]
        rows.add("reviewer_profiles", user_id=user_id, is_active=user_id not in paused,
                 capacity=max(builder.capacity[user_id], load), last_assigned_at=builder.last_assigned.get(user_id))

    # Cohorts: the benchmark cohort with --cohort-members members, the other educators in a few more.
    people = [e.id for e in educators]
    rng.shuffle(people)
    size = min(params.cohort_members, len(people))
    groups = [people[:size]]
    rest = people[size:]
    per = -(-len(rest) // OTHER_COHORTS) if rest else 0
    groups += [rest[i:i + per] for i in range(0, len(rest), per)] if per else []
    for index, members in enumerate(groups):
        main = index == 0
        cohort_id = rows.add(
            "cohorts", name="Digital Equity Leaders (benchmark)" if main else f"District Cohort {index}",
            program="Digital Equity", description="Generated for the benchmarks.", starts_on=date(now.year - 1, 9, 1),
            ends_on=date(now.year + 1, 6, 30), stack_id=stacks[0], created_at=now - timedelta(days=400),
            updated_at=now - timedelta(days=400),
        )
        chosen = credentials if main or index % 2 else credentials[:3]
        for c in chosen:
            rows.add("cohort_credentials", cohort_id=cohort_id, credential_id=c["id"])
        if main:
            milestones = [("Foundations earned", now.date() - timedelta(days=60), chosen[:1]),
                          ("Challenges and stakeholders", now.date() + timedelta(days=45), chosen[1:3]),
                          ("District plan", now.date() + timedelta(days=150), chosen[3:4])]
            for title, due, creds in milestones:
                milestone_id = rows.add("cohort_milestones", cohort_id=cohort_id, title=title, due_on=due)
                for c in creds:
                    rows.add("cohort_milestone_credentials", milestone_id=milestone_id, credential_id=c["id"])
        for user_id in members:
            rows.add("cohort_memberships", cohort_id=cohort_id, user_id=user_id,
                     district_role=rng.choice(texts.DISTRICT_ROLES), joined_at=now - timedelta(days=390))
    for user_id in people:
        for field_id, choices in fields:
            if rng.random() < 0.65:
                value = rng.choice(choices) if choices else PREFER_NOT
                rows.add("profile_answers", user_id=user_id, field_id=field_id, value=value, updated_at=now)

    planned = time.perf_counter()
    order = [t.name for t in db.metadata.sorted_tables]
    for name in order:
        data = rows.rows.get(name)
        if not data:
            continue
        for i in range(0, len(data), CHUNK):
            db.session.execute(insert(meta[name]), data[i:i + CHUNK])
    db.session.commit()
    finish_database()
    counts = {name: db.session.scalar(select(func.count()).select_from(meta[name])) for name in order}
    log(f"planned in {planned - started:.1f}s, inserted in {time.perf_counter() - planned:.1f}s")
    return counts


def finish_database() -> None:
    """PostgreSQL: move every id sequence past the explicit ids, then ANALYZE (as autovacuum soon would)."""
    from portal.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 -- our table names
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                ))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def print_summary(counts: dict[str, int], seconds: float, *, schema_line: str, out=sys.stdout) -> None:
    print(schema_line, file=out)
    width = max(len(name) for name in counts)
    for name, n in counts.items():
        print(f"  {name:<{width}}  {n:>9,}", file=out)
    print(f"done in {seconds:.1f}s; every generated account's password is {BENCH_PASSWORD!r}", file=out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=not os.environ.get(
        "DATABASE_URL"), help="SQLAlchemy URL (default: $DATABASE_URL)")
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--reviews", type=int, default=4000)
    parser.add_argument("--cohort-members", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--upload-folder", help="where the artifact files go (default: the app's UPLOAD_FOLDER)")
    parser.add_argument("--schema", choices=("auto", "create", "upgrade", "existing"), default="auto",
                        help="auto: flask db upgrade when the migrations cover every model, else db.create_all(); "
                             "existing: add to the tables that are there (never drops anything)")
    parser.add_argument("--drop", action="store_true", help="drop the portal's tables first if they exist")
    args = parser.parse_args(argv)

    from portal import create_app
    from portal.extensions import db

    overrides = {"SQLALCHEMY_DATABASE_URI": args.database_url}
    if args.upload_folder:
        overrides["UPLOAD_FOLDER"] = args.upload_folder
    app = create_app(overrides)
    started = time.perf_counter()
    with app.app_context():
        schema_line = build_schema(args.schema, drop=args.drop)
        params = Params(args.submissions, args.reviewers, args.reviews, args.cohort_members, args.seed,
                        args.upload_folder)
        counts = generate(params)
        db.session.remove()
        db.engine.dispose()
    print_summary(counts, time.perf_counter() - started, schema_line=schema_line)


if __name__ == "__main__":
    main()
