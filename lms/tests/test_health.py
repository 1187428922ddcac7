"""/healthz and /readyz: answered first, over HTTP, for any Host, without logging at info."""

import logging

import pytest
from django.db import OperationalError
from django.test import Client

from lms import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    # Production rules: HTTPS redirect on, only the public host allowed.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["podium.example.com"]
    settings.REDIS_URL = None
    return settings


def test_healthz_answers_ok_for_the_pod_ip_over_plain_http(production):
    response = Client(HTTP_HOST="10.1.2.3:8000").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_does_not_touch_the_database(production, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Client(HTTP_HOST="10.1.2.3").get("/healthz").status_code == 200


def test_readyz_is_ready_when_the_database_answers(production):
    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_unavailable_when_the_database_fails(production, monkeypatch):
    def broken(alias="default"):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", broken)
    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "OperationalError"}}


def test_readyz_checks_redis_only_when_redis_url_is_set(production, monkeypatch):
    pinged = []
    monkeypatch.setattr(health, "check_redis", lambda url: pinged.append(url))
    assert Client(HTTP_HOST="10.1.2.3").get("/readyz").json()["checks"] == {"database": "ok"}
    production.REDIS_URL = "redis://redis:6379/0"
    body = Client(HTTP_HOST="10.1.2.3").get("/readyz").json()
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    assert pinged == ["redis://redis:6379/0"]


def test_readyz_is_unavailable_when_redis_does_not_answer(production):
    # Nothing listens on port 1: the connection is refused at once.
    production.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["redis"] != "ok"


def test_probes_are_not_logged_at_info_level(production, caplog):
    with caplog.at_level(logging.INFO):
        Client(HTTP_HOST="10.1.2.3").get("/healthz")
        Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert [r for r in caplog.records if r.levelno <= logging.INFO] == []


def test_other_paths_still_get_host_validation_and_the_https_redirect(production):
    assert Client(HTTP_HOST="10.1.2.3").get("/").status_code == 400
    assert Client(HTTP_HOST="podium.example.com").get("/").status_code == 301


def test_health_paths_refuse_other_methods_through_the_normal_stack(production):
    assert Client(HTTP_HOST="10.1.2.3").post("/healthz").status_code == 400
