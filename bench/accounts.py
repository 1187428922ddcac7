"""The benchmark student and a signed-in session for it (import after django.setup())."""

import os

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore


def bench_student(number: int = 0):
    """bench@podium.local (or bench-N@podium.local), with a fresh random password nobody knows
    (sessions only)."""
    email = f"bench-{number}@podium.local" if number else "bench@podium.local"
    user, _ = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
    user.set_password(os.urandom(16).hex())
    user.save()
    return user


def signed_in_session(user) -> SessionStore:
    """A stored session as Django's login() would leave it, so wrk can send its cookie."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session
