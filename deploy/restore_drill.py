"""The restore drill (`make restore-test`, deploy/tests/test_restore.py): back up a Podium
database with the chart's own backup script, restore it with the chart's restore script into
another database, and compare every table's row count.

Against a local PostgreSQL (default postgres://postgres@127.0.0.1:5432, trust authentication;
PODIUM_RESTORE_PG overrides it), with two scratch databases that are dropped afterwards:

1. podium_drill_src_<id>: `manage.py migrate`, `load_course`, `setup_demo` (users, a cohort,
   enrolments) and a few submissions;
2. deploy/helm/podium/files/pg-backup.sh (the CronJob's script: same pg_dump flags, same checks,
   same retention) into a scratch directory, three times with BACKUP_KEEP=2;
3. podium_drill_dst_<id>: deploy/helm/podium/files/pg-restore.sh of the newest dump;
4. row counts per table and id sequences equal, and `manage.py migrate --check` passes on the
   restored database.

Exits 0 and prints the counts when everything matches; 1 with the differences otherwise; 3 when
PostgreSQL or its client tools are not there (the pytest wrapper skips then, saying why).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "deploy" / "helm" / "podium" / "files"
COURSE = "courses/content/kubernetes-fundamentals"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
UNAVAILABLE = 3

SUBMISSIONS = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from grading.models import Lab, Submission
student = get_user_model().objects.get(username="student@podium.local")
now = timezone.now()
for lab in Lab.objects.order_by("pk")[:3]:
    Submission.objects.create(lab=lab, user=student, status="passed", score=80, max_score=100, passed=True,
                              notes=["restored from a drill"], stages=[{"name": "parse", "ms": 3}],
                              queued_at=now, finished_at=now)
    Submission.objects.create(lab=lab, user=student, status="queued", queued_at=now)
"""


class Unavailable(Exception):
    """PostgreSQL or its client tools are missing: the drill cannot run here."""


def server_url() -> str:
    return os.environ.get("PODIUM_RESTORE_PG", DEFAULT_SERVER).rstrip("/")


def libpq_env(database: str) -> dict[str, str]:
    url = urlsplit(server_url())
    env = {**os.environ, "PGHOST": url.hostname or "127.0.0.1", "PGPORT": str(url.port or 5432),
           "PGUSER": url.username or "postgres", "PGDATABASE": database}
    if url.password:
        env["PGPASSWORD"] = url.password
    return env


def psql(database: str, sql: str) -> str:
    # An argument list (no shell); the SQL is the drill's own.
    result = subprocess.run([shutil.which("psql") or "psql", "--no-psqlrc", "--quiet", "--tuples-only",  # noqa: S603
                             "--no-align", "--set=ON_ERROR_STOP=1", "--command", sql],
                            env=libpq_env(database), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"psql on {database}: {result.stderr.strip()}")
    return result.stdout


def check_available() -> None:
    for tool in ("psql", "pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    try:
        psql("postgres", "SELECT 1")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"PostgreSQL at {server_url()} does not answer: {exc}") from exc


def manage(database: str, var_dir: Path, *args: str) -> str:
    url = f"{server_url()}/{database}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DEBUG"))}
    env.update(DATABASE_URL=url, SECRET_KEY="restore-drill-" + secrets.token_hex(16), SECURE_SSL="0",
               STATICFILES_MANIFEST="0", PODIUM_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="lms.settings")
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} on {database} failed:\n"
                           f"{result.stdout}{result.stderr}")
    return result.stdout


def row_counts(database: str) -> dict[str, int]:
    tables = psql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split()
    if not tables:
        return {}
    # Table names come from pg_tables (Django's lower-case identifiers), quoted as identifiers.
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM public.\"{t}\"" for t in tables)  # noqa: S608
    counts = {}
    for line in psql(database, union).splitlines():
        if line:
            table, count = line.rsplit("|", 1)
            counts[table] = int(count)
    return counts


def sequence_values(database: str) -> dict[str, int]:
    """Where each id sequence stands: a restore that lost them would hand out taken ids."""
    rows = psql(database, "SELECT sequencename || '|' || coalesce(last_value, 0) FROM pg_sequences "
                          "WHERE schemaname = 'public'").split()
    return {name: int(value) for name, value in (row.rsplit("|", 1) for row in rows)}


def run_script(name: str, database: str, *args: str, **extra: str) -> str:
    result = subprocess.run(["/bin/sh", str(SCRIPTS / name), *args],  # noqa: S603 - the chart's own scripts
                            env={**libpq_env(database), **extra}, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def drill(log=print) -> dict[str, int]:
    """Runs the drill; returns the source's row counts. Raises on any difference."""
    check_available()
    drill_id = secrets.token_hex(4)
    source, target = f"podium_drill_src_{drill_id}", f"podium_drill_dst_{drill_id}"
    with tempfile.TemporaryDirectory(prefix="podium-restore-drill-") as tmp:
        work = Path(tmp)
        backups, var_dir = work / "backups", work / "var"
        backups.mkdir()
        var_dir.mkdir()
        try:
            psql("postgres", f'CREATE DATABASE "{source}"')
            log(f"migrating and loading {source}")
            manage(source, var_dir, "migrate", "--no-input")
            manage(source, var_dir, "load_course", COURSE)
            manage(source, var_dir, "setup_demo")
            manage(source, var_dir, "shell", "-c", SUBMISSIONS)
            before, sequences_before = row_counts(source), sequence_values(source)
            for attempt in range(3):
                if attempt:
                    time.sleep(1.1)  # dump names carry the second; three distinct dumps
                log(run_script("pg-backup.sh", source, BACKUP_DIR=str(backups), BACKUP_KEEP="2").strip())
            dumps = sorted(backups.glob(f"{source}-*.dump"))
            if len(dumps) != 2 or any(p.name.startswith(".") for p in backups.iterdir()):
                raise RuntimeError(f"retention kept {[p.name for p in backups.iterdir()]}, expected 2 dumps")
            psql("postgres", f'CREATE DATABASE "{target}"')
            log(run_script("pg-restore.sh", target, str(dumps[-1])).strip())
            after, sequences_after = row_counts(target), sequence_values(target)
            manage(target, var_dir, "migrate", "--check", "--no-input")
        finally:
            for database in (source, target):
                psql("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    differences = {t: (before.get(t), after.get(t)) for t in sorted(set(before) | set(after))
                   if before.get(t) != after.get(t)}
    if differences:
        raise RuntimeError(f"row counts differ after restore (table: before, after): {differences}")
    if sequences_before != sequences_after:
        raise RuntimeError(f"id sequences differ after restore: {sequences_before} != {sequences_after}")
    return before


def main() -> int:
    try:
        counts = drill()
    except Unavailable as exc:
        print(f"restore drill not run: {exc}", file=sys.stderr)
        return UNAVAILABLE
    except RuntimeError as exc:
        print(f"restore drill FAILED: {exc}", file=sys.stderr)
        return 1
    filled = {t: n for t, n in counts.items() if n}
    print(f"restore drill passed: {len(counts)} tables, {sum(counts.values())} rows, equal after restore")
    for table, count in sorted(filled.items()):
        print(f"  {table}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
