"""Word-level "changes since the last version" for a reviewer: what an educator added and removed.

Pure (no Flask). Every piece of user text is escaped here, and the marks are added around the escaped
pieces, so the result is the one place a diff becomes Markup. Additions and deletions are marked as text
for screen readers ("added:", "removed:") and by <ins>/<del>, which browsers underline and strike
through, so colour is never the only signal.
"""

import difflib
import re

from markupsafe import Markup, escape

# A text longer than this is not compared word by word: difflib's matching can grow with the square of the
# length, and nobody reads a diff of a 20,000-word text.
MAX_WORDS = 4000

# Words and the whitespace after them, so the diff puts back the text's own line breaks and spaces.
_TOKEN = re.compile(r"\S+\s*|\s+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def is_comparable(old: str, new: str) -> bool:
    return len(_tokens(old)) <= MAX_WORDS and len(_tokens(new)) <= MAX_WORDS


def _mark(tag: str, label: str, words: list[str]) -> Markup:
    text = "".join(words)
    trailing = text[len(text.rstrip()):]
    return Markup('<{0}><span class="visually-hidden">{1}: </span>{2}</{0}>{3}').format(
        tag, label, text.rstrip(), trailing
    )


def word_diff(old: str, new: str) -> Markup:
    """The new text with the words added since the old one in <ins> and the words removed in <del>."""
    before, after = _tokens(old), _tokens(new)
    # Compare words without their trailing whitespace: a re-wrapped line is not a change.
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in before], [t.strip() for t in after], autojunk=False)
    pieces = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(escape("".join(after[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(_mark("del", "removed", before[i1:i2]))
            if j2 > j1 and not before[i2 - 1][-1:].isspace():
                pieces.append(Markup(" "))  # "June." replaced by "May." must not read "June.May."
        if j2 > j1:
            pieces.append(_mark("ins", "added", after[j1:j2]))
    return Markup("").join(pieces)


def has_changes(old: str, new: str) -> bool:
    return (old or "").split() != (new or "").split()
