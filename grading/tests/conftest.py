"""Grading test fixtures: the courses personas (alice and bob are students, ivy teaches alice's
cohort, charlie teaches bob's), a small course with two labs graded by fake checks, and
helpers to submit and grade synchronously."""

import textwrap
from pathlib import Path

import pytest

from courses.services import course_import
from courses.tests.conftest import (  # noqa: F401 - fixtures re-exported for grading tests
    alice,
    bob,
    charlie,
    cohort,
    ivy,
    make_user,
    other_cohort,
    write_course,
)
from grading import labs
from grading.checks import REGISTRY, CheckOutcome


def has_kind(objects, *, points: float, kind: str) -> CheckOutcome:
    found = [o for o in objects.items if o.get("kind") == kind]
    if found:
        return CheckOutcome(
            True,
            points,
            points,
            f"Found {kind}/{found[0]['metadata']['name']}.",
            expected=f"a {kind}",
            observed=f"{kind}/{found[0]['metadata']['name']}",
        )
    return CheckOutcome(False, 0, points, f"No {kind} in the submission.", expected=f"a {kind}",
                        observed="none")


def min_replicas(objects, *, points: float, min: int = 3) -> CheckOutcome:  # noqa: A002 - lab param name
    deployments = [o for o in objects.items if o.get("kind") == "Deployment"]
    if not deployments:
        return CheckOutcome(False, 0, points, "No Deployment.", expected=f"replicas >= {min}",
                            observed="none")
    replicas = (deployments[0].get("spec") or {}).get("replicas", 1)
    name = deployments[0]["metadata"]["name"]
    ok = replicas >= min
    return CheckOutcome(
        ok,
        points if ok else points * replicas / min / 2,
        points,
        f"Deployment/{name} has {replicas} replicas.",
        expected=f"replicas >= {min}",
        observed=f"Deployment/{name} has replicas: {replicas}",
    )


def crashes(objects, *, points: float) -> CheckOutcome:
    raise RuntimeError("bug in a check")


FAKE_CHECKS = {"has-kind": has_kind, "min-replicas": min_replicas, "crashes": crashes}


@pytest.fixture(autouse=True)
def fake_checks(monkeypatch):
    """The real registry plus the fake checks these tests use."""
    registry = {**REGISTRY, **FAKE_CHECKS}
    monkeypatch.setattr(labs, "checks_registry", lambda: registry)
    return registry


LAB_YAML = """\
title: First deployment
kind: activity
lesson: 1
summary: Deploy a model server.
instructions: |
  Write a Deployment. See [the first topic](01-lesson-1.md#first-topic).
deliverable: A Deployment with three replicas.
estimated_minutes: 60
attempts_allowed: {attempts}
checks:
  - id: deployment
    title: A Deployment exists
    check: has-kind
    params: {{kind: Deployment}}
    points: 1
    hint: Write a Deployment.
    lesson_link: 01-lesson-1.md#first-topic
  - id: replicas
    title: At least three replicas
    check: min-replicas
    params: {{min: 3}}
    points: 2
    hint: Set spec.replicas to 3.
    lesson_link: 02-lesson-2.md#summary
"""

PRACTICAL_YAML = """\
title: The practical
kind: practical
lesson: 3
summary: Everything.
instructions: Build it all.
deliverable: A system.
estimated_minutes: 600
require_readme: true
checks:
  - id: service
    title: A Service
    check: has-kind
    params: {kind: Service}
    points: 1
    hint: Add a Service.
manual:
  - id: demo
    title: Demo
    points: 10
    description: Show it running.
"""

GOOD = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: iris
spec:
  replicas: 3
  selector:
    matchLabels: {app: iris}
  template:
    metadata:
      labels: {app: iris}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: server
          image: ghcr.io/podium/iris:1.0
          ports:
            - containerPort: 8080
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
"""

ONE_REPLICA = GOOD.replace(b"replicas: 3", b"replicas: 1")


def write_lab(course_dir: Path, slug: str, text: str) -> Path:
    lab_dir = course_dir / "labs" / slug
    lab_dir.mkdir(parents=True, exist_ok=True)
    (lab_dir / "lab.yaml").write_text(textwrap.dedent(text))
    return lab_dir


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    course_dir = write_course(tmp_path)
    write_lab(course_dir, "first-deployment", LAB_YAML.format(attempts=0))
    write_lab(course_dir, "practical", PRACTICAL_YAML)
    return course_dir


@pytest.fixture
def course(course_dir, db):
    from courses.models import Course

    course_import(path=course_dir)
    return Course.objects.get(slug="test-course")


@pytest.fixture
def sent(monkeypatch):
    """Messages the grading task would have sent to the broker."""
    from grading import tasks

    calls = []
    monkeypatch.setattr(tasks.grade_submission, "delay", lambda *args: calls.append(args))
    return calls


@pytest.fixture
def lab(course):
    return course.labs.get(slug="first-deployment")


@pytest.fixture
def practical(course):
    return course.labs.get(slug="practical")


def submit(user, lab, files, *, run: bool = True):
    """Create a submission and (by default) grade it now, as a worker would."""
    from django.db import transaction

    from grading import services, tasks

    with transaction.atomic():
        submission = services.submission_create(user=user, lab=lab, files=files)
    if run:
        tasks.grade_submission.run(submission.pk)
        submission.refresh_from_db()
    return submission
