"""Set up what bench/pages.sh visits and print it as shell assignments (NAME='value').

A benchmark student who has done part of the course, with a graded lab submission and an open
quiz attempt (re-created on each run, so the 45-minute limit never runs out mid-run), and their
session cookie. Pages that do not exist yet (search) print an empty path and are skipped.
"""

import os
import shlex
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from bench.accounts import bench_student, signed_in_session  # noqa: E402
from courses.models import Attempt, Course, Lesson, Question  # noqa: E402
from courses.quiz import services as quiz_services  # noqa: E402
from courses.services import lesson_mark_complete  # noqa: E402
from grading import services as grading_services  # noqa: E402
from grading import tasks  # noqa: E402
from grading.models import Lab, Submission  # noqa: E402

user = bench_student()
course = Course.objects.get(quiz__isnull=False)
lessons = list(Lesson.objects.filter(course=course).order_by("number"))
for lesson in lessons[:3]:
    lesson_mark_complete(user=user, lesson=lesson)

# A graded submission of the first lab's reference solution (graded here, as a worker would).
lab = Lab.objects.filter(course=course).order_by("slug").first()
submission = Submission.objects.filter(user=user, lab=lab, status__in=Submission.FINAL).first()
if submission is None:
    solution = settings.COURSE_CONTENT_DIR / course.slug / "labs" / lab.slug / "solution"
    files = [(p.name, p.read_bytes()) for p in sorted(solution.glob("*.yaml"))]
    with mock.patch.object(grading_services, "enqueue_on_commit"), transaction.atomic():
        submission = grading_services.submission_create(user=user, lab=lab, files=files)
    tasks.grade_submission.run(submission.pk)

def open_attempt(student) -> tuple[Attempt, list[str]]:
    """A fresh open attempt for `student`, and two autosave bodies: two answers to its first
    question (options, or texts for a short or command question)."""
    Attempt.objects.filter(user=student).delete()
    their_attempt = quiz_services.attempt_start(quiz=course.quiz, user=student)
    their_key = their_attempt.question_keys[0]
    question = Question.objects.get(quiz=course.quiz, key=their_key)
    answers = [o["id"] for o in question.options] or ["kubectl get pods", "kubectl get po"]
    return their_attempt, [urlencode({"question": their_key, f"q-{their_key}": a}) for a in (answers * 2)[:2]]


# A fresh open attempt, and one answer the autosave POST can send again and again.
attempt, (autosave_body, _) = open_attempt(user)

session = signed_in_session(user)
csrf = os.urandom(16).hex()


def autosave_students(count: int) -> list[str]:
    """One line per student: cookie, CSRF token, autosave path and two bodies (two answers to
    their attempt's first question, so each save changes it), tab-separated."""
    lines = []
    for number in range(1, count + 1):
        student = bench_student(number)
        their_attempt, bodies = open_attempt(student)
        token = os.urandom(16).hex()
        cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in_session(student).session_key}; csrftoken={token}"
        path = reverse("quiz-save", args=[course.slug, their_attempt.pk])
        lines.append("\t".join([cookie, token, path, *bodies]))
    return lines


autosave_file = os.environ.get("AUTOSAVE_FILE", "")
if autosave_file:
    students = autosave_students(int(os.environ.get("AUTOSAVE_STUDENTS", "16")))
    Path(autosave_file).write_text("".join(f"{line}\n" for line in students))


def maybe(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


attempt_url = reverse("quiz-attempt", args=[course.slug, attempt.pk])
values = {
    "COOKIE": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={csrf}",
    "CSRF": csrf,
    "FLOOR": reverse("bench-floor"),
    "COURSE": course.get_absolute_url(),
    "LESSON": lessons[4].get_absolute_url(),
    "DASHBOARD": reverse("dashboard"),
    "LABS": reverse("lab-list", args=[course.slug]),
    "LAB": reverse("lab", args=[course.slug, lab.slug]),
    "SUBMISSION": reverse("submission", args=[submission.pk]),
    "QUIZ": reverse("quiz", args=[course.slug]),
    "ATTEMPT": attempt_url,
    "AUTOSAVE": reverse("quiz-save", args=[course.slug, attempt.pk]),
    "AUTOSAVE_BODY": autosave_body,
    "AUTOSAVE_FILE": autosave_file,
    "SEARCH": maybe("search") and f"{maybe('search')}?q=deployment",
}
for name, value in values.items():
    print(f"{name}={shlex.quote(value)}")
