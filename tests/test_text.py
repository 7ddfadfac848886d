from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from portal.text import count_words, render_markdown

WORD_COUNT_CASES = [
    ("", 0),
    ("hello world", 2),
    ("data-driven design", 2),
    ("before - after", 2),
    ("wait — what", 2),
    ("[the library](https://example.org/very/long/url)", 2),
    ('[the library](https://example.org/a "A long title here")', 2),
    ("**bold** _it_", 2),
    ("co**op**", 1),
    ("café naïve", 2),
    ("Привет мир", 2),
    ("مرحبا بالعالم", 2),
    ("我喜欢编程", 1),  # no spaces, so one run, so one word
    ("我 喜欢 编程", 3),
    ("In 2024 we scored 3.5", 5),
    ("e.g. don't", 2),
    ("# Heading", 1),
    ("- item", 1),
    ("1. first\n2. second", 2),
    ("> quoted text", 2),
    ("---", 0),
    ("&amp;", 0),
    ("a&nbsp;b", 2),
    ("🎉 🎉", 0),
    ("snake_case _", 1),
    ("<b>two words</b>", 2),
    ("<p>end</p><p>start</p>", 2),
    ("one<br>two", 2),
    ("end.\n\nStart", 2),
    ("line one  \nline two", 4),
    ("<https://example.org/a/b>", 1),
    ("![a diagram of the flow](http://x.example/y.png)", 0),
    ("[ref link][r]\n\n[r]: https://example.org", 2),
    ("<!-- hidden note --> shown", 1),
    ("    indented code block", 3),
    ("<script>alert(1)</script>", 1),  # tag stripped, its text stays visible
]


@pytest.mark.parametrize(("text", "expected"), WORD_COUNT_CASES)
def test_count_words_counts_reader_visible_words(text, expected):
    assert count_words(text) == expected


def test_count_words_none_is_zero():
    assert count_words(None) == 0


DANGEROUS_CASES = [
    ("<script>alert(1)</script>", ["<script"]),
    ("<style>body{display:none}</style>", ["<style"]),
    ('<iframe src="https://evil.example/"></iframe>', ["<iframe", "evil.example"]),
    ("<img src=x onerror=alert(1)>", ["<img", "onerror"]),
    ("<svg onload=alert(1)>", ["<svg", "onload"]),
    ("<svg><script>alert(1)</script></svg>", ["<svg", "<script"]),
    ('<a href="javascript:alert(1)">x</a>', ["javascript", "href"]),
    ("[x](javascript:alert(1))", ["javascript", "href"]),
    ("[x](JaVaScRiPt:alert(1))", ["javascript", "href"]),
    ("[x](java\tscript:alert(1))", ["script", "href"]),
    ("[x](javascript&#58;alert(1))", ["javascript", "href"]),
    ('<a href="&#x6A;avascript:alert(1)">x</a>', ["avascript", "href"]),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", ["data:", "href"]),
    ("[x](vbscript:msgbox(1))", ["vbscript", "href"]),
    ('<a href="https://ok.example" onclick="steal()">x</a>', ["onclick", "steal"]),
    (
        '<a href="https://ok.example" target="_blank" rel="opener">x</a>',
        ["target", 'rel="opener"'],
    ),
    ("![alt](http://x.example/y.png)", ["<img", "y.png"]),
    ('<object data="x.swf"></object>', ["<object", "x.swf"]),
    ('<embed src="x.swf">', ["<embed", "x.swf"]),
    (
        '<form action="https://evil.example"><input name=q></form>',
        ["<form", "<input", "evil.example"],
    ),
    (
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        ["<math", "javascript"],
    ),
    (
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        ["<img", "onerror"],
    ),
    ('<p style="color:red" class="c" id="i">t</p>', ["style", "class", "id="]),
    ("<!-- secret --> hi", ["<!--", "secret"]),
    ('<ol start="javascript:x"><li>a</li></ol>', ["start", "javascript"]),
]


@pytest.mark.parametrize(("source", "forbidden"), DANGEROUS_CASES)
def test_render_markdown_dangerous_input_removed(source, forbidden):
    html = str(render_markdown(source)).lower()
    for needle in forbidden:
        assert needle.lower() not in html


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


ALLOWED_TAGS = {
    "p", "br", "em", "strong", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "code", "pre", "hr", "a",
}  # fmt: skip
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@pytest.mark.parametrize("source", [source for source, _ in DANGEROUS_CASES])
def test_render_markdown_dangerous_input_yields_only_allowlisted_markup(source):
    collector = _TagCollector()
    collector.feed(str(render_markdown(source)))
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS
        if tag == "a":
            assert set(attrs) <= {"href", "rel"}
            assert attrs["rel"] == "nofollow noopener"
            assert attrs.get("href", "https:").split(":")[0] in ALLOWED_SCHEMES
        elif tag == "ol":
            assert set(attrs) <= {"start"}
        else:
            assert attrs == {}


ALLOWED_CASES = [
    ("*em* and **strong**", "<p><em>em</em> and <strong>strong</strong></p>"),
    ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
    ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'),
    ("## Title", "<h2>Title</h2>"),
    ("> quote", "<blockquote>\n<p>quote</p>\n</blockquote>"),
    ("`x < y`", "<p><code>x &lt; y</code></p>"),
    ("    code", "<pre><code>code\n</code></pre>"),
    ("a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
    ("line  \nbreak", "<p>line<br>\nbreak</p>"),
    ("Tom & Jerry <3", "<p>Tom &amp; Jerry &lt;3</p>"),
    ("see https://example.org", "<p>see https://example.org</p>"),
    ("<strong>raw but allowed</strong>", "<p><strong>raw but allowed</strong></p>"),
    (
        "[site](https://example.org/a)",
        '<p><a href="https://example.org/a" rel="nofollow noopener">site</a></p>',
    ),
    (
        "[site](http://example.org)",
        '<p><a href="http://example.org" rel="nofollow noopener">site</a></p>',
    ),
    (
        "[mail](mailto:a@example.org)",
        '<p><a href="mailto:a@example.org" rel="nofollow noopener">mail</a></p>',
    ),
    (
        "<https://example.org>",
        '<p><a href="https://example.org" rel="nofollow noopener">https://example.org</a></p>',
    ),
    (
        '<a href="https://ok.example" rel="opener">x</a>',
        '<p><a href="https://ok.example" rel="nofollow noopener">x</a></p>',
    ),
]


@pytest.mark.parametrize(("source", "expected"), ALLOWED_CASES)
def test_render_markdown_allowed_markdown_renders_exactly(source, expected):
    assert str(render_markdown(source)) == expected


def test_render_markdown_result_is_markup():
    assert isinstance(render_markdown("*hi*"), Markup)


@pytest.mark.parametrize("empty", [None, ""])
def test_render_markdown_empty_input_is_empty_markup(empty):
    result = render_markdown(empty)
    assert isinstance(result, Markup)
    assert result == ""


def test_render_markdown_script_text_is_escaped():
    html = str(render_markdown('<script>alert("<b>x</b>")</script>'))
    assert "<script" not in html
    assert "<b>" not in html
