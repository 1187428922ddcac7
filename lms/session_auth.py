"""Who a request's session says it is, and Django's check of that claim made by PostgreSQL.

Django trusts a session once `django.contrib.auth.get_user` has loaded its user and found (1) the
session's backend among AUTHENTICATION_BACKENDS, (2) the user active, and (3) the session's hash
equal to the user's session auth hash: an HMAC-SHA256 of the user's password hash under a key
derived from SECRET_KEY (`AbstractBaseUser.get_session_auth_hash`), so that a password change
signs out every other session. That costs a round trip and an ORM query on every request.

The quiz autosave (issue 17: the busiest request in Podium) makes the check inside its one write
statement instead: `postgres_check` is the same HMAC written in SQL (PostgreSQL's sha256), so the
row is written only if the session is valid. Whatever the statement does not write goes the
ordinary way (`request.user`, `login_required`), which signs the session out or says why:
a session under a SECRET_KEY_FALLBACKS key, a backend other than ModelBackend, a deactivated user.
lms/tests/test_session_auth.py checks the SQL against Django's own hash (Hypothesis).
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest

# AbstractBaseUser.get_session_auth_hash's salt (django/contrib/auth/base_user.py).
KEY_SALT = b"django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def claimed(request: HttpRequest) -> tuple[int, str] | None:
    """The user id and session auth hash the session was signed in with, when it names a backend
    Podium uses; nothing is verified here (see the module's docstring)."""
    session = request.session
    try:
        user_id, auth_hash = int(session[SESSION_KEY]), str(session[HASH_SESSION_KEY])
        backend = session[BACKEND_SESSION_KEY]
    except (KeyError, TypeError, ValueError):
        return None
    if backend not in settings.AUTHENTICATION_BACKENDS:
        return None
    return user_id, auth_hash


def claimed_by_model_backend(request: HttpRequest) -> tuple[int, str] | None:
    """As `claimed`, for a session ModelBackend signed in: its users are rows checked by
    `postgres_check` (active, hash), nothing more."""
    identity = claimed(request)
    if identity is None or request.session.get(BACKEND_SESSION_KEY) != MODEL_BACKEND:
        return None
    return identity


@functools.lru_cache(maxsize=4)
def _pads(secret: str) -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys for Django's salted_hmac(KEY_SALT, …, secret, sha256)."""
    key = hashlib.sha256(KEY_SALT + secret.encode()).digest().ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def postgres_check(alias: str, auth_hash: str) -> tuple[str, list]:
    """SQL (and its params) true when the user row `alias` is active and `auth_hash` is its
    session auth hash under the current SECRET_KEY: HMAC(k, m) = H(k^opad || H(k^ipad || m))."""
    inner, outer = _pads(settings.SECRET_KEY)
    sql = (f"{alias}.is_active AND encode(sha256(%s::bytea || sha256(%s::bytea || "
           f"convert_to({alias}.password, 'UTF8'))), 'hex') = %s")
    return sql, [outer, inner, auth_hash]
