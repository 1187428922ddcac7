"""Test-wide setup. The settings refuse to start without SECRET_KEY (DEBUG is off in tests,
as in production), so tests get a throwaway key here, before Django is imported."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")
os.environ.setdefault("SECURE_SSL", "0")
os.environ.setdefault("STATICFILES_MANIFEST", "0")
os.environ.pop("DEBUG", None)

import django  # noqa: E402

django.setup()


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness buys nothing in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import caches

    from courses.outline import forget_snapshots
    from lms.page_cache import forget_shared

    for cache in caches.all():
        cache.clear()
    forget_snapshots()
    forget_shared()


@pytest.fixture(autouse=True)
def _student_page_cache(settings):
    # On in every test, as in production (it is off by default only without a shared cache):
    # a page that a write forgets to make stale fails the test that reads it again.
    settings.STUDENT_PAGE_CACHE = True
