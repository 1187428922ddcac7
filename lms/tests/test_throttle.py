"""Throttles: log in and the admin's log in (django-axes), sign-up and password reset."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from lms.throttle import client_ip

User = get_user_model()
PASSWORD = "right-pass-2026"
pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return User.objects.create_user("alice@example.com", "alice@example.com", PASSWORD)


def log_in(client: Client, email: str, password: str, url: str | None = None, **extra):
    return client.post(url or reverse("login"), {"username": email, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def page_text(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "",
                  response.content.decode())


def test_forty_wrong_passwords_then_the_right_one_is_still_locked_out(client, alice, settings):
    for _ in range(40):
        assert log_in(client, "alice@example.com", "guess").status_code in (200, 429)
        assert not logged_in(client)
    response = log_in(client, "alice@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert f"{settings.LOGIN_COOLOFF_MINUTES} minutes" in response.content.decode()
    assert not logged_in(client)


def test_lockout_starts_at_the_configured_failure_limit(client, alice, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert log_in(client, "alice@example.com", "guess").status_code == 200  # the form, with its error
    assert log_in(client, "alice@example.com", "guess").status_code == 429
    assert log_in(client, "alice@example.com", PASSWORD).status_code == 429


def test_lockout_for_an_unknown_email_looks_exactly_like_one_for_a_real_account(alice, settings):
    answers = {}
    for email in ("alice@example.com", "nobody@example.com"):
        client = Client()
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            log_in(client, email, "guess")
        response = log_in(client, email, "guess")
        answers[email] = (response.status_code, page_text(response))
    assert answers["alice@example.com"] == answers["nobody@example.com"]
    assert answers["alice@example.com"][0] == 429
    assert "alice" not in answers["alice@example.com"][1]


def test_email_case_and_spaces_count_as_one_account(client, alice, settings):
    for variant in ("Alice@Example.com", " alice@example.com", "ALICE@EXAMPLE.COM", "alice@example.com",
                    "aLiCe@example.com"):
        log_in(client, variant, "guess")
    assert log_in(client, "alice@example.com", PASSWORD).status_code == 429


def test_a_locked_pair_does_not_lock_the_account_out_from_elsewhere(alice, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 2):
        log_in(attacker, "alice@example.com", "guess")
    assert log_in(attacker, "alice@example.com", PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert log_in(owner, "alice@example.com", PASSWORD).status_code == 302


def test_one_address_trying_many_emails_is_locked_out_at_the_per_address_limit(alice, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 12
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(12):  # under the per-pair limit each: 3 emails x 4 guesses
        log_in(attacker, f"user{n % 3}@example.com", "guess")
    assert log_in(attacker, "alice@example.com", PASSWORD).status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.20"), "alice@example.com", PASSWORD).status_code == 302


def test_one_email_guessed_from_many_addresses_is_locked_out_at_the_per_account_limit(alice, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 12
    for n in range(12):  # a botnet: 3 guesses from each of 4 addresses, under every other limit
        log_in(Client(REMOTE_ADDR=f"203.0.113.{n // 3}"), "alice@example.com", "guess")
    assert log_in(Client(REMOTE_ADDR="198.51.100.20"), "alice@example.com", PASSWORD).status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.20"), "bob@example.com", "guess").status_code == 200


def test_one_address_hammering_a_locked_email_cannot_lock_it_out_everywhere(alice, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 12
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(30):  # refused while locked out, and not counted
        log_in(attacker, "alice@example.com", "guess")
    assert log_in(attacker, "alice@example.com", PASSWORD).status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.20"), "alice@example.com", PASSWORD).status_code == 302


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.LOGIN_FAILURE_LIMIT):  # a new forged address every time
        log_in(client, "alice@example.com", "guess", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert log_in(client, "alice@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.99").status_code == 429


def test_behind_the_ingress_the_address_is_the_one_the_proxy_appended(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    ingress = Client(REMOTE_ADDR="10.0.0.5")  # every request arrives from the ingress controller
    for n in range(settings.LOGIN_FAILURE_LIMIT):  # the client forges the left part; the proxy appends
        log_in(ingress, "alice@example.com", "guess", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7")
    assert log_in(ingress, "alice@example.com", PASSWORD,
                  HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another student behind the same ingress is a different client.
    assert log_in(ingress, "alice@example.com", PASSWORD,
                  HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


@pytest.mark.parametrize(("count", "remote", "forwarded", "expected"), [
    (0, "203.0.113.7", "1.1.1.1", "203.0.113.7"),
    (1, "10.0.0.5", "1.1.1.1, 203.0.113.7", "203.0.113.7"),
    (1, "10.0.0.5", " 2001:db8::1 ", "2001:db8::1"),
    (2, "10.0.0.5", "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
    (2, "10.0.0.5", "203.0.113.7", "10.0.0.5"),  # fewer entries than proxies: not from them
    (1, "10.0.0.5", "not-an-ip", "10.0.0.5"),
    (1, "10.0.0.5", "", "10.0.0.5"),
])
def test_client_ip_trusts_only_the_configured_proxies(settings, count, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_admin_login_is_throttled_too(client, settings):
    User.objects.create_superuser("root@example.com", "root@example.com", PASSWORD)
    url = reverse("admin:login")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(client, "root@example.com", "guess", url=url)
    response = log_in(client, "root@example.com", PASSWORD, url=url)
    assert response.status_code == 429 and not logged_in(client)


def test_the_lockout_ends_after_the_cool_off(client, alice, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(client, "alice@example.com", "guess")
    assert log_in(client, "alice@example.com", PASSWORD).status_code == 429
    earlier = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES, seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - earlier)
    assert log_in(client, "alice@example.com", PASSWORD).status_code == 302


def test_test_client_login_without_a_request_still_works(client, alice):
    # Django's test client and management code call authenticate() without a request.
    assert client.login(username="alice@example.com", password=PASSWORD)


def test_signup_is_rate_limited_per_address(client, db, settings, mailoutbox):
    settings.SIGNUP_RATE_LIMIT = 3
    for n in range(3):
        assert client.post(reverse("signup"), {"email": f"s{n}@example.com"}).status_code == 302
    refused = client.post(reverse("signup"), {"email": "s9@example.com"})
    assert refused.status_code == 429 and "too many sign-up requests" in refused.content.decode()
    assert len(mailoutbox) == 3
    other = Client(REMOTE_ADDR="198.51.100.20")
    assert other.post(reverse("signup"), {"email": "s9@example.com"}).status_code == 302


def test_password_reset_is_rate_limited_per_address(client, alice, settings, mailoutbox):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    for _ in range(2):
        assert client.post(reverse("password_reset"), {"email": "alice@example.com"}).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert refused.status_code == 429 and "too many password reset requests" in refused.content.decode()
    assert len(mailoutbox) == 2
