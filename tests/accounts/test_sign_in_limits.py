"""Sign-in gives nothing away by its timing, counts only failures, and the password checks are limited."""

import statistics
import time

import pytest
from argon2 import PasswordHasher

from portal.accounts import services
from tests.conftest import PASSWORD


def sign_in_ms(client, email: str) -> float:
    start = time.perf_counter()
    client.post("/sign-in", data={"email": email, "password": "not the password"})
    return (time.perf_counter() - start) * 1000


def paired_differences(client, email: str, rounds: int = 60) -> list[float]:
    differences = []
    for round_ in range(rounds + 5):
        # Paired and in alternating order, so a busy moment of the shared machine slows both alike.
        if round_ % 2:
            unknown, wrong = sign_in_ms(client, "nobody@example.org"), sign_in_ms(client, email)
        else:
            wrong, unknown = sign_in_ms(client, email), sign_in_ms(client, "nobody@example.org")
        if round_ >= 5:  # the first rounds warm up both paths
            differences.append(wrong - unknown)
    return differences


def test_unknown_email_and_wrong_password_take_the_same_time(app, client, make_user):
    # With the suite's light hash parameters this measures everything but the hash itself (one verification
    # on both paths); test_the_dummy_hash_is_computed_once_not_per_request guards the number of hashes.
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "1000 per minute"
    user = make_user()
    medians = []
    for _ in range(3):  # a real difference shows every time; a noisy neighbour on the machine does not
        medians.append(statistics.median(paired_differences(client, user.email)))
        if abs(medians[-1]) < 3:
            return
    pytest.fail(f"wrong password minus unknown email, median ms per attempt: {medians}")


def test_the_dummy_hash_is_computed_once_not_per_request(app, make_user, monkeypatch):
    services._dummy_hash.cache_clear()
    calls = []
    real_hash = PasswordHasher.hash
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, secret, **kw: calls.append(1) or real_hash(self, secret))
    for n in range(3):
        assert services.authenticate(f"nobody{n}@example.org", "a guess") is None
    assert len(calls) == 1


def test_successful_sign_ins_do_not_count_against_the_address_limit(app, make_user):
    # A school behind one address: far more than 20 people sign in within ten minutes.
    people = [make_user() for _ in range(25)]
    for person in people:
        response = app.test_client().post("/sign-in", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 302


def test_failed_sign_ins_from_one_address_are_limited(app, client):
    statuses = [client.post("/sign-in", data={"email": f"guess{n}@example.org", "password": "x"}).status_code
                for n in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_the_password_page_limits_wrong_current_passwords(client, make_user, login_as):
    login_as(make_user())
    wrong = {"current_password": "guess", "new_password": "a new passphrase"}
    assert [client.post("/account/password", data=wrong).status_code for _ in range(5)] == [200] * 5
    right = {"current_password": PASSWORD, "new_password": "a new passphrase"}
    assert client.post("/account/password", data=right).status_code == 429


def test_the_email_page_shares_the_password_check_limit(client, make_user, login_as):
    login_as(make_user())
    wrong = {"current_password": "guess", "new_password": "a new passphrase"}
    for _ in range(5):
        client.post("/account/password", data=wrong)
    response = client.post("/account/email", data={"email": "new@example.org", "password": PASSWORD})
    assert response.status_code == 429


def test_successful_password_checks_do_not_count(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    password = PASSWORD
    for n in range(7):
        new = f"passphrase number {n}"
        response = client.post("/account/password", data={"current_password": password, "new_password": new})
        assert response.status_code == 302
        password = new
