"""Create the benchmark database named by DATABASE_URL if it does not exist (PostgreSQL)."""

import os
from urllib.parse import urlparse

import psycopg

url = urlparse(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, dbname="postgres",
                     autocommit=True) as conn:
    if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
        conn.execute(f'create database "{name}"')  # noqa: S608 - name from our own environment
