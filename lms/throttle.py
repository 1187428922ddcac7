"""Throttles for the pages an attacker can hammer without an account.

- Log in (Podium's and the admin's): django-axes records every failure in the database (shared
  by all web pods). `LoginThrottleHandler` locks out one email from one address after
  `LOGIN_FAILURE_LIMIT` failures, one address after `LOGIN_IP_FAILURE_LIMIT` failures (any
  emails) and one email after `LOGIN_ACCOUNT_FAILURE_LIMIT` failures (any addresses), for
  `LOGIN_COOLOFF_MINUTES` after the last failure. Unknown emails count exactly like
  known ones, so the lockout says nothing about which accounts exist.
- Sign-up and password reset: `RateLimit`, a fixed-window counter per client address in the
  default cache (Redis in production).

`client_ip` is the one place that decides who the client is (see TRUSTED_PROXY_COUNT).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies, the entry of
    X-Forwarded-For that the outermost trusted proxy wrote.

    Each proxy appends the address it received the request from, so with N trusted proxies the
    N-th entry from the right is the client as the outermost proxy saw it; anything to its left
    was written by the client and is ignored. A header with fewer entries did not come through
    all the proxies, so REMOTE_ADDR is used."""
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a key, not a bind
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) >= count:
            forwarded = _valid_ip(entries[-count])
            if forwarded:
                return forwarded
    return _valid_ip(remote) or remote


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email a login attempt is for, normalised like EmailAuthenticationForm does, so that
    "A@x.com" and " a@x.com" count as one account (the admin's form does not lower-case)."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username") if request is not None else None
    return value.strip().lower()[:255] if isinstance(value, str) else None


class LoginThrottleHandler(AxesDatabaseHandler):
    """Three limits on one axes record: per (email, address), per address, per email.

    AXES_LOCKOUT_PARAMETERS is [["username", "ip_address"], "ip_address", "username"], so axes
    returns the attempts of the pair, of the address and of the email, in that order. Axes
    compares one number with one limit (AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT); an address
    or an email over its own, higher limit reports at least that limit, so it is locked out.
    The per-email limit is high: it stops guessing one password from many addresses, while one
    address alone cannot lock a student out (attempts refused during a lockout are not counted,
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False, so one address adds at most
    LOGIN_FAILURE_LIMIT failures per email per cool-off)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair, address, account = (
            sum(attempts.order_by().values_list("failures_since_start", flat=True))
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.LOGIN_IP_FAILURE_LIMIT or account >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
            return max(pair, settings.LOGIN_FAILURE_LIMIT)
        return pair


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse a login while the throttle is locked (before the password is even checked).

    `authenticate()` without a request (Django's test client `login()`, management commands)
    is not a web login: nothing to throttle by, so it passes to the next backend instead of
    raising as axes' own backend does."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` requests per client address in a window of `window_minutes`.

    A fixed window in the cache: the first request creates the counter with the window as its
    timeout, later ones increment it. Over the limit, the request is refused until the window
    ends. Counting is atomic with Redis (INCR) and within one process with the local cache."""

    scope: str
    setting: str

    @property
    def limit(self) -> int:
        return getattr(settings, self.setting)

    @property
    def window_seconds(self) -> int:
        return settings.RATE_LIMIT_WINDOW_MINUTES * 60

    def key(self, request: HttpRequest) -> str:
        digest = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
        return f"podium:rate:{self.scope}:{digest}"

    def hit(self, request: HttpRequest) -> bool:
        """Count this request; False when it is over the limit (the caller refuses it)."""
        key = self.key(request)
        if cache.add(key, 1, timeout=self.window_seconds):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add() and incr(): a new window
                cache.add(key, 1, timeout=self.window_seconds)
                count = 1
        if count > self.limit:
            logger.warning("rate limit: %s refused for %s (%d in the window)", self.scope,
                           client_ip(request), count)
            return False
        return True


SIGNUP_LIMIT = RateLimit("signup", "SIGNUP_RATE_LIMIT")
PASSWORD_RESET_LIMIT = RateLimit("password-reset", "PASSWORD_RESET_RATE_LIMIT")
