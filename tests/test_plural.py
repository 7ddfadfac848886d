from portal.text import plural


def test_plural_writes_one_and_many_and_none():
    assert plural(1, "cohort") == "1 cohort"
    assert plural(2, "cohort") == "2 cohorts"
    assert plural(0, "cohort") == "0 cohorts"


def test_plural_takes_an_irregular_form():
    assert plural(1, "match", "matches") == "1 match"
    assert plural(3, "match", "matches") == "3 matches"


def test_plural_is_a_template_global(app):
    template = app.jinja_env.from_string("{{ plural(n, 'credential') }}")
    assert template.render(n=1) == "1 credential" and template.render(n=4) == "4 credentials"
