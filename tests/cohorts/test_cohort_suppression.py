"""Self-reported breakdowns: counts rounded with noise, groups smaller than the minimum hidden, and neither
totals, other cells nor a second cohort give a member's answer away."""

import csv
import io
import re

import pytest

from portal.cohorts import breakdowns, suppression
from portal.cohorts.models import Membership
from portal.cohorts.suppression import fewer_than, publish_count, published_distribution, suppressed_groups
from portal.extensions import db
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


# Locale answers of 64 members: City 22, Suburban 4, Town 12, Rural 16, and 10 who preferred not to say (6) or
# did not answer (4). Every Suburban member has earned credential 1, so a leak would show a distinctive 4.
LOCALES = ["City"] * 22 + ["Suburban"] * 4 + ["Town"] * 12 + ["Rural"] * 16 + ["Prefer not to say"] * 6 + [None] * 4


@pytest.fixture
def no_noise(monkeypatch):
    """Plain rounding to 5, so that the suppression rules can be checked with exact expectations."""
    monkeypatch.setattr(suppression, "noise", lambda _key: 0)


@pytest.fixture
def locale_cohort(make_cohort, bulk, fields):
    cohort = make_cohort(slugs=("foundations",))
    states = [State.EARNED if locale == "Suburban" else None for locale in LOCALES]
    bulk(cohort, len(LOCALES), states=states, answers={"locale": lambda i: LOCALES[i]})
    return cohort


def test_small_group_is_hidden_with_its_complement(no_noise, locale_cohort):
    b = breakdowns.breakdown(locale_cohort, "locale")
    rows = {row.label: row for row in b.rows}
    assert list(rows) == ["City", "Suburban", "Town", "Rural", "Prefer not to say or no answer"]
    assert rows["Suburban"].hidden and rows["Town"].hidden  # Town: 10 once rounded, the first of the smallest
    assert not rows["City"].hidden and not rows["Rural"].hidden
    assert not rows["Prefer not to say or no answer"].hidden
    assert (rows["City"].members, rows["Rural"].members, rows["Prefer not to say or no answer"].members) == (20, 15, 10)
    # Nothing of a hidden row is left to show, and the total only gives the sum of the two hidden groups.
    assert (rows["Suburban"].members, rows["Suburban"].earned, rows["Suburban"].first_attempt.total) == (0, {}, 0)
    assert b.total.members == 64 and b.is_rounded and rows["City"].median_days is None


def test_rounded_rates_come_from_rounded_counts(no_noise, make_cohort, bulk, fields):
    cohort = make_cohort(slugs=("foundations",))
    bulk(cohort, 23, states=[State.EARNED] * 12 + [State.NOT_YET] * 11, answers={"locale": lambda i: "City"})
    city = next(row for row in breakdowns.breakdown(cohort, "locale").rows if row.label == "City")
    assert (city.members, city.first_attempt.hits, city.first_attempt.total) == (25, 10, 25)
    assert city.first_attempt.percent == 40.0
    assert list(city.earned.values()) == [10]


def test_groups_page_shows_fewer_than_ten_and_never_the_hidden_figures(client, login_as, staff, no_noise,
                                                                      locale_cohort):
    login_as(staff)
    page = client.get(f"/staff/cohorts/{locale_cohort.id}/groups").get_data(as_text=True)
    assert "rounded to a multiple of 5" in page
    section = page[page.index('id="locale"'):]
    section = section[:section.index("</section>")]

    def row(label):
        start = section.index(f'<th scope="row">{label}</th>')
        return section[start:section.index("</tr>", start)]

    for hidden in ("Suburban", "Town"):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row(hidden))
        assert cells == ["fewer than 10"] * 3  # members, earned, first-attempt rate
    assert re.findall(r"<td>(.*?)</td>", row("City"))[:2] == ["20", "0"]
    assert re.findall(r"<td>(.*?)</td>", row("All members"))[:2] == ["64", "4"]


def test_minimum_group_size_comes_from_the_setting(app, no_noise, locale_cohort):
    app.config["COHORT_MIN_GROUP"] = 16
    rows = {row.label: row.hidden for row in breakdowns.breakdown(locale_cohort, "locale").rows}
    assert rows == {"City": False, "Suburban": True, "Town": True, "Rural": True,
                    "Prefer not to say or no answer": True}


def test_organization_breakdown_is_not_suppressed(locale_cohort):
    b = breakdowns.breakdown(locale_cohort, "organization")
    assert [(row.label, row.members, row.hidden) for row in b.rows] == [("Org A", 64, False)]
    assert not b.is_rounded


def test_suppressed_rows_stay_suppressed_in_the_export(client, login_as, staff, no_noise, locale_cohort):
    login_as(staff)
    response = client.get(f"/staff/cohorts/{locale_cohort.id}/export/locale.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_group = {row[0]: row[1:] for row in rows[1:]}
    assert rows[0][-1] == "First-attempt earn rate (%)"  # no median column
    assert by_group["Suburban"] == ["fewer than 10"] * 3
    assert by_group["Town"] == ["fewer than 10"] * 3
    assert by_group["City"][:2] == ["20", "0"]
    assert by_group["All members"][:2] == ["64", "4"]  # the total of earned is the cohort's, already on the dashboard
    assert "rounded to a multiple of 5" in by_group["Note"][0]


# ---------- differencing: two cohorts that differ by one member ----------

def test_published_figures_never_tell_a_count_from_the_next():
    """Every figure that can be shown for n can be shown for n + 1, and neither is much likelier."""
    for count in range(0, 60):
        lower, upper = published_distribution(count, 200), published_distribution(count + 1, 200)
        for figure in (f for f in lower if lower[f] > 1e-12):  # the far tails are cut off by the computation
            assert figure in upper
            ratio = max(lower[figure] / upper[figure], upper[figure] / lower[figure])
            assert ratio <= suppression.NOISE_RATIO * (1 + 1e-6)


def test_any_attack_on_one_pair_of_cohorts_is_right_at_most_a_quarter_more_often_than_chance():
    """The total variation distance bounds the advantage of every way of comparing the two figures. Plain rounding
    to 5 (12 shows 10, 13 shows 15) has distance 1 at a boundary: the member's answer is certain."""
    for count in range(0, 60):
        lower, upper = published_distribution(count), published_distribution(count + 1)
        distance = sum(abs(lower.get(f, 0) - upper.get(f, 0)) for f in set(lower) | set(upper)) / 2
        assert distance <= 0.25 + 1e-9


def test_publish_count_follows_its_distribution():
    draws = [publish_count(13, suppression.cell_key(f"secret {i}", [1, 2], "gender", "Woman")) for i in range(4000)]
    expected = published_distribution(13)
    for figure in (10, 15, 20):
        assert abs(draws.count(figure) / len(draws) - expected[figure]) < 0.03
    assert all(d % 5 == 0 for d in draws)


def test_two_cohorts_differing_by_one_woman_reveal_nothing(app, make_cohort, bulk, fields):
    """The attack of the issue: two cohorts, the second without one member whose answer is "Woman"."""
    answers = ["Woman"] * 13 + ["Man"] * 12 + [None] * 5
    first = make_cohort(name="First", slugs=("foundations",))
    second = make_cohort(name="Second", slugs=("foundations",))
    ids = bulk(first, len(answers), answers={"gender": lambda i: answers[i]})
    db.session.add_all(Membership(cohort_id=second.id, user_id=uid, district_role="Teacher leader") for uid in ids[1:])
    db.session.commit()

    def woman(cohort):
        rows = {row.label: row for row in breakdowns.breakdown(cohort, "gender").rows}
        return rows["Woman"].members

    published = woman(first), woman(second)
    assert published == (woman(first), woman(second))  # the same on every load: no averaging by reloading
    assert all(figure % 5 == 0 for figure in published)
    assert 13 not in published and 12 not in published


def test_a_change_of_membership_draws_every_cell_anew(app):
    """Were the draw kept for cells whose members did not change, the one cell that moved would name the group of
    the member who joined."""
    before, after = list(range(1, 31)), list(range(1, 32))
    keys = [suppression.cell_key("secret", ids, "gender", "Man", "members") for ids in (before, after)]
    assert keys[0] != keys[1]
    assert keys[0] == suppression.cell_key("secret", list(reversed(before)), "gender", "Man", "members")
