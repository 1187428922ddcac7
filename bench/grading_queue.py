"""Run by grading_queue.sh (which sets up PostgreSQL, Redis and the course).

Queues N submissions of the practical's reference solution, starts 2 Celery worker processes
(solo pool: one process each), SIGKILLs one of them once a quarter are graded, and runs the
sweeper every second (as beat would) until every submission is final. Then checks: none lost
(all final), none graded twice (graded_count == 1, one result row per check), and prints
submissions/s.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count, Max, Min  # noqa: E402
from fleet import grade_with_a_kill, queue_submissions  # noqa: E402

from grading.management.commands.grade import collect_files  # noqa: E402
from grading.models import CheckResult, Lab, Submission  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    n = args.submissions

    lab = Lab.objects.get(slug="practical")
    files = collect_files([str(ROOT / "courses/content/kubernetes-fundamentals/labs/practical/solution")])
    started = time.perf_counter()
    mine = queue_submissions(lab, files, n)
    ids = list(mine.values_list("pk", flat=True))
    print(f"queued {len(ids)} submissions in {time.perf_counter() - started:.1f} s "
          "(files stored, tasks sent on commit)")

    running = []

    def count_running() -> None:  # just before the kill
        running.append(mine.filter(status=Submission.Status.RUNNING).count())

    def after_kill(done: int, pid: int) -> str:
        return f"SIGKILLed worker w1 (pid {pid}) after {done} graded, {running[0]} running"

    elapsed = grade_with_a_kill(mine, n, started=started, timeout=args.timeout,
                                logs="/tmp/podium-%s.log", before_kill=count_running,  # noqa: S108
                                after_kill=after_kill)

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
