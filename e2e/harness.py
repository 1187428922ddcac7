"""The world the browser tests run against: a gunicorn server and a real Celery worker, in
subprocesses, sharing a fresh database and a broker: SQLite and a filesystem broker under a
temporary folder by default; PostgreSQL and Redis, as in production, when `E2E_DATABASE_URL`
(a database this run may drop and re-create) and `E2E_REDIS_URL` (a Redis database it may
empty) are set, as CI does.

The test process never touches that database itself: data is made by `manage.py` commands
(migrate, load_course, `shell -c`), so what the browser sees is exactly what a deployment does.
"""

from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
COURSE_DIR = ROOT / "courses" / "content" / "kubernetes-fundamentals"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var_dir: Path, port: int) -> dict[str, str]:
    """Production rules (DEBUG off), plain HTTP, mail to files, everything under var_dir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "PYTEST_", "GRADING_", "METRICS_",
                                "PROMETHEUS_", "KUBECONFIG"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "SECRET_KEY": "e2e-only-" + os.urandom(8).hex(),
        "PODIUM_VAR_DIR": str(var_dir),
        "DATABASE_URL": os.environ.get("E2E_DATABASE_URL") or f"sqlite:///{var_dir / 'e2e.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "SECURE_SSL": "0",
        "STATICFILES_MANIFEST": "0",
        # Files, so journeys can follow the links Podium emails (sign-up confirmation).
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    if os.environ.get("E2E_REDIS_URL"):
        # The cache in the same Redis, named as its own (the chart's default): so the students'
        # page cache is on, as deployed (lms/page_cache.py).
        env["REDIS_URL"] = env["REDIS_CACHE_URL"] = os.environ["E2E_REDIS_URL"]
    env.pop("DEBUG", None)
    return env


def reset_services(env: dict[str, str]) -> None:
    """Start from an empty PostgreSQL database and Redis database when the run uses them."""
    db = dj_database_url.parse(env["DATABASE_URL"])  # as the settings read it
    if db["ENGINE"] == "django.db.backends.postgresql":
        import psycopg
        from psycopg import sql

        name = db["NAME"]
        server = {"dbname": "postgres", "user": db.get("USER"), "password": db.get("PASSWORD"),
                  "host": db.get("HOST"), "port": db.get("PORT")}
        with psycopg.connect(autocommit=True, **{k: v for k, v in server.items() if v}) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if env.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()


@dataclass
class Site:
    var_dir: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = server_env(self.var_dir, self.port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def manage(self, *args: str) -> str:
        done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env,  # noqa: S603
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def emailed_link(self, to: str, path_part: str, timeout: float = 10) -> str:
        """The newest link containing `path_part` in a mail sent to `to` (a path on this site)."""
        deadline = time.monotonic() + timeout
        while True:
            links = []
            for file in sorted((self.var_dir / "mail").glob("*.log"), key=lambda f: f.stat().st_mtime):
                # The file backend writes each message followed by a line of 79 dashes.
                for raw in file.read_text().split("\n" + "-" * 79 + "\n"):
                    message = email.message_from_string(raw.strip())
                    if message["To"] == to:
                        body = message.get_payload(decode=True).decode()
                        links += [u for u in re.findall(r"https?://\S+", body) if path_part in u]
            if links:
                return links[-1].removeprefix(self.base_url)
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} with a {path_part} link in {self.var_dir / 'mail'}")
            time.sleep(0.2)

    def run_python(self, code: str) -> str:
        """Run Django code in the site's database (for test data and for assertions)."""
        return self.manage("shell", "--no-imports", "-c", code)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def start(self) -> None:
        reset_services(self.env)
        self.manage("migrate", "--no-input")
        self.manage("load_course", str(COURSE_DIR))
        self._spawn("gunicorn", [str(BIN / "gunicorn"), "lms.wsgi", "--bind", f"127.0.0.1:{self.port}",
                                 "--workers", "2", "--threads", "4", "--timeout", "60",
                                 "--access-logfile", str(self.var_dir / "access.log")])
        self._spawn("worker", [str(BIN / "celery"), "-A", "lms", "worker", "--pool=solo",
                               "--loglevel=INFO", "--without-gossip", "--without-mingle",
                               "--without-heartbeat"])
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[0]} exited; see the logs in {self.var_dir}")
            try:
                with urllib.request.urlopen(self.url("/accounts/login/"), timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not come up in {timeout} s; see {self.var_dir}")
            time.sleep(0.2)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
