"""Read a stack of micro-credentials from a TOML file and check it.

Pure standard library on purpose: the CLI, the services and the tests all use
it, and none of them should need an app or a database to read a file.

Validation never stops at the first problem. Staff fix a file in one go when
they see every problem at once, each with its place (a key path, and a line
number where the source text lets us find one).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PART_KINDS = ("essay", "plan", "artifact")

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")

STACK_KEYS = ("slug", "title", "issuer", "issuer_url", "summary", "blind_review", "credentials")
CREDENTIAL_KEYS = (
    "slug", "title", "summary", "key_method", "about", "earning", "sample",
    "sample_note", "prerequisites", "research", "license", "parts",
)
PART_KEYS = (
    "key", "kind", "title", "prompt", "criterion", "word_limit", "min_goals",
    "fields", "accepts_artifacts", "min_files",
)
FIELD_KEYS = ("key", "label")

# Keys that belong to one kind only: on another kind they are a mistake.
KIND_ONLY = {
    "word_limit": "essay",
    "min_goals": "plan",
    "fields": "plan",
    "min_files": "artifact",
}
ARTICLE = {"essay": "an essay", "plan": "a plan", "artifact": "an artifact"}


@dataclass(frozen=True)
class PlanField:
    key: str
    label: str


@dataclass(frozen=True)
class PartSpec:
    key: str
    kind: str
    title: str
    prompt: str
    criterion: str
    word_limit: int | None = None
    min_goals: int | None = None
    fields: tuple[PlanField, ...] = ()
    accepts_artifacts: bool = False
    min_files: int = 0

    def to_dict(self) -> dict:
        """A JSON-able copy, stored with a submission as the version it answers."""
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "prompt": self.prompt,
            "criterion": self.criterion,
            "word_limit": self.word_limit,
            "min_goals": self.min_goals,
            "fields": [{"key": f.key, "label": f.label} for f in self.fields],
            "accepts_artifacts": self.accepts_artifacts,
            "min_files": self.min_files,
        }


def part_from_dict(d: dict) -> PartSpec:
    """Inverse of PartSpec.to_dict. Trusts its input: it was validated when stored."""
    return PartSpec(
        key=d["key"],
        kind=d["kind"],
        title=d["title"],
        prompt=d["prompt"],
        criterion=d["criterion"],
        word_limit=d.get("word_limit"),
        min_goals=d.get("min_goals"),
        fields=tuple(PlanField(f["key"], f["label"]) for f in d.get("fields") or ()),
        accepts_artifacts=bool(d.get("accepts_artifacts", False)),
        min_files=int(d.get("min_files") or 0),
    )


@dataclass(frozen=True)
class CredentialSpec:
    slug: str
    title: str
    summary: str
    key_method: str
    about: str
    earning: str
    is_sample: bool
    sample_note: str
    prerequisites: tuple[str, ...]
    research: tuple[str, ...]
    license: str
    parts: tuple[PartSpec, ...]


@dataclass(frozen=True)
class StackSpec:
    slug: str
    title: str
    issuer: str
    summary: str
    blind_review: bool
    credentials: tuple[CredentialSpec, ...]
    # The web address of the stack's creator: the id of its Profile in issued Open Badges. "" when none.
    issuer_url: str = ""


class StackFileError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def bundled_stack_paths() -> list[Path]:
    return sorted((Path(__file__).parent / "stacks").glob("*.toml"))


def load_stack(path) -> StackSpec:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StackFileError([f"file is not valid UTF-8 ({exc.reason} at byte {exc.start})"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)".
        raise StackFileError([f"TOML syntax error: {exc}"]) from None
    return parse_stack(data, text)


# --- where a problem is ------------------------------------------------------

# A line that is only a table header: [name] or [[name]], maybe with a comment.
_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\- \"']+?)\s*\]\]?\s*(#.*)?$")


class _Lines:
    """Finds line numbers by scanning the source text, since tomllib gives none.

    The n-th [[credentials]] header starts the n-th credential's block, and the
    m-th [[credentials.parts]] header after it starts its m-th part; a key is
    the first `key =` line inside the block, up to the next header.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers = []  # (0-based line index, table name, is an array of tables)
        for i, line in enumerate(self.lines):
            m = _HEADER_RE.match(line)
            if m:
                name = re.sub(r"[\s\"']", "", m.group(2))
                self.headers.append((i, name, m.group(1) == "[["))

    def _nth(self, name, n, after=-1, before=None):
        found = [i for i, h, arr in self.headers
                 if arr and h == name and i > after and (before is None or i < before)]
        return found[n] if n < len(found) else None

    def find(self, cred, part, key) -> int | None:
        """1-based line of `key` in the table, else of the table's header."""
        start = -1  # the top-level table has no header
        if cred is not None:
            start = self._nth("credentials", cred)
            if start is not None and part is not None:
                next_cred = self._nth("credentials", 0, after=start)
                start = self._nth("credentials.parts", part, after=start, before=next_cred)
            if start is None:
                return None
        end = next((i for i, _, _ in self.headers if i > start), len(self.lines))
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        for i in range(start + 1, end):
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1 if start >= 0 else None


@dataclass(frozen=True)
class _Place:
    label: str = ""            # e.g. "credentials[4] (district-plan) > parts[2] (plan)"
    cred: int | None = None    # 0-based position, used to find lines
    part: int | None = None


@dataclass
class _Report:
    lines: _Lines
    found: list[tuple[int, str]] = field(default_factory=list)

    def add(self, place: _Place, key: str, message: str, sub: str = "") -> None:
        path = f"{place.label} > {key}{sub}" if place.label else f"{key}{sub}"
        line = self.lines.find(place.cred, place.part, key)
        prefix = f"line {line}: " if line else ""
        self.found.append((line or 0, f"{prefix}{path}: {message}"))

    @property
    def problems(self) -> list[str]:
        # In file order, so staff can fix them top to bottom; problems without a
        # line concern the whole file and come first. The sort is stable.
        return [text for _, text in sorted(self.found, key=lambda item: item[0])]


# --- checks for single values -----------------------------------------------

def _unknown_keys(table: dict, allowed, place, rep) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            rep.add(place, key, "unknown key" + hint)


def _text(table, key, place, rep, required=True) -> str:
    value = table.get(key)
    if value is None:
        if required:
            rep.add(place, key, "is required")
        return ""
    if not isinstance(value, str) or not value.strip():
        rep.add(place, key, "must be a non-empty string")
        return ""
    return value.strip()


def _web_address(table, key, place, rep) -> str:
    value = _text(table, key, place, rep, required=False)
    if value and not re.match(r"^https://[^\s/]+\.[^\s]+$", value):
        rep.add(place, key, 'must be a web address starting with https://, like "https://www.cosn.org/"')
        return ""
    return value


def _flag(table, key, place, rep, default) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        rep.add(place, key, "must be true or false")
        return default
    return value


def _count(table, key, place, rep, kind, needed_for) -> int | None:
    """A whole number >= 1, required when the part's kind is `needed_for`."""
    value = table.get(key)
    if value is None:
        if kind == needed_for:
            rep.add(place, key, f"is required for {ARTICLE[kind]} part")
        return None
    # bool is an int in Python; `true` is never a meaningful count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        rep.add(place, key, "must be an integer >= 1")
        return None
    return value


def _strings(table, key, place, rep) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        rep.add(place, key, "must be a list of non-empty strings")
        return ()
    return tuple(v.strip() for v in value)


def _tables(table, key, place, rep, header) -> list:
    """The array of tables under `key`, or [] after reporting why not."""
    value = table.get(key)
    if value is None or value == []:
        rep.add(place, key, f"at least one {header} table is required")
        return []
    if not isinstance(value, list):
        rep.add(place, key, f"must be an array of {header} tables")
        return []
    return value


def _named(prefix, index, name) -> str:
    """`parts[2] (plan)`: 1-based like the seed's "Part 2", with its name if it has one."""
    label = f"{prefix}[{index + 1}]"
    return f"{label} ({name})" if isinstance(name, str) and name else label


# --- tables -------------------------------------------------------------------

def _plan_fields(table, place, rep) -> tuple[PlanField, ...]:
    value = table.get("fields")
    if value is None:
        return ()  # reported by _check_kind_keys when the part is a plan
    if not isinstance(value, list) or not value or not all(isinstance(f, dict) for f in value):
        rep.add(place, "fields", 'must be a non-empty list of {key = "...", label = "..."} tables')
        return ()
    fields, seen = [], set()
    for i, item in enumerate(value):
        sub = f"[{i + 1}]"
        for k in item:
            if k not in FIELD_KEYS:
                rep.add(place, "fields", "unknown key", f"{sub} > {k}")
        key, label = item.get("key"), item.get("label")
        if not isinstance(key, str) or not KEY_RE.match(key):
            rep.add(place, "fields", "must be a lowercase identifier like action_steps", f"{sub} > key")
        elif key in seen:
            rep.add(place, "fields", f'duplicate field key "{key}"', f"{sub} > key")
        seen.add(key)
        if not isinstance(label, str) or not label.strip():
            rep.add(place, "fields", "must be a non-empty string", f"{sub} > label")
        else:
            fields.append(PlanField(str(key), label.strip()))
    return tuple(fields)


def _check_kind_keys(table, kind, place, rep) -> None:
    for key, owner in KIND_ONLY.items():
        if key in table and kind != owner:
            rep.add(place, key, f"only applies to {owner} parts")
    if kind == "plan" and "fields" not in table:
        rep.add(place, "fields", "is required for a plan part")


def _parse_part(table, place, rep) -> PartSpec:
    _unknown_keys(table, PART_KEYS, place, rep)
    key = _text(table, "key", place, rep)
    if key and not KEY_RE.match(key):
        rep.add(place, "key", "must start with a lowercase letter and use only a-z, 0-9 and _")
    kind = _text(table, "kind", place, rep)
    if kind and kind not in PART_KINDS:
        rep.add(place, "kind", f'must be one of {", ".join(PART_KINDS)} (got "{kind}")')
        kind = ""  # unknown kind: skip the kind-specific checks rather than guess
    if kind:
        _check_kind_keys(table, kind, place, rep)
    accepts = _flag(table, "accepts_artifacts", place, rep, default=kind == "artifact")
    if kind == "artifact" and not accepts:
        rep.add(place, "accepts_artifacts", "must be true for an artifact part")
    return PartSpec(
        key=key,
        kind=kind,
        title=_text(table, "title", place, rep),
        prompt=_text(table, "prompt", place, rep),
        criterion=_text(table, "criterion", place, rep),
        word_limit=_count(table, "word_limit", place, rep, kind, "essay"),
        min_goals=_count(table, "min_goals", place, rep, kind, "plan"),
        fields=_plan_fields(table, place, rep) if kind == "plan" else (),
        accepts_artifacts=kind == "artifact" or accepts,
        min_files=_count(table, "min_files", place, rep, kind, "artifact") or 0,
    )


def _parse_credential(table, place, rep) -> CredentialSpec:
    _unknown_keys(table, CREDENTIAL_KEYS, place, rep)
    slug = _text(table, "slug", place, rep)
    if slug and not SLUG_RE.match(slug):
        rep.add(place, "slug", 'must be lowercase words joined by hyphens, like "district-plan"')
    is_sample = _flag(table, "sample", place, rep, default=False)
    sample_note = _text(table, "sample_note", place, rep, required=False)
    if is_sample and not sample_note and "sample_note" not in table:
        rep.add(place, "sample_note", "is required when sample = true")
    parts, seen = [], {}
    for i, part_table in enumerate(_tables(table, "parts", place, rep, "[[credentials.parts]]")):
        name = part_table.get("key") if isinstance(part_table, dict) else None
        part_place = _Place(f"{place.label} > {_named('parts', i, name)}", place.cred, i)
        if not isinstance(part_table, dict):
            rep.add(place, "parts", "must be a table", f"[{i + 1}]")
            continue
        part = _parse_part(part_table, part_place, rep)
        if part.key in seen:
            rep.add(part_place, "key", f'duplicate part key "{part.key}" (also parts[{seen[part.key] + 1}])')
        elif part.key:
            seen[part.key] = i
        parts.append(part)
    return CredentialSpec(
        slug=slug,
        title=_text(table, "title", place, rep),
        summary=_text(table, "summary", place, rep),
        key_method=_text(table, "key_method", place, rep),
        about=_text(table, "about", place, rep),
        earning=_text(table, "earning", place, rep),
        is_sample=is_sample,
        sample_note=sample_note,
        prerequisites=_strings(table, "prerequisites", place, rep),
        research=_strings(table, "research", place, rep),
        license=_text(table, "license", place, rep, required=False),
        parts=tuple(parts),
    )


def _check_prerequisites(entries, rep) -> None:
    """Only earlier credentials may be prerequisites, which rules out cycles."""
    position = {}
    for i, cred, _ in entries:
        position.setdefault(cred.slug, i)
    for i, cred, place in entries:
        for name in cred.prerequisites:
            where = position.get(name)
            if name == cred.slug:
                rep.add(place, "prerequisites", f'a credential cannot be its own prerequisite ("{name}")')
            elif where is None:
                rep.add(place, "prerequisites", f'"{name}" is not a credential in this stack')
            elif where > i:
                rep.add(
                    place, "prerequisites",
                    f'"{name}" comes later (credentials[{where + 1}]); a prerequisite must come earlier',
                )


def parse_stack(data: dict, source_text: str = "") -> StackSpec:
    rep = _Report(_Lines(source_text))
    top = _Place()
    _unknown_keys(data, STACK_KEYS, top, rep)
    slug = _text(data, "slug", top, rep)
    if slug and not SLUG_RE.match(slug):
        rep.add(top, "slug", 'must be lowercase words joined by hyphens, like "digital-equity"')
    entries, first_seen = [], {}  # (position in the file, credential, place)
    for i, table in enumerate(_tables(data, "credentials", top, rep, "[[credentials]]")):
        name = table.get("slug") if isinstance(table, dict) else None
        place = _Place(_named("credentials", i, name), i)
        if not isinstance(table, dict):
            rep.add(top, "credentials", "must be a table", f"[{i + 1}]")
            continue
        cred = _parse_credential(table, place, rep)
        if cred.slug in first_seen:
            rep.add(place, "slug", f'duplicate slug "{cred.slug}" (also credentials[{first_seen[cred.slug] + 1}])')
        elif cred.slug:
            first_seen[cred.slug] = i
        entries.append((i, cred, place))
    _check_prerequisites(entries, rep)
    stack = StackSpec(
        slug=slug,
        title=_text(data, "title", top, rep),
        issuer=_text(data, "issuer", top, rep),
        issuer_url=_web_address(data, "issuer_url", top, rep),
        summary=_text(data, "summary", top, rep),
        blind_review=_flag(data, "blind_review", top, rep, default=True),
        credentials=tuple(cred for _, cred, _ in entries),
    )
    if rep.problems:
        raise StackFileError(rep.problems)
    return stack
