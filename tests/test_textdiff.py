from markupsafe import Markup

from portal.textdiff import MAX_WORDS, has_changes, is_comparable, word_diff


def test_word_diff_marks_added_and_removed_words_as_text():
    diff = word_diff("Loans rise to 40 a month.", "Loans rise to 120 a month.")
    assert isinstance(diff, Markup)
    assert str(diff) == (
        'Loans rise to <del><span class="visually-hidden">removed: </span>40</del> '
        '<ins><span class="visually-hidden">added: </span>120</ins> a month.'
    )


def test_word_diff_escapes_user_text_in_every_piece():
    diff = str(word_diff("<b>old</b> & same", "<script>x</script> & same"))
    assert "<script>" not in diff and "<b>" not in diff
    assert "&lt;script&gt;x&lt;/script&gt;" in diff
    assert "&lt;b&gt;old&lt;/b&gt;" in diff
    assert "&amp; same" in diff


def test_word_diff_of_equal_text_has_no_marks_and_keeps_line_breaks():
    diff = str(word_diff("one two\nthree", "one two\nthree"))
    assert diff == "one two\nthree"
    assert "<ins>" not in diff and "<del>" not in diff


def test_rewrapped_text_is_not_a_change():
    assert not has_changes("one two three", "one\ntwo   three")
    assert "<ins>" not in str(word_diff("one two three", "one\ntwo   three"))
    assert has_changes("one two", "one three")


def test_text_from_nothing_is_all_added():
    assert str(word_diff("", "New goal")) == '<ins><span class="visually-hidden">added: </span>New goal</ins>'


def test_very_long_texts_are_not_compared_word_by_word():
    long = "word " * (MAX_WORDS + 1)
    assert not is_comparable(long, "short")
    assert is_comparable("short", "text")


def test_a_replaced_last_word_is_kept_apart_from_its_replacement():
    diff = str(word_diff("by June.", "by May."))
    assert diff == (
        'by <del><span class="visually-hidden">removed: </span>June.</del> '
        '<ins><span class="visually-hidden">added: </span>May.</ins>'
    )
