"""The plan of the benchmark data, before any row exists: how many educators, which credentials each takes on,
the state of every submission, double scoring and revisions, adjusted until the review count is exactly the
one asked for and the open work fits the reviewers' capacity."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

MAX_EARLIER_VERSIONS = 6
# How the current version of a submission is spread over the states.
ROOT_STATES = {"earned": 0.62, "not_yet": 0.08, "in_review": 0.06, "submitted": 0.06, "draft": 0.12, "withdrawn": 0.06}
OTHER_STATES = {"earned": 0.36, "not_yet": 0.16, "in_review": 0.1, "submitted": 0.1, "draft": 0.2, "withdrawn": 0.08}
# How many of the other credentials an educator who earned the first one takes on.
OTHER_COUNTS = {0: 0.2, 1: 0.25, 2: 0.25, 3: 0.18, 4: 0.12}
WAITING_SHARE = 0.15  # submitted versions that no reviewer holds yet (the staff queue), at least
CAPACITY = (5, 12)  # open assignments a reviewer takes at most; the app's default is 5


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
