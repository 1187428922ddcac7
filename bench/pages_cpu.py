"""What each student page costs in CPU, in process, against the floor (issue 17).

The wall-clock figures of bench/pages.sh move with whatever else the machine runs; the CPU time
one process spends on a request (Django test client, warm, same settings and databases as
pages.sh) moves much less. Prints per page the median CPU ms, the queries it ran and the ratio
floor/page (1.0 = as cheap as the floor), for the page as served from the students' page cache
(lms/page_cache.py: the usual case, a page read again with nothing changed) and "cold": rendered,
as after any change that concerns the student (their generation is changed before each request,
outside the timing). Run by `bench/pages.sh` with CPU=1, or on its own
in pages.sh's environment:
  python bench/pages_setup.py | python bench/pages_cpu.py
"""

import os
import shlex
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

PAGES = os.environ.get("CPU_PAGES", "FLOOR COURSE LESSON DASHBOARD LABS LAB SUBMISSION QUIZ ATTEMPT "
                                    "AUTOSAVE SEARCH").split()  # the floor first: the ratios use it


def main(assignments: str, runs: int = 200) -> None:
    values = {}
    for line in assignments.splitlines():
        name, _, value = line.partition("=")
        values[name] = shlex.split(value)[0] if value else ""
    session, csrf = values["COOKIE"].split(";")[0].split("=", 1)[1], values["CSRF"]
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    client.cookies["csrftoken"] = csrf
    floor = None

    user_id = client.session["_auth_user_id"]
    print(f"{'page':<11} {'cpu_ms':>7} {'queries':>7} {'floor/page':>10}"
          f" {'cold_ms':>8} {'cold_q':>6} {'floor/cold':>10}")
    for name in PAGES:
        path = values.get(name, "")
        if not path:
            continue

        def hit(path=path, name=name):
            if name == "AUTOSAVE":
                return client.post(path, values["AUTOSAVE_BODY"],
                                   content_type="application/x-www-form-urlencoded",
                                   headers={"X-CSRFToken": csrf, "HX-Request": "true"})
            return client.get(path)

        for _ in range(20):
            response = hit()
        assert response.status_code == 200, (name, response.status_code)
        cpu, count = measure(hit, runs)
        floor = floor or cpu
        line = f"{name.lower():<11} {cpu:7.2f} {count:7d} {floor / cpu:10.2f}"
        if name not in ("FLOOR", "AUTOSAVE"):
            cold, cold_count = measure(hit, runs, before=lambda: forget(user_id))
            line += f" {cold:8.2f} {cold_count:6d} {floor / cold:10.2f}"
        print(line)


def forget(user_id) -> None:
    """As after a change that concerns the student: their pages are stale. The per-student
    budget of stored pages (PAGE_CACHE_MAX_PER_USER) starts again too: a student does not render
    the same page 200 times in a row, and an exhausted budget would leave pages.sh's load test
    below measuring renders instead of the cache."""
    from django.core.cache import cache

    from lms import page_cache

    page_cache.changed(user_id)
    cache.delete(f"pagecount:{user_id}")


def measure(hit, runs: int, before=lambda: None) -> tuple[float, int]:
    """Median CPU ms of `hit` and the queries one hit runs; `before` runs untimed before each."""
    queries: list[str] = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    before()
    with connection.execute_wrapper(count):
        hit()
    times = []
    for _ in range(runs):
        before()
        started = time.process_time()
        hit()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000, len(queries)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
