"""Reads for grading: the one access helper per object, lab lists with status, and the
providers that feed courses' dashboard and success criteria."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from courses.models import Course
from courses.visibility import taught_by
from grading.models import Lab, Submission

Status = Submission.Status


LESSON_BODY_FIELDS = ("lesson__body_html", "lesson__toc", "lesson__objectives")


def get_lab(course_slug: str, lab_slug: str) -> Lab:
    """The one lookup for labs. Every lab is open to every signed-in student (like lessons)."""
    # The page shows the lesson's number and title only: never load its rendered body.
    labs = Lab.objects.select_related("course", "lesson").defer(*LESSON_BODY_FIELDS)
    return get_object_or_404(labs, course__slug=course_slug, slug=lab_slug)


def get_submission_for(user, submission_id: int) -> Submission:
    """The one lookup for a submission page: a student sees only their own (404 otherwise, so
    ids of other students' submissions are not even confirmed to exist); staff see those the
    admin shows them (the cohort's instructor: the admin's "View on site" link)."""
    submissions = Submission.objects.select_related("lab", "lab__course", "user").prefetch_related(
        "results", Prefetch("manual_grades", queryset=_manual_grades()))
    submission = submissions.filter(pk=submission_id, user=user).first()
    if submission is None and user.is_staff:
        submission = visible_to_instructor(user, submissions).filter(pk=submission_id).first()
    if submission is None:
        raise Http404("No such submission")
    return submission


def _manual_grades():
    from grading.models import ManualGrade

    return ManualGrade.objects.select_related("item")


def submissions_of(user, lab: Lab) -> QuerySet[Submission]:
    return Submission.objects.filter(user=user, lab=lab).only(
        "id", "status", "score", "max_score", "passed", "created_at", "finished_at", "lab_id", "user_id")


def visible_to_instructor(user, queryset: QuerySet[Submission] | None = None) -> QuerySet[Submission]:
    """Submissions of students enrolled in cohorts of the lab's course that `user` teaches."""
    return taught_by(user, queryset if queryset is not None else Submission.objects.all(),
                     course="lab__course")


@dataclass
class LabStatus:
    lab: Lab
    passed: bool
    attempted: bool
    active: bool


def labs_with_status(user, course: Course) -> list[LabStatus]:
    """Every lab of the course with the user's status: one query."""
    # The lesson row carries its whole rendered body: never load it for a list.
    labs = Lab.objects.filter(course=course).select_related("lesson").defer(
        "instructions", "instructions_html", *LESSON_BODY_FIELDS)
    if user.is_authenticated:
        mine = Submission.objects.filter(user=user, lab=OuterRef("pk"))
        labs = labs.annotate(
            has_passed=Exists(mine.filter(status=Status.PASSED)),
            has_attempted=Exists(mine.exclude(status=Status.NOT_GRADED)),
            has_active=Exists(mine.filter(status__in=Submission.ACTIVE)))
    rows = []
    for lab in labs:
        rows.append(LabStatus(lab, getattr(lab, "has_passed", False), getattr(lab, "has_attempted", False),
                              getattr(lab, "has_active", False)))
    return rows


def passed_lab_slugs(user, course: Course) -> set[str]:
    """Evidence provider "labs" for success criteria: slugs of the labs the user passed."""
    if not user.is_authenticated:
        return set()
    return set(Submission.objects.filter(user=user, lab__course=course, status=Status.PASSED)
               .values_list("lab__slug", flat=True).distinct())


def dashboard_status(user, course: Course) -> tuple[dict, set[str]]:
    """Dashboard provider "Labs": the line and the passed lab slugs, in one query. Completion
    needs every activity and the practical passed; lesson hands-ons are practice."""
    rows = labs_with_status(user, course)
    passed_slugs = {row.lab.slug for row in rows if row.passed}
    required = [row for row in rows if row.lab.required_for_completion]
    url = reverse("lab-list", args=[course.slug])
    if not rows:
        return {"text": "No labs yet", "url": None, "state": "todo"}, passed_slugs
    if not required:
        required = rows
    passed = sum(1 for row in required if row.passed)
    if passed == len(required):
        return {"text": f"All {len(required)} labs passed", "url": url, "state": "done"}, passed_slugs
    return {"text": f"{passed} of {len(required)} labs passed", "url": url, "state": "todo"}, passed_slugs
