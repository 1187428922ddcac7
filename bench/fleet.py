"""What the two grading-queue benchmarks share (grading_queue.py, grading_live.py): bench
users, submissions queued through the real service, two Celery worker processes (solo pool),
one of them SIGKILLed once a quarter are graded, and the sweeper run every second as beat
would, until every submission is final. Import after django.setup()."""

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from grading import services
from grading.models import Lab, Submission
from lms.celery import app

ROOT = Path(__file__).resolve().parent.parent
User = get_user_model()


def queue_submissions(lab: Lab, files: list[tuple[str, bytes]], n: int):
    """N submissions by N bench users (created once), after clearing earlier runs' work."""
    Submission.objects.filter(lab=lab, user__username__startswith="bench-").delete()
    app.control.purge()
    existing = set(User.objects.filter(username__startswith="bench-").values_list("username", flat=True))
    User.objects.bulk_create([User(username=f"bench-{i}@example.com", email=f"bench-{i}@example.com")
                              for i in range(n) if f"bench-{i}@example.com" not in existing])
    users = list(User.objects.filter(username__startswith="bench-").order_by("id")[:n])
    for user in users:
        with transaction.atomic():
            services.submission_create(user=user, lab=lab, files=files)
    ids = list(Submission.objects.filter(lab=lab, user__in=users).values_list("pk", flat=True))
    return Submission.objects.filter(pk__in=ids)


def start_worker(name: str, log: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own venv's celery
        [str(ROOT / ".venv/bin/celery"), "-A", "lms", "worker", "--pool=solo", "--loglevel=WARNING",
         "-n", f"{name}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(log, "w"))  # noqa: SIM115


def grade_with_a_kill(mine, n: int, *, started: float, timeout: float, logs: str,
                      before_kill: Callable[[], None] = lambda: None,
                      after_kill: Callable[[int, int], str]) -> float:
    """Two workers grade `mine`; w1 is SIGKILLed once n/4 are final (after `before_kill`, and
    `after_kill(done, pid)` says what to print). `started` (perf_counter) is when the run began,
    queueing included; returns the seconds from then until all were final. Worker logs go to
    `logs` % name."""
    workers = [start_worker(name, logs % name) for name in ("w1", "w2")]
    killed = False
    try:
        while time.perf_counter() - started < timeout:
            done = mine.filter(status__in=Submission.FINAL).count()
            if not killed and done >= n // 4:
                before_kill()
                os.kill(workers[0].pid, signal.SIGKILL)
                killed = True
                print(after_kill(done, workers[0].pid))
            if done == n:
                break
            services.sweep_stuck_submissions()  # what beat runs every GRADING_SWEEP_INTERVAL
            time.sleep(1)
        return time.perf_counter() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
