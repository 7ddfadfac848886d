"""Cached option lists write the markup WTForms' own Select writes, and validate the same way."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, SelectField

from portal.selects import ListedSelectField, OptionList

PAIRS = [("", "Anyone"), (3, "Ana <Ortega> & \"Co\""), (14, "Bo"), (1, "Cy")]


class Plain(Form):
    who = SelectField("Who", choices=[SelectChoice(str(v), label) for v, label in PAIRS], default="")


class Listed(Form):
    who = ListedSelectField("Who", options=OptionList(PAIRS), default="")


@pytest.mark.parametrize("chosen", [None, "", "3", "1", "999", "<x>"])
def test_listed_select_writes_and_validates_like_wtforms(chosen):
    data = MultiDict() if chosen is None else MultiDict({"who": chosen})
    plain, listed = Plain(data), Listed(data)

    assert plain.validate() == listed.validate()
    assert plain.who.errors == listed.who.errors
    assert str(listed.who()) == str(plain.who())
    attributes = {"aria-describedby": "who-error", "aria-invalid": "true"}
    assert str(listed.who(**attributes)) == str(plain.who(**attributes))


def test_option_list_marks_only_the_exact_value():
    options = OptionList([(1, "One"), (13, "Thirteen")])

    assert str(options.render("1")) == '<option selected value="1">One</option><option value="13">Thirteen</option>'
    assert str(options.render("3")) == str(options.html)
