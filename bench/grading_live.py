"""Run by grading_live.sh (which starts the emulator and sets up PostgreSQL, Redis, the course).

Queues N submissions of the first activity's reference solution, starts 2 Celery workers (solo
pool), SIGKILLs one once a quarter are graded, runs the sweeper every second until every
submission is final, then runs the reaper once the sandbox TTL has passed. Checks: none lost,
none graded twice, every one passed live, zero sandboxes left.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from fleet import grade_with_a_kill, queue_submissions  # noqa: E402

from grading import conf  # noqa: E402
from grading.live import grader as live  # noqa: E402
from grading.management.commands.grade import collect_files  # noqa: E402
from grading.models import Lab  # noqa: E402

LAB = "activity-1-first-deployment"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    n = args.submissions
    cluster = live.cluster_for(conf.cluster_settings())

    lab = Lab.objects.get(slug=LAB)
    Lab.objects.filter(pk=lab.pk).update(attempts_allowed=0)
    files = collect_files([str(ROOT / f"courses/content/kubernetes-fundamentals/labs/{LAB}/solution")])
    started = time.perf_counter()
    mine = queue_submissions(lab, files, n)

    def wait_for_a_sandbox() -> None:
        # Kill while a sandbox exists, so a namespace is orphaned mid-grade.
        for _ in range(2000):
            if cluster.sandboxes():
                return
            time.sleep(0.002)

    def after_kill(done: int, pid: int) -> str:
        orphans = [s.name for s in cluster.sandboxes()]
        return f"SIGKILLed worker w1 after {done} graded; sandboxes present after the kill: {orphans}"

    elapsed = grade_with_a_kill(mine, n, started=started, timeout=args.timeout,
                                logs="/tmp/podium-live-%s.log", before_kill=wait_for_a_sandbox,  # noqa: S108
                                after_kill=after_kill)

    before_reap = [s.name for s in cluster.sandboxes()]
    time.sleep(conf.sandbox_ttl_seconds() + 1)  # the TTL of the last sandbox created
    report = live.reap(
        cluster,
        now=datetime.datetime.now(datetime.UTC),
        stuck_after=datetime.timedelta(seconds=conf.stuck_terminating_seconds()),
    )
    left = [s.name for s in cluster.sandboxes()]
    statuses = dict(mine.values_list("status").annotate(c=Count("id")).values_list("status", "c"))
    twice = mine.filter(graded_count__gt=1).count()
    never = mine.filter(graded_count=0).count()
    live_stages = sum(
        1 for stages in mine.values_list("stages", flat=True) if any(s["name"] == "live" for s in stages)
    )
    print(f"statuses: {statuses}; graded twice: {twice}; not graded: {never}; graded live: {live_stages}/{n}")
    print(
        f"wall {elapsed:.1f} s; sandboxes before the reaper: {before_reap}; reaper deleted {report.deleted}, "
        f"stuck {report.stuck}; sandboxes left: {len(left)}"
    )
    ok = statuses.get("passed") == n and twice == 0 and never == 0 and not left and live_stages == n
    print("RESULT:", "OK — all graded live, none lost, none twice, no sandbox left" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
