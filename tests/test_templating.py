from portal.templating import page_url


def test_page_url_keeps_filters_and_replaces_the_page(app):
    with app.test_request_context("/staff/submissions?state=submitted&credential=4&page=3"):
        assert page_url(4) == "/staff/submissions?state=submitted&credential=4&page=4"


def test_page_url_keeps_repeated_arguments_and_path_values(app):
    with app.test_request_context("/staff/cohorts/7?org=1&org=2"):
        assert page_url(2) == "/staff/cohorts/7?org=1&org=2&page=2"
