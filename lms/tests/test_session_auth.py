"""lms/session_auth.py: Django's session check, made by PostgreSQL, must be Django's exactly."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lms import session_auth

pytestmark = pytest.mark.django_db

if connection.vendor != "postgresql":
    pytest.skip("the session check in SQL runs on PostgreSQL only (set DATABASE_URL)",
                allow_module_level=True)


def sql_accepts(user, auth_hash: str) -> bool:
    table = connection.ops.quote_name(get_user_model()._meta.db_table)
    check, params = session_auth.postgres_check("u", auth_hash)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} u WHERE u.id = %s AND {check})",  # noqa: S608
                       [user.pk, *params])
        return cursor.fetchone()[0]


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("sql-hmac@podium.test", password="a-password-5512")


@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password_hash=st.text(min_size=0, max_size=200).filter(lambda s: "\x00" not in s),
       secret=st.text(min_size=1, max_size=80).filter(lambda s: "\x00" not in s))
def test_the_sql_hmac_is_djangos_session_auth_hash(user, password_hash, secret, settings):
    settings.SECRET_KEY = secret
    user.password = password_hash  # any stored text: a hash, an unusable one ("!…"), unicode
    user.save(update_fields=["password"])
    good = user.get_session_auth_hash()
    assert sql_accepts(user, good)
    assert not sql_accepts(user, good[:-1] + ("1" if good.endswith("0") else "0"))


def test_another_key_another_password_or_an_inactive_user_is_refused(user, settings):
    good = user.get_session_auth_hash()
    assert sql_accepts(user, good)
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    assert not sql_accepts(user, good)
    settings.SECRET_KEY = settings.SECRET_KEY.removeprefix("another-")
    user.set_password("changed-password-9034")
    user.save()
    assert not sql_accepts(user, good)
    assert sql_accepts(user, user.get_session_auth_hash())
    user.is_active = False
    user.save()
    assert not sql_accepts(user, user.get_session_auth_hash())
