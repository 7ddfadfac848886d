"""After signing in, each role lands where its work is; a safe next= still wins."""

import pytest

from tests.accounts.test_sessions import sign_in


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("educator",), "/my"),
        (("reviewer",), "/review"),
        (("educator", "reviewer"), "/review"),
        (("staff",), "/staff/"),
        (("staff", "reviewer"), "/staff/"),
    ],
)
def test_sign_in_lands_each_role_on_its_work(client, make_user, roles, landing):
    user = make_user(roles=roles)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


@pytest.mark.parametrize("roles", [("educator",), ("reviewer",), ("staff",)])
def test_a_safe_next_wins_over_the_landing_page(client, make_user, roles):
    user = make_user(roles=roles)
    response = sign_in(client, user.email, next_url="/notices")
    assert response.headers["Location"] == "/notices"


@pytest.mark.parametrize("roles", [("reviewer",), ("staff",)])
def test_an_unsafe_next_falls_back_to_the_roles_landing(client, make_user, roles):
    user = make_user(roles=roles)
    response = sign_in(client, user.email, next_url="//evil.example")
    assert response.headers["Location"] == ("/review" if roles == ("reviewer",) else "/staff/")
