"""Run by grading_queue.sh (which sets up PostgreSQL, Redis and the course).

Queues N submissions of the practical's reference solution, starts 2 Celery worker processes
(solo pool: one process each), SIGKILLs one of them once a quarter are graded, and runs the
sweeper every second (as beat would) until every submission is final. Then checks: none lost
(all final), none graded twice (graded_count == 1, one result row per check), and prints
submissions/s.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402

from grading import services  # noqa: E402
from grading.management.commands.grade import collect_files  # noqa: E402
from grading.models import CheckResult, Lab, Submission  # noqa: E402
from lms.celery import app  # noqa: E402

User = get_user_model()


def start_worker(name: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own venv's celery
        [str(ROOT / ".venv/bin/celery"), "-A", "lms", "worker", "--pool=solo", "--loglevel=WARNING",
         "-n", f"{name}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(f"/tmp/podium-{name}.log", "w"))  # noqa: SIM115, S108


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    n = args.submissions

    lab = Lab.objects.get(slug="practical")
    files = collect_files([str(ROOT / "courses/content/kubernetes-fundamentals/labs/practical/solution")])
    Submission.objects.filter(lab=lab, user__username__startswith="bench-").delete()
    app.control.purge()
    users = [User(username=f"bench-{i}@example.com", email=f"bench-{i}@example.com") for i in range(n)]
    existing = set(User.objects.filter(username__startswith="bench-").values_list("username", flat=True))
    User.objects.bulk_create([u for u in users if u.username not in existing])
    users = list(User.objects.filter(username__startswith="bench-").order_by("id")[:n])

    started = time.perf_counter()
    for user in users:
        with transaction.atomic():
            services.submission_create(user=user, lab=lab, files=files)
    queued_s = time.perf_counter() - started
    ids = list(Submission.objects.filter(lab=lab, user__in=users).values_list("pk", flat=True))
    print(f"queued {len(ids)} submissions in {queued_s:.1f} s (files stored, tasks sent on commit)")

    workers = [start_worker("w1"), start_worker("w2")]
    mine = Submission.objects.filter(pk__in=ids)
    killed_at = None
    try:
        while time.perf_counter() - started < args.timeout:
            done = mine.filter(status__in=Submission.FINAL).count()
            if killed_at is None and done >= n // 4:
                running = mine.filter(status=Submission.Status.RUNNING).count()
                os.kill(workers[0].pid, signal.SIGKILL)
                killed_at = done
                print(f"SIGKILLed worker w1 (pid {workers[0].pid}) after {done} graded, "
                      f"{running} running")
            if done == n:
                break
            services.sweep_stuck_submissions()  # what beat runs every GRADING_SWEEP_INTERVAL
            time.sleep(1)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

    statuses = dict(mine.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    twice = mine.filter(graded_count__gt=1).count()
    never = mine.filter(graded_count=0).count()
    reclaimed = mine.filter(runs__gt=1).count()
    results = CheckResult.objects.filter(submission__in=ids).count()
    span = mine.aggregate(first=Min("started_at"), last=Max("finished_at"))
    grading_s = (span["last"] - span["first"]).total_seconds() if span["last"] else float("nan")
    checks = lab.checks.count()
    print(f"statuses: {statuses}")
    print(f"graded once: {n - twice - never}/{n}; graded twice: {twice}; not graded: {never}; "
          f"reclaimed after the kill: {reclaimed}; result rows {results} (expected {n * checks})")
    print(f"throughput: {n / grading_s:.1f} submissions/s with 2 workers "
          f"(first claim to last result {grading_s:.1f} s; wall {elapsed:.1f} s including the "
          f"{os.environ.get('GRADING_STALE_AFTER')} s stale wait for the killed worker's submission)")
    ok = statuses.get("passed") == n and twice == 0 and never == 0 and results == n * checks
    print("RESULT:", "OK — all graded, none lost, none twice" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
