"""Bulk data for the benchmarks: organizations, educators, reviewers, submissions in every state with their
versions, assignments, reviews and part results, notices, the audit trail, and cohorts with members.

    python -m benchmarks.generate --database-url URL --submissions 2000 --reviewers 20 --reviews 4000 \
        --cohort-members 250 --seed 1

This module is the command and puts the parts together: benchmarks/plan.py decides what exists (educators,
their submissions' states, double scoring, revisions), benchmarks/rows.py turns that plan into rows,
benchmarks/schema.py creates the tables, and benchmarks/texts.py writes the essays and names.

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
import os
import random
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, select

from benchmarks import texts
from benchmarks.plan import CAPACITY, Params, plan_submissions
from benchmarks.rows import Builder, Rows
from benchmarks.schema import build_schema, finish_database

BENCH_PASSWORD = "benchmark-password"  # every generated account; printed by the scripts, never used in production
EMAIL_DOMAIN = "bench.example.org"
CHUNK = 5000
OTHER_COHORTS = 3


def _next_id(table) -> int:
    from portal.extensions import db

    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _pdf_files(folder: Path, rng: random.Random, count: int = 24) -> list[tuple[str, int, str]]:
    """A pool of small real PDF files; artifacts of different versions share them (as carried-forward files do)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for _ in range(count):
        padding = b"%" + b"x" * rng.randint(20_000, 400_000) + b"\n"
        body = (b"%PDF-1.4\n" + padding + b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
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
    from portal.cohorts.profile import seed_profile_fields
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

    _add_cohorts(rows, rng, now, people=[e.id for e in educators], credentials=credentials, stack_id=stacks[0],
                 fields=fields, cohort_members=params.cohort_members)

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


def _add_cohorts(rows: Rows, rng: random.Random, now, *, people: list[int], credentials: list[dict], stack_id: int,
                 fields, cohort_members: int) -> None:
    """The benchmark cohort with cohort_members members, the other educators in a few more; and the
    self-reported profile answers of every educator."""
    from portal.cohorts.profile import PREFER_NOT

    rng.shuffle(people)
    size = min(cohort_members, len(people))
    groups = [people[:size]]
    rest = people[size:]
    per = -(-len(rest) // OTHER_COHORTS) if rest else 0
    groups += [rest[i:i + per] for i in range(0, len(rest), per)] if per else []
    for index, members in enumerate(groups):
        main = index == 0
        cohort_id = rows.add(
            "cohorts", name="Digital Equity Leaders (benchmark)" if main else f"District Cohort {index}",
            program="Digital Equity", description="Generated for the benchmarks.", starts_on=date(now.year - 1, 9, 1),
            ends_on=date(now.year + 1, 6, 30), stack_id=stack_id, created_at=now - timedelta(days=400),
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
