"""lms/prepared.py: the statements it runs are prepared once per connection on PostgreSQL, and
nothing else is (Django's cursors stay unprepared, as connection poolers need)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from lms.prepared import prepared_cursor

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="prepared statements are PostgreSQL's (set DATABASE_URL)")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def add_one(value):
    with prepared_cursor() as cursor:
        cursor.execute("SELECT CAST(%s AS integer) + 1 AS podium_prepared_probe", [value])
        return cursor.fetchone()[0]


def test_it_runs_statements_with_their_parameters():
    assert [add_one(n) for n in (1, 41, -3)] == [2, 42, -2]


@postgresql_only
def test_a_statement_is_prepared_once_and_reused_with_new_parameters():
    assert add_one(1) == 2 and add_one(2) == 3 and add_one(3) == 4
    mine = [s for s in prepared_statements() if "podium_prepared_probe" in s]
    assert len(mine) == 1  # one statement for three executions
    assert "$1" in mine[0]  # bound on the server: the values are not in the text


@postgresql_only
def test_djangos_own_queries_are_not_prepared():
    """The settings' prepare_threshold lets only cursors that ask prepare: Django's cursors bind
    on the client, which a pooler in transaction mode needs."""
    user_model = get_user_model()
    for _ in range(10):
        list(user_model.objects.filter(username="nobody@podium.test"))
    assert not [s for s in prepared_statements() if "auth_user" in s]


def test_its_queries_are_in_djangos_query_log_with_their_text():
    with CaptureQueriesContext(connection) as ctx:
        add_one(5)
        add_one(6)  # on PostgreSQL the prepared execution: psycopg keeps no text of it
    assert len(ctx.captured_queries) == 2
    assert all("podium_prepared_probe" in q["sql"] for q in ctx.captured_queries)


def test_an_error_is_djangos_and_the_connection_stays_usable():
    with pytest.raises(DatabaseError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM auth_user WHERE id = %s", [1])
    assert add_one(1) == 2
