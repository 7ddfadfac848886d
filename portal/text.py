"""Markdown rendering and word counting for learner-written text.

Pure helpers: no Flask, no portal imports, so they can be used from
models, forms, views and scripts alike.
"""

from functools import lru_cache
from html.parser import HTMLParser

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markupsafe import Markup

__all__ = ["count_words", "plural", "render_markdown"]

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


# Submitted text never changes and is shown again and again (reviewer pages, versions, previews of the
# same draft), so each distinct text is rendered once per process. Keyed by the text itself: pure.
@lru_cache(maxsize=4096)
def _render(text: str) -> str:
    # Markdown and Cleaner objects hold parser state and are not thread-safe, so both are built per call.
    html = markdown.Markdown(extensions=["sane_lists"]).convert(text)
    cleaner = bleach.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        protocols=_ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_LinkRelFilter],
    )
    return cleaner.clean(html)


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
    return _count(text)


@lru_cache(maxsize=4096)
def _count(text: str) -> int:
    visible = _visible_text(_render(text))
    return sum(1 for run in visible.split() if any(ch.isalnum() for ch in run))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 cohort', '2 cohorts', '0 cohorts': the one way the portal writes a count of things (also in
    templates). Give the plural form when adding an s would be wrong ('1 match', '2 matches')."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
