from flask import url_for

from portal.templating import page_url, url_pattern


def test_page_url_keeps_filters_and_replaces_the_page(app):
    with app.test_request_context("/staff/submissions?state=submitted&credential=4&page=3"):
        assert page_url(4) == "/staff/submissions?state=submitted&credential=4&page=4"


def test_page_url_keeps_repeated_arguments_and_path_values(app):
    with app.test_request_context("/staff/cohorts/7?org=1&org=2"):
        assert page_url(2) == "/staff/cohorts/7?org=1&org=2&page=2"


def test_url_pattern_builds_each_rows_link_as_url_for_would(app):
    with app.test_request_context("/staff/submissions"):
        pattern = url_pattern("staff_reviews.submission", "submission_id")
        for n in (7, 1234):
            assert pattern.format(n) == url_for("staff_reviews.submission", submission_id=n)


def test_url_pattern_keeps_braces_of_the_url_itself(app):
    with app.test_request_context("/"):
        pattern = url_pattern("staff_reviews.submission", "submission_id", note="{x}")
        assert pattern.format(5) == url_for("staff_reviews.submission", submission_id=5, note="{x}")
