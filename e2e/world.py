"""Test data for the browser tests, made inside the site's own database (run through
`manage.py shell`, see harness.Site.run_python). Named personas:

- alice: a student in cohort Alpha (quiz and lab journeys, permissions);
- bob: a student in cohort Alpha whose practical submission alice must not open and ivy regrades;
- carol: a student in cohort Beta, which ivy does not teach;
- ivy: an instructor teaching Alpha; victor: an instructor teaching Beta.
"""

import datetime
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from courses.models import Cohort, Course, Enrollment
from courses.services import ensure_instructor_group
from grading.models import Lab
from grading.services import grant_instructor_permissions, submission_create
from lms.settings import BASE_DIR

DOMAIN = "e2e.podium.test"
SOLUTION = BASE_DIR / "courses/content/kubernetes-fundamentals/labs/practical/solution"


def email(name: str) -> str:
    return f"{name}@{DOMAIN}"


def _user(name: str, password: str, *, staff: bool = False):
    user, _ = get_user_model().objects.get_or_create(
        username=email(name), defaults={"email": email(name), "first_name": name.title(), "is_staff": staff})
    user.set_password(password)
    user.save()
    return user


def create(password: str) -> None:
    course = Course.objects.get(slug="kubernetes-fundamentals")
    group = ensure_instructor_group()
    grant_instructor_permissions(group)
    users = {name: _user(name, password) for name in ("alice", "bob", "carol")}
    for name in ("ivy", "victor"):
        users[name] = _user(name, password, staff=True)
        users[name].groups.add(group)
    today = timezone.localdate()
    for cohort_name, teacher, students in (("Alpha", "ivy", ["alice", "bob"]), ("Beta", "victor", ["carol"])):
        cohort, _ = Cohort.objects.get_or_create(
            course=course, name=cohort_name,
            defaults={"starts_on": today, "ends_on": today + datetime.timedelta(weeks=9)})
        cohort.instructors.add(users[teacher])
        for student in students:
            Enrollment.objects.get_or_create(cohort=cohort, student=users[student])
    lab = Lab.objects.get(course=course, slug="practical")
    files = [(p.name, p.read_bytes()) for p in sorted(SOLUTION.iterdir())]
    with transaction.atomic():
        submission = submission_create(user=users["bob"], lab=lab, files=files)
    ids = {c.name: c.pk for c in Cohort.objects.filter(name__in=["Alpha", "Beta"])}
    print(f"bob-submission={submission.pk} alpha={ids['Alpha']} beta={ids['Beta']}")


def wait_for_grading(submission_id: int, *, graded_count: int = 1, timeout: float = 90) -> None:
    """Block until the worker has graded the submission `graded_count` times (or fail)."""
    from grading.models import Submission

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=submission_id)
        if not submission.is_active and submission.graded_count >= graded_count:
            print(f"status={submission.status} graded_count={submission.graded_count}")
            return
        time.sleep(0.5)
    raise TimeoutError(f"submission {submission_id} was not graded within {timeout} s")
