"""Health endpoints for Kubernetes probes: `/healthz` (the process is up) and `/readyz` (the
database, and Redis when REDIS_URL is set, answer).

They are served by a middleware placed first in MIDDLEWARE, before SecurityMiddleware and
CommonMiddleware, because the kubelet probes the pod IP over plain HTTP: the answer must come
before the HTTPS redirect and before ALLOWED_HOSTS validation (which would reject the pod IP).
No session, no auth, no template, no logging at info level: a probe every few seconds on every
replica must cost next to nothing and must not flood the logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

HEALTH_PATHS = ("/healthz", "/readyz")
REDIS_TIMEOUT_SECONDS = 1.0


def _json(body: dict, status: int) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def check_database(alias: str = "default") -> None:
    """Raise if the database does not answer a trivial query."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@cache
def _redis_client(url: str):
    import redis

    # One client (and connection pool) per process; short timeouts so a dead Redis makes
    # the probe fail fast instead of hanging until the kubelet's timeout.
    return redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                socket_connect_timeout=REDIS_TIMEOUT_SECONDS)


def check_redis(url: str) -> None:
    """Raise if Redis at `url` does not answer PING."""
    if not _redis_client(url).ping():
        raise ConnectionError("Redis did not answer PING")


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, {dependency: "ok" or the error's class}) for the database and Redis."""
    checks: dict[str, Callable[[], None]] = {"database": check_database}
    redis_url = getattr(settings, "REDIS_URL", None)
    if redis_url:
        checks["redis"] = lambda: check_redis(redis_url)
    results: dict[str, str] = {}
    for name, probe in checks.items():
        try:
            probe()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the class says which kind
            logger.warning("readiness: %s is unavailable: %r", name, exc)
            results[name] = type(exc).__name__
    return all(v == "ok" for v in results.values()), results


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    ready, results = readiness()
    return _json({"status": "ok" if ready else "unavailable", "checks": results}, 200 if ready else 503)


class HealthMiddleware:
    """Answer GET/HEAD /healthz and /readyz before any other middleware runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path in HEALTH_PATHS and request.method in ("GET", "HEAD"):
            return healthz(request) if path == "/healthz" else readyz(request)
        return self.get_response(request)
