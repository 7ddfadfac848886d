"""Keep Markdown rendering linear on hostile input.

Python-Markdown scans from every "[" to the end of its paragraph looking for the closing "]" (and from
every "](" for the closing ")"), so 20 KB of "[" took minutes; html5lib (under bleach) walks every "<"
and "&" one character at a time; deep quotes and lists recurse once per level. Before rendering,
`defuse` replaces the characters that cannot do anything but cost work with private-use stand-ins,
and `restore` turns the stand-ins back into the same visible characters in the cleaned HTML:

- a "[" without a matching "]", or nested deeper than MAX_BRACKET_DEPTH, and its "]";
- a "[text]" not followed by "(" when the text defines no references;
- a link whose "(" has no matching ")" within MAX_LINK_CHARS, or sits inside another link's "(...)";
- a "<" that does not begin a tag, comment or autolink; a "&" that does not begin an entity;
- quote and list markers beyond MAX_NESTING at the start of a line, and indentation past MAX_INDENT.

Each of these would have rendered as literal text anyway, so ordinary writing renders exactly as
before. Pure: no Flask.
"""

import re

from markdown.extensions import Extension
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)

MAX_BRACKET_DEPTH = 3
MAX_LINK_CHARS = 2048  # the longest link text or destination that still becomes a link
MAX_NESTING = 8  # quote and list markers at the start of one line
MAX_INDENT = 40  # columns of leading indentation (eight nested list levels and a code block)

# Private-use stand-ins, and what each becomes in the cleaned HTML.
_OPEN, _CLOSE, _LT, _AMP, _GT, _CUT = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004", "\ue005"
_RESTORE = str.maketrans({_OPEN: "[", _CLOSE: "]", _LT: "&lt;", _AMP: "&amp;", _GT: "&gt;", _CUT: ""})
_UNTRUSTED_STAND_INS = str.maketrans({ch: "\ufffd" for ch in (_OPEN, _CLOSE, _LT, _AMP, _GT, _CUT)})

_BRACKET_TOKEN = re.compile(r"\\.|[\[\]()]", re.DOTALL)
_ENTITY_OR_AMP = re.compile(r"&(?!#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]{0,63}(?:\s[^<>]{0,2048})?/?>"  # a tag
    r"|<[A-Za-z][A-Za-z0-9+.-]{0,31}://[^<>]{0,2048}>"  # an autolink
    r"|<[^<> !]{1,256}@[^@<> ]{1,256}>"  # an e-mail autolink
)
_LINE_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*)+", re.MULTILINE)
_MARKER = re.compile(r"[ \t]*(?:>|[*+-]|\d{1,9}[.)])[ \t]*")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\[\]]*\]:", re.MULTILINE)
_DEEP_INDENT = re.compile(rf"^ {{{MAX_INDENT + 1},}}", re.MULTILINE)


def defuse(text: str, tab_length: int = 4) -> str:
    """Replace the characters that can only cost work with stand-ins; see the module docstring."""
    text = text.translate(_UNTRUSTED_STAND_INS).expandtabs(tab_length)
    text = _DEEP_INDENT.sub(" " * MAX_INDENT, text)
    text = _LINE_PREFIX.sub(_cap_nesting, text)
    text = _defuse_brackets(text)
    text = _defuse_angles(text)
    return _ENTITY_OR_AMP.sub(_AMP, text)


def restore(html: str) -> str:
    return html.translate(_RESTORE)


def _cap_nesting(match: re.Match) -> str:
    markers = _MARKER.findall(match.group(0))
    if len(markers) <= MAX_NESTING:
        return match.group(0)
    kept = "".join(markers[:MAX_NESTING])
    # The rest of the markers become text: a "cut" stand-in (removed again) stops them being markers.
    return kept + _CUT + "".join(markers[MAX_NESTING:]).replace(">", _GT)


def _defuse_brackets(text: str) -> str:
    chars = list(text)
    links = {}  # "]" index -> "[" index, for the brackets that stay
    for start, close, depth in _pairs(text, "[", "]"):
        if close is None or depth > MAX_BRACKET_DEPTH:
            chars[start] = _OPEN
            if close is not None:
                chars[close] = _CLOSE
        else:
            links[close] = start
    parens = {start: close for start, close, _ in _pairs(text, "(", ")")}
    has_references = _REFERENCE_DEFINITION.search(text) is not None
    covered_until = -1
    for close in sorted(links):
        paren = close + 1
        if paren >= len(chars) or chars[paren] != "(":
            if not has_references:  # without definitions "[text]" and "[text][id]" are plain text
                chars[links[close]], chars[close] = _OPEN, _CLOSE
            continue
        end = parens.get(paren)
        if end is None or end - paren > MAX_LINK_CHARS or paren < covered_until:
            chars[links[close]], chars[close] = _OPEN, _CLOSE
        else:
            covered_until = end
    return "".join(chars)


def _pairs(text: str, opener: str, closer: str) -> list[tuple[int, int | None, int]]:
    """Every opener with its matching closer (None when unmatched) and its depth; escaped ones skipped."""
    stack: list[int] = []
    found: list[tuple[int, int | None, int]] = []
    for token in _BRACKET_TOKEN.finditer(text):
        char = token.group(0)
        if char == opener:
            stack.append(token.start())
        elif char == closer and stack:
            found.append((stack.pop(), token.start(), len(stack) + 1))
    return found + [(start, None, depth) for depth, start in enumerate(stack, start=1)]


def _defuse_angles(text: str) -> str:
    out = []
    index = 0
    comment_end = -2  # the first "-->" after the last comment start looked at; -1: there is none
    while (start := text.find("<", index)) >= 0:
        out.append(text[index:start])
        if text.startswith("<!--", start):
            if comment_end == -2 or 0 <= comment_end < start + 4:
                comment_end = text.find("-->", start + 4)
            end = comment_end
            if end >= 0:
                out.append(text[start : end + 3])
                index = end + 3
                continue
        elif match := _MARKUP.match(text, start):
            out.append(match.group(0))
            index = match.end()
            continue
        out.append(_LT)
        index = start + 1
    out.append(text[index:])
    return "".join(out)


class _BoundedLinkMixin:
    """Look for a link's "]" and ")" only within MAX_LINK_CHARS, and a ")" only up to its plain match."""

    def getText(self, data, index):  # noqa: N802 -- Python-Markdown's name
        text, end, handled = super().getText(data[index : index + MAX_LINK_CHARS], 0)
        return text, index + end, handled

    def getLink(self, data, index):  # noqa: N802 -- Python-Markdown's name
        window = data[index : index + MAX_LINK_CHARS]
        href, title, end, handled = super().getLink(window[: _plain_close(window) + 1], 0)
        return href, title, index + end, handled


def _plain_close(window: str) -> int:
    """Index of the ")" that closes the "(" at window[0] counting parentheses only, or the window's end."""
    depth = 0
    for token in re.finditer(r"[()]", window):
        depth += 1 if token.group(0) == "(" else -1
        if depth == 0:
            return token.start()
    return len(window)


def _bounded(base):
    return type(f"Bounded{base.__name__}", (_BoundedLinkMixin, base), {})


class BoundedLinksExtension(Extension):
    """Replace Python-Markdown's link, image and reference processors with bounded ones (same names and order)."""

    def extendMarkdown(self, md):  # noqa: N802 -- Python-Markdown's name
        for base, pattern, name, priority in (
            (ReferenceInlineProcessor, REFERENCE_RE, "reference", 170),
            (LinkInlineProcessor, LINK_RE, "link", 160),
            (ImageInlineProcessor, IMAGE_LINK_RE, "image_link", 150),
            (ImageReferenceInlineProcessor, IMAGE_REFERENCE_RE, "image_reference", 140),
            (ShortReferenceInlineProcessor, REFERENCE_RE, "short_reference", 130),
            (ShortImageReferenceInlineProcessor, IMAGE_REFERENCE_RE, "short_image_ref", 125),
        ):
            md.inlinePatterns.register(_bounded(base)(pattern, md), name, priority)
