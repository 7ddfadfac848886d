"""Groups smaller than the minimum are hidden, and neither totals nor other cells give them away."""

import csv
import io
import re

import pytest

from portal.cohorts import breakdowns
from portal.cohorts.suppression import fewer_than, suppressed_groups
from portal.submissions.models import State


@pytest.mark.parametrize(("sizes", "hidden"), [
    ({"a": 12, "b": 10, "c": 30}, set()),  # nothing small
    ({"a": 12, "b": 9, "c": 30}, {"b", "a"}),  # one small: the next-smallest goes too
    ({"a": 12, "b": 9, "c": 3, "d": 30}, {"b", "c"}),  # two small: they cover each other
    ({"a": 0, "b": 25, "c": 30}, {"a", "b"}),  # an empty group is a small group
    ({"a": 15, "b": 11, "c": 11, "d": 9}, {"d", "b"}),  # a tie goes to the first in display order
    ({"a": 9}, {"a"}),  # nothing else to hide
])
def test_suppressed_groups(sizes, hidden):
    assert suppressed_groups(sizes, 10) == hidden


def test_minimum_is_a_setting():
    assert suppressed_groups({"a": 12, "b": 19, "c": 30}, 20) == {"a", "b"}
    assert fewer_than(20) == "fewer than 20"


# Locale answers of 52 members: City 12, Suburban 9, Town 10, Rural 11, and 10 who preferred not to say (6) or
# did not answer (4). Every Suburban member has earned credential 1, so a leak would show a distinctive 9.
LOCALES = ["City"] * 12 + ["Suburban"] * 9 + ["Town"] * 10 + ["Rural"] * 11 + ["Prefer not to say"] * 6 + [None] * 4


@pytest.fixture
def locale_cohort(make_cohort, bulk, fields):
    cohort = make_cohort(slugs=("foundations",))
    states = [State.EARNED if locale == "Suburban" else None for locale in LOCALES]
    bulk(cohort, len(LOCALES), states=states, answers={"locale": lambda i: LOCALES[i]})
    return cohort


def test_group_of_nine_is_hidden_with_its_complement(locale_cohort):
    b = breakdowns.breakdown(locale_cohort, "locale")
    rows = {row.label: row for row in b.rows}
    assert list(rows) == ["City", "Suburban", "Town", "Rural", "Prefer not to say or no answer"]
    assert rows["Suburban"].hidden and rows["Town"].hidden  # Town: 10, the next-smallest
    assert not rows["City"].hidden and not rows["Rural"].hidden
    assert not rows["Prefer not to say or no answer"].hidden
    assert (rows["City"].members, rows["Rural"].members, rows["Prefer not to say or no answer"].members) == (12, 11, 10)
    # Nothing of a hidden row is left to show, and the total only gives the sum of the two hidden groups.
    assert (rows["Suburban"].members, rows["Suburban"].earned, rows["Suburban"].first_attempt.total) == (0, {}, 0)
    assert b.total.members == 52 and b.total.members - 12 - 11 - 10 == 19


def test_groups_page_shows_fewer_than_ten_and_never_the_hidden_figures(client, login_as, staff, locale_cohort):
    login_as(staff)
    page = client.get(f"/staff/cohorts/{locale_cohort.id}/groups").get_data(as_text=True)
    section = page[page.index('id="locale"'):]
    section = section[:section.index("</section>")]

    def row(label):
        start = section.index(f'<th scope="row">{label}</th>')
        return section[start:section.index("</tr>", start)]

    for hidden in ("Suburban", "Town"):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row(hidden))
        assert cells == ["fewer than 10"] * 4  # members, earned, first-attempt rate, median days
    assert re.findall(r"<td>(.*?)</td>", row("City"))[:2] == ["12", "0"]
    assert re.findall(r"<td>(.*?)</td>", row("All members"))[:2] == ["52", "9"]


def test_minimum_group_size_comes_from_the_setting(app, locale_cohort):
    app.config["COHORT_MIN_GROUP"] = 11
    rows = {row.label: row.hidden for row in breakdowns.breakdown(locale_cohort, "locale").rows}
    assert rows == {"City": False, "Suburban": True, "Town": True, "Rural": False,
                    "Prefer not to say or no answer": True}


def test_organization_breakdown_is_not_suppressed(locale_cohort):
    b = breakdowns.breakdown(locale_cohort, "organization")
    assert [(row.label, row.members, row.hidden) for row in b.rows] == [("Org A", 52, False)]


def test_suppressed_rows_stay_suppressed_in_the_export(client, login_as, staff, locale_cohort):
    login_as(staff)
    response = client.get(f"/staff/cohorts/{locale_cohort.id}/export/locale.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_group = {row[0]: row[1:] for row in rows[1:]}
    assert by_group["Suburban"] == ["fewer than 10"] * 4
    assert by_group["Town"] == ["fewer than 10"] * 4
    assert by_group["City"][:2] == ["12", "0"]
    assert by_group["All members"][:2] == ["52", "9"]  # the total of earned is the cohort's, already on the dashboard
