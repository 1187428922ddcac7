import datetime
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from courses.models import Cohort, Enrollment
from courses.services import course_import, ensure_instructor_group

COURSE_YAML = """\
title: Test Course
code: Module 99
summary: A *small* course for tests.
duration_hours: 3
difficulty: Beginner
prerequisites:
  - {key: docker, text: Know Docker}
  - {key: cloud, text: A cloud account, optional: true}
learning_outcomes:
  - {title: Pods, text: Run a pod.}
success_criteria:
  - {key: run-pods, text: Run pods, evidence: {lessons: [1]}}
  - {key: pass-quiz, text: Pass the quiz, evidence: {quiz: true}}
  - {key: self-assessed, text: Explain things}
time_estimates:
  components: [{component: Lessons, hours: "3"}]
  total: "3"
recommended_pace: [{schedule: Part-time, duration: 1 week}]
tools:
  required: [{name: kubectl, purpose: CLI}]
  recommended: [{name: Helm, purpose: packages}]
  optional: [{name: k9s, purpose: TUI}]
resources: [{title: Docs, url: "https://kubernetes.io/docs/", kind: docs}]
whats_next: [{title: Next, text: More.}]
tips: [{title: Practise, text: Locally.}]
pitfalls: [{title: Pending pods, symptoms: Pending, solution: describe the pod}]
"""


def lesson_text(number: int, title: str, body: str = "", hands_on: str | None = None) -> str:
    front = textwrap.dedent(f"""\
        ---
        title: {title}
        number: {number}
        duration_hours: 1
        objectives:
          - Explain {title.lower()}
        hands_on: {hands_on or 'null'}
        ---
        """)
    return front + (body or f"Intro to {title}.\n\n## First topic\n\nText.\n\n## Summary\n\nDone.\n")


def write_course(root: Path, lessons: int = 3, slug: str = "test-course", quiz: bool = False) -> Path:
    course_dir = root / slug
    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "course.yaml").write_text(COURSE_YAML)
    for n in range(1, lessons + 1):
        (course_dir / f"{n:02d}-lesson-{n}.md").write_text(lesson_text(n, f"Lesson {n}"))
    if quiz:
        (course_dir / "quiz.yaml").write_text(QUIZ_YAML)
    return course_dir


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return write_course(tmp_path)


@pytest.fixture
def course(course_dir, db):
    course_import(path=course_dir)
    from courses.models import Course
    return Course.objects.get(slug="test-course")


User = get_user_model()


def make_user(email: str, **extra):
    user = User.objects.create_user(username=email, email=email, password="pw-for-tests-1", **extra)
    return user


# Personas: alice and bob are students, ivy teaches alice's cohort, charlie teaches another.
@pytest.fixture
def alice(db):
    return make_user("alice@example.com", first_name="Alice")


@pytest.fixture
def bob(db):
    return make_user("bob@example.com", first_name="Bob")


@pytest.fixture
def ivy(db):
    user = make_user("ivy@example.com", is_staff=True)
    user.groups.add(ensure_instructor_group())
    return user


@pytest.fixture
def charlie(db):
    user = make_user("charlie@example.com", is_staff=True)
    user.groups.add(ensure_instructor_group())
    return user


@pytest.fixture
def cohort(course, ivy, alice):
    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=datetime.date(2026, 3, 1))
    cohort.instructors.add(ivy)
    Enrollment.objects.create(cohort=cohort, student=alice)
    return cohort


@pytest.fixture
def other_cohort(course, charlie, bob):
    cohort = Cohort.objects.create(name="Autumn", course=course, starts_on=datetime.date(2026, 9, 1))
    cohort.instructors.add(charlie)
    Enrollment.objects.create(cohort=cohort, student=bob)
    return cohort


QUIZ_YAML = """\
title: Test quiz
description: Four questions from a bank of six.
settings:
  questions_per_attempt: 4
  pass_percent: 75
  attempts_allowed: 0
  cooldown_minutes: 0
  time_limit_minutes: null
  shuffle_questions: true
  shuffle_options: true
  show_review: immediately
topics:
  - {id: alpha, title: Alpha, min: 2}
  - {id: beta, title: Beta, min: 1}
questions:
  - id: q-single
    topic: alpha
    difficulty: easy
    kind: single
    lesson_link: 01-lesson-1.md#first-topic
    text: Which one is right?
    options:
      - {text: Right answer, correct: true}
      - {text: Wrong one}
      - {text: Wrong two}
    explanation: EXPLAIN-SINGLE because it is.
  - id: q-multi
    topic: alpha
    difficulty: medium
    kind: multiple
    lesson_link: 01-lesson-1.md#first-topic
    text: Pick both right ones.
    options:
      - {text: Right A, correct: true}
      - {text: Right B, correct: true}
      - {text: Wrong C}
    explanation: EXPLAIN-MULTI.
  - id: q-short
    topic: beta
    difficulty: hard
    kind: short
    lesson_link: 02-lesson-2.md#first-topic
    text: Which command shows events?
    accept: [kubectl describe pod web]
    accept_regex: '^kubectl get events\\b'
    explanation: EXPLAIN-SHORT.
  - id: q-alpha-3
    topic: alpha
    difficulty: easy
    kind: single
    lesson_link: 01-lesson-1.md#first-topic
    text: Alpha three?
    options: [{text: "Yes", correct: true}, {text: "No"}]
    explanation: EXPLAIN-A3.
  - id: q-beta-2
    topic: beta
    difficulty: easy
    kind: single
    lesson_link: 02-lesson-2.md#summary
    text: Beta two?
    options: [{text: "Yes", correct: true}, {text: "No"}]
    explanation: EXPLAIN-B2.
  - id: q-beta-3
    topic: beta
    difficulty: easy
    kind: short
    lesson_link: 03-lesson-3.md#first-topic
    text: Type ok.
    accept: [ok]
    explanation: EXPLAIN-B3.
"""


@pytest.fixture
def quiz_course(tmp_path, db):
    course_import(path=write_course(tmp_path, quiz=True))
    from courses.models import Course
    return Course.objects.get(slug="test-course")


@pytest.fixture
def quiz(quiz_course):
    return quiz_course.quiz
