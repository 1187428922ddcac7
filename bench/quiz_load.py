"""Quiz load benchmark: N simulated students each start an attempt, autosave every answer
and submit, against a running Podium (gunicorn + PostgreSQL). Prints latency percentiles for
autosave and submit, errors, and checks in the database that no answer was lost.

Run through bench/quiz_load.sh, which starts the server; or against your own:
  DATABASE_URL=… python bench/quiz_load.py --base http://127.0.0.1:8765 --students 500
"""

import argparse
import http.client
import os
import re
import secrets
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from courses.models import Answer, Attempt, Course  # noqa: E402

QUESTION_RE = re.compile(r'data-question="([^"]+)"')
INPUT_RE = re.compile(r'<input type="(radio|checkbox|text)"[^>]*name="q-([^"]+)"(?: value="([^"]*)")?')
lock = threading.Lock()
timings: dict[str, list[float]] = {"start": [], "save": [], "submit": []}
errors: list[str] = []


def make_students(n: int) -> list[tuple[int, str]]:
    User = get_user_model()
    users = []
    for i in range(n):
        email = f"quizbench{i}@podium.local"
        user = User.objects.filter(username=email).first() or User(username=email, email=email)
        user.set_unusable_password()
        user.save()
        users.append(user)
    Attempt.objects.filter(user__in=users).delete()
    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append((user.pk, session.session_key))
    return cookies


def request(conn, method, path, cookie, csrf, body=None):
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={csrf}",
               "X-CSRFToken": csrf, "Host": "127.0.0.1"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, response.getheader("Location"), data.decode(), time.perf_counter() - started


def student(base: str, course: str, cookie: str) -> None:
    from urllib.parse import urlencode
    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    csrf = secrets.token_hex(16)
    try:
        status, location, _, took = request(conn, "POST", f"/courses/{course}/quiz/start/", cookie, csrf, "")
        if status != 302 or "/attempts/" not in (location or ""):
            raise RuntimeError(f"start answered {status}")
        with lock:
            timings["start"].append(took)
        attempt_path = urlparse(location).path
        status, _, page, _ = request(conn, "GET", attempt_path, cookie, csrf)
        keys = QUESTION_RE.findall(page)
        choices: dict[str, tuple[str, str]] = {}
        for kind, key, value in INPUT_RE.findall(page):
            choices.setdefault(key, (kind, value or "answer"))
        for key in keys:
            kind, value = choices[key]
            body = urlencode({"question": key, f"q-{key}": value})
            status, _, _, took = request(conn, "POST", attempt_path + "save/", cookie, csrf, body)
            if status != 200:
                raise RuntimeError(f"save answered {status}")
            with lock:
                timings["save"].append(took)
        status, _, _, took = request(conn, "POST", attempt_path + "submit/", cookie, csrf, "")
        if status != 302:
            raise RuntimeError(f"submit answered {status}")
        with lock:
            timings["submit"].append(took)
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error
        with lock:
            errors.append(repr(exc))
    finally:
        conn.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    course = Course.objects.get(quiz__isnull=False)
    students = make_students(args.students)
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        for _, cookie in students:
            pool.submit(student, args.base, course.slug, cookie)
    elapsed = time.perf_counter() - started
    user_ids = [pk for pk, _ in students]
    attempts = list(Attempt.objects.filter(user_id__in=user_ids))
    expected = sum(len(a.question_keys) for a in attempts)
    stored = Answer.objects.filter(attempt__in=attempts).count()
    submitted = sum(a.status == Attempt.Status.SUBMITTED for a in attempts)
    print(f"students={args.students} concurrency={args.concurrency} elapsed_s={elapsed:.1f} "
          f"requests={sum(len(v) for v in timings.values())}")
    for name, values in timings.items():
        if values:
            print(f"{name:<7} n={len(values)} p50_ms={pct(values, 50):.1f} p95_ms={pct(values, 95):.1f} "
                  f"p99_ms={pct(values, 99):.1f} mean_ms={statistics.fmean(values) * 1000:.1f}")
    print(f"errors={len(errors)} attempts={len(attempts)} submitted={submitted} "
          f"answers_stored={stored} answers_sent={len(timings['save'])} lost={len(timings['save']) - stored}")
    for e in errors[:5]:
        print("  error:", e)
    ok = not errors and submitted == args.students and stored == len(timings["save"]) == expected
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
