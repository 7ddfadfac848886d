from flask import url_for

from portal.templating import page_url, url_pattern


def test_page_url_keeps_filters_and_replaces_the_page(app):
    with app.test_request_context("/staff/submissions?state=submitted&credential=4&page=3"):
        assert page_url(4) == "/staff/submissions?state=submitted&credential=4&page=4"


def test_page_url_keeps_repeated_arguments_and_path_values(app):
    with app.test_request_context("/staff/cohorts/7?org=1&org=2"):
        assert page_url(2) == "/staff/cohorts/7?org=1&org=2&page=2"


def test_fixed_url_is_url_for_under_each_script_root(app):
    from flask import url_for

    from portal.templating import fixed_url

    for root in ("", "/portal", ""):  # kept per root: a second root never gets the first one's links
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            assert fixed_url("static", filename="css/portal.css") == url_for("static", filename="css/portal.css")
            assert fixed_url("catalog.index") == url_for("catalog.index") == f"{root}/"


def test_earned_by_says_the_count_in_words_and_escapes_the_id():
    from portal.templating import earned_by

    assert earned_by(0) == '<p class="earned-count">Nobody has earned it yet.</p>'
    assert earned_by(1, id="earned-count") == '<p class="earned-count" id="earned-count">Earned by 1 person.</p>'
    assert earned_by(12, id='x"y') == '<p class="earned-count" id="x&#34;y">Earned by 12 people.</p>'


def test_url_pattern_builds_each_rows_link_as_url_for_would(app):
    with app.test_request_context("/staff/submissions"):
        pattern = url_pattern("staff_reviews.submission", "submission_id")
        for n in (7, 1234):
            assert pattern.format(n) == url_for("staff_reviews.submission", submission_id=n)


def test_url_pattern_keeps_braces_of_the_url_itself(app):
    with app.test_request_context("/"):
        pattern = url_pattern("staff_reviews.submission", "submission_id", note="{x}")
        assert pattern.format(5) == url_for("staff_reviews.submission", submission_id=5, note="{x}")
