"""The gradebook of a 500-student cohort over the Module 04 course, on PostgreSQL.

    .venv/bin/python bench/gradebook.py                 # --students 500 --runs 30

Creates the database (podium_bench_gradebook, or BENCH_DATABASE_URL) if missing, migrates,
loads the course, then (once; reruns reuse it) a cohort of N students with realistic work:
lessons read, quiz attempts, several submissions per lab (some late), practical demos graded,
and an accepted schedule. Then renders the cohort's gradebook page and its CSV export as the
cohort's instructor, in process through Django's test client (the whole view: session, access
check, the gradebook read, both charts, the template), and prints p50/p95 and the queries per page.
Targets (issue 18): page p95 <= 300 ms; CSV export <= 2 s.
"""

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL",
                                            "postgres://postgres@127.0.0.1:5432/podium_bench_gradebook")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(8).hex())
os.environ.update({"SECURE_SSL": "0", "STATICFILES_MANIFEST": "0", "LOG_LEVEL": "WARNING"})
os.environ.pop("DEBUG", None)

PY = str(ROOT / ".venv/bin/python")
COHORT = "Bench gradebook"


def prepare() -> None:
    for args in (["bench/create_db.py"], ["manage.py", "migrate", "--no-input", "-v0"],
                 ["manage.py", "load_course", "courses/content/kubernetes-fundamentals"]):
        subprocess.run([PY, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def seed(students: int, *, fresh: bool = False):
    """The cohort, its instructor and N students' work; reused when it is already there."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from courses.models import Attempt, Cohort, Course, Enrollment, LessonCompletion
    from courses.models.schedule import DueDate
    from courses.services import ensure_instructor_group
    from grading.models import Lab, ManualGrade, Submission

    user_model = get_user_model()
    course = Course.objects.get(slug="kubernetes-fundamentals")
    instructor, _ = user_model.objects.get_or_create(username="bench-instructor@bench.test", defaults={
        "email": "bench-instructor@bench.test", "is_staff": True})
    instructor.groups.add(ensure_instructor_group())
    cohort = Cohort.objects.filter(course=course, name=COHORT).first()
    if cohort and cohort.enrollments.count() == students and not fresh:
        return cohort, instructor
    if cohort:
        user_model.objects.filter(enrollments__cohort=cohort).delete()
        cohort.delete()
    now = timezone.now()
    start = now - datetime.timedelta(weeks=4)
    cohort = Cohort.objects.create(course=course, name=COHORT, starts_on=start.date())
    cohort.instructors.add(instructor)
    rng = random.Random(18)  # noqa: S311 - test data
    users = user_model.objects.bulk_create([
        user_model(username=f"bench-{i:04d}@bench.test", email=f"bench-{i:04d}@bench.test",
                   first_name=f"Student {i:04d}") for i in range(students)])
    Enrollment.objects.bulk_create([Enrollment(cohort=cohort, student=u) for u in users])
    lessons = list(course.lessons.order_by("number"))
    labs = list(Lab.objects.filter(course=course))
    practical = next(lab for lab in labs if lab.kind == Lab.Kind.PRACTICAL)
    demo = practical.manual_items.first()
    quiz = course.quiz
    # One item due every 2 days from the start, in course order: about half due by now.
    keys = [f"lesson:{x.slug}" for x in lessons] + [f"lab:{x.slug}" for x in labs] + [f"quiz:{course.slug}"]
    every = datetime.timedelta(days=2)
    DueDate.objects.bulk_create([DueDate(cohort=cohort, item_key=k, due_at=start + every * i)
                                 for i, k in enumerate(keys)])
    completions, attempts, submissions, grades = [], [], [], []
    for user in users:
        for lesson in lessons[:rng.randint(0, len(lessons))]:
            completions.append(LessonCompletion(user=user, lesson=lesson))
        for number in range(1, rng.randint(0, 3) + 1):
            score = rng.randint(8, 25)
            attempts.append(Attempt(quiz=quiz, user=user, number=number, status="submitted", seed=number,
                                    question_keys=[], started_at=now, submitted_at=now, score=score,
                                    max_score=25, pass_score=18, passed=score >= 18))
        for lab in labs:
            for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
                passed = rng.random() < 0.5
                submissions.append(Submission(
                    lab=lab, user=user, status="passed" if passed else "failed", passed=passed,
                    score=100 if passed else rng.randint(10, 90), max_score=100, late=rng.random() < 0.2,
                    queued_at=now, stage="done"))
    LessonCompletion.objects.bulk_create(completions)
    Attempt.objects.bulk_create(attempts)
    Submission.objects.bulk_create(submissions)
    # The practical's passes wait for the instructor; 60 % of them were graded (the rubric's
    # points posted, then passed or not on automatic + manual).
    for s in Submission.objects.filter(lab=practical, status="passed", user__in=users):
        if rng.random() < 0.6:
            manual = rng.randint(10, 20)
            grades.append(ManualGrade(submission=s, item=demo, points=manual))
            Submission.objects.filter(pk=s.pk).update(manual_score=manual, graded_at=now)
        else:
            Submission.objects.filter(pk=s.pk).update(status="awaiting", passed=False)
    ManualGrade.objects.bulk_create(grades)
    print(f"seeded {students} students: {len(completions)} lessons read, {len(attempts)} quiz attempts, "
          f"{len(submissions)} submissions, {len(grades)} demos graded")
    return cohort, instructor


def timed(client, url: str, runs: int) -> tuple[list[float], list[float], int]:
    """Wall-clock and this process's CPU milliseconds per request, and the queries of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        b"".join(response) if response.streaming else response.content  # noqa: B018 - render fully
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return wall, cpu, len(queries)


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="make the cohort again")
    args = parser.parse_args()
    prepare()
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    cohort, instructor = seed(args.students, fresh=args.fresh)
    client = Client()
    client.force_login(instructor)
    url = reverse("gradebook:cohort", args=[cohort.pk])
    client.get(url)  # warm: the course snapshot, templates
    page, page_cpu, page_queries = timed(client, url, args.runs)
    export, export_cpu, csv_queries = timed(client, url + "?format=csv", max(5, args.runs // 3))
    # The machine may be shared: the load average says how far wall-clock figures are inflated,
    # the CPU time (this process only; PostgreSQL's own is apart) what the page itself costs.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"gradebook page, {args.students} students: p50 {statistics.median(page):.0f} ms, "
          f"p95 {p95(page):.0f} ms, max {max(page):.0f} ms (CPU p50 {statistics.median(page_cpu):.0f} ms, "
          f"p95 {p95(page_cpu):.0f} ms), {page_queries} queries (target p95 <= 300 ms)")
    print(f"CSV export: p50 {statistics.median(export):.0f} ms, max {max(export):.0f} ms "
          f"(CPU p50 {statistics.median(export_cpu):.0f} ms), {csv_queries} queries (target <= 2000 ms)")


if __name__ == "__main__":
    main()
