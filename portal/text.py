"""Markdown rendering and word counting for learner-written text.

Pure helpers: no Flask, and of the portal only portal.text_bounds (pure as well), so they can be used
from models, forms, views and scripts alike. Rendering is bounded whatever the input: see text_bounds for
the characters defused before Python-Markdown runs, and MARKDOWN_MAX_MARKUP below for the budget.
"""

import threading
from collections import OrderedDict
from html.parser import HTMLParser

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markupsafe import Markup, escape

from portal.text_bounds import BoundedLinksExtension, defuse, restore

__all__ = ["MARKDOWN_MAX_CHARS", "count_words", "plural", "render_markdown"]

# Past this size text is shown as plain paragraphs, never parsed as Markdown. Forms refuse text over the
# TEXT_MAX_CHARS setting (50,000 characters) long before; this bounds the work for anything stored earlier.
MARKDOWN_MAX_CHARS = 100_000
# Every emphasis, code span, escape or entity costs Python-Markdown and bleach some 20-40 microseconds, a
# tag about 100 and a link about 200. Real writing uses a few hundred such characters; a text whose weighted
# count passes this budget is shown as plain paragraphs, which keeps any text under about 0.3 s to render.
MARKDOWN_MAX_MARKUP = 8_000
_MARKUP_WEIGHTS = {"*": 1, "_": 1, "`": 1, "\\": 1, "&": 1, "<": 3, "[": 6}

_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "em", "strong", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "code", "pre", "hr", "a",
    }
)  # fmt: skip


def _ol_attribute(tag: str, name: str, value: str) -> bool:
    # sane_lists emits start="3" for a list typed as "3. item"; keep only that.
    return name == "start" and value.isascii() and value.isdigit()


_ALLOWED_ATTRIBUTES = {"a": ["href"], "ol": _ol_attribute}
_ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_LINK_REL = "nofollow noopener"

# Tags a reader perceives as a break between words. Inline tags (em, strong,
# code, a) are not listed: "co**op**" reads as one word, "coop".
_BREAKING_TAGS = _ALLOWED_TAGS - {"em", "strong", "code", "a"}


class _LinkRelFilter(Filter):
    """Force rel on every link; runs after sanitizing, so user rel is gone."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                data = dict(token["data"])
                data[(None, "rel")] = _LINK_REL
                token = {**token, "data": data}
            yield token


def render_markdown(text: str | None) -> Markup:
    """Render learner Markdown to HTML that is safe to embed in a page.

    Markdown passes raw HTML through, so bleach is the security boundary:
    anything outside the allowlist is stripped (its text stays, escaped),
    comments are dropped, and hrefs keep only http/https/mailto (or
    scheme-less relative URLs).
    """
    if not text:
        return Markup("")
    # The one place learner text becomes Markup: it has just been sanitized.
    return Markup(_render(text))  # noqa: S704


class ByteBoundedCache:
    """A least-recently-used cache of str -> value bounded by the characters of keys and values it holds.

    Counting entries let 4,096 large texts grow a worker by hundreds of megabytes; characters bound the
    memory whatever the texts' sizes. Thread-safe: gthread workers share it.
    """

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.size = 0
        self._items: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: str, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute(key)
        self._put(key, value)
        return value

    def _put(self, key: str, value) -> None:
        cost = _cost(key, value)
        if cost > self.max_chars:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.size += cost
            while self.size > self.max_chars:
                old_key, old_value = self._items.popitem(last=False)
                self.size -= _cost(old_key, old_value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


def _cost(key: str, value) -> int:
    return len(key) + (len(value) if isinstance(value, str) else 0) + 100  # ~100 for the entry itself


# Submitted text never changes and is shown again and again (reviewer pages, versions, previews of the
# same draft), so each distinct text is rendered once per process. About 16 million characters: at most
# some 64 MB of strings per worker whatever the texts' sizes.
RENDER_CACHE = ByteBoundedCache(16_000_000)
COUNT_CACHE = ByteBoundedCache(4_000_000)


def _render(text: str) -> str:
    return RENDER_CACHE.get_or_compute(text, _render_uncached)


def _render_uncached(text: str) -> str:
    if len(text) > MARKDOWN_MAX_CHARS or _markup_count(text) > MARKDOWN_MAX_MARKUP:
        return _plain_paragraphs(text)
    # Markdown and Cleaner objects hold parser state and are not thread-safe, so both are built per call.
    md = markdown.Markdown(extensions=["sane_lists", BoundedLinksExtension()])
    html = md.convert(defuse(text, md.tab_length))
    cleaner = bleach.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        protocols=_ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_LinkRelFilter],
    )
    return restore(cleaner.clean(html))


def _markup_count(text: str) -> int:
    return sum(text.count(ch) * weight for ch, weight in _MARKUP_WEIGHTS.items())


def _plain_paragraphs(text: str) -> str:
    paragraphs = (p.strip() for p in text.replace("\r\n", "\n").split("\n\n"))
    return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs if p)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.handle_endtag(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _BREAKING_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def _visible_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)


def count_words(text: str | None) -> int:
    """Count the words a reader sees in the rendered text.

    A word is a maximal run of non-whitespace that contains at least one
    letter or digit in any script, so "data-driven", "3.5" and "café" are
    one word each while "-", "—", "&" and emoji are none. Link URLs, list
    markers and Markdown punctuation are not counted because they are not
    visible. Scripts written without spaces (Chinese, Japanese, Thai) count
    one word per space-separated run.
    """
    if not text:
        return 0
    return COUNT_CACHE.get_or_compute(text, _count)


def _count(text: str) -> int:
    visible = _visible_text(_render(text))
    return sum(1 for run in visible.split() if any(ch.isalnum() for ch in run))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 cohort', '2 cohorts', '0 cohorts': the one way the portal writes a count of things (also in
    templates). Give the plural form when adding an s would be wrong ('1 match', '2 matches')."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
