"""A cursor whose statements PostgreSQL parses and plans once per connection.

Django binds parameters on the client and turns psycopg's automatic preparation off (both keep
connection poolers in transaction mode working), so PostgreSQL parses, analyses and plans every
statement it receives. For a statement that runs on almost every request that work can cost more
than running it: the quiz autosave's one checked write (courses/quiz/services.py) took PostgreSQL
~0.59 ms per execution on one connection when sent as text and ~0.19 ms prepared (pgbench on this
2-core VM, 2026-12-03). `prepared_cursor()` binds parameters on the server and asks psycopg to
prepare every statement it runs; psycopg keeps the prepared statements per connection (at most
`prepared_max`, 100 by default) and prepares again on a new connection, or after a ROLLBACK
on the connection (psycopg then forgets them all).

Only for a handful of fixed statement texts: a text that changes from call to call (values
interpolated into it) would fill the connection's cache for nothing. Prepared statements belong
to the server session, so a pooler between Django and PostgreSQL must keep one (PgBouncer in
session mode, or ≥ 1.21 with max_prepared_statements). Podium's chart connects directly.
Elsewhere than PostgreSQL this is Django's ordinary cursor.
"""

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg is always installed


class _PreparingCursor(ServerBindingCursor):
    """psycopg's server-binding cursor, preparing every statement it executes (Django turns the
    connection's prepare_threshold off)."""

    keeps_text = False  # set where Django logs queries (DEBUG, tests)

    def execute(self, query, params=None, *, prepare=None, binary=None):
        super().execute(query, params, prepare=True, binary=binary)
        if self.keeps_text and self._query is None:
            # psycopg keeps no text of a prepared execution; Django's query log reads it.
            self._query = self._convert_query(query, params)
        return self


def prepared_cursor():
    """A cursor (use it in a with block) that prepares what it executes on PostgreSQL, wrapped
    like Django's own, so its queries are logged, counted and their errors translated."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        raw.keeps_text = True
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
