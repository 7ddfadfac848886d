"""Turning the plan into rows: versions with their answers and artifacts, assignments, reviews and part
results, notices, mail and the audit trail, on time lines that end in the recent past."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from benchmarks import texts
from benchmarks.plan import Edu, Sub

DECLINED_SHARE = 0.04  # decided versions whose first reviewer declined before another took it


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
