"""Reads for grading: the one access helper per object, lab lists with status, and the
providers that feed courses' dashboard and success criteria."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from courses.coursework import LabEntry
from courses.models import Course
from courses.visibility import taught_by
from grading.models import Lab, LabCheck, Submission

Status = Submission.Status
GRADE_NOTICE_DAYS = datetime.timedelta(days=14)


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
    # `late` too: the history marks late submissions, and a deferred field is a query per row.
    return Submission.objects.filter(user=user, lab=lab).only(
        "id", "status", "score", "max_score", "passed", "created_at", "finished_at", "late", "lab_id",
        "user_id")


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
    awaiting: bool = False  # the checks passed; the manual rubric waits for the instructor
    graded: tuple | None = None  # (submission id, passed, when) of a manual grade posted lately


def labs_with_status(user, course: Course) -> list[LabStatus]:
    """Every lab of the course with the user's status: one query."""
    # The lesson row carries its whole rendered body: never load it for a list.
    labs = Lab.objects.filter(course=course).select_related("lesson").defer(
        "instructions", "instructions_html", *LESSON_BODY_FIELDS).annotate(
        points=Subquery(LabCheck.objects.filter(lab=OuterRef("pk")).order_by().values("lab")
                        .annotate(total=Sum("points")).values("total")))
    if user.is_authenticated:
        mine = Submission.objects.filter(user=user, lab=OuterRef("pk"))
        labs = labs.annotate(
            has_passed=Exists(mine.filter(status=Status.PASSED)),
            has_attempted=Exists(mine.exclude(status=Status.NOT_GRADED)),
            has_active=Exists(mine.filter(status__in=Submission.ACTIVE)),
            has_awaiting=Exists(mine.filter(status=Status.AWAITING)))
        # The dashboard's "your instructor graded …" notice, in the same query.
        graded = mine.filter(graded_at__gte=timezone.now() - GRADE_NOTICE_DAYS).order_by("-graded_at")
        labs = labs.annotate(graded_id=Subquery(graded.values("pk")[:1]),
                             graded_passed=Subquery(graded.values("passed")[:1]),
                             graded_when=Subquery(graded.values("graded_at")[:1]))
    rows = []
    for lab in labs:
        graded_id = getattr(lab, "graded_id", None)
        rows.append(LabStatus(lab, getattr(lab, "has_passed", False), getattr(lab, "has_attempted", False),
                              getattr(lab, "has_active", False), getattr(lab, "has_awaiting", False),
                              (graded_id, lab.graded_passed, lab.graded_when) if graded_id else None))
    return rows


def passed_lab_slugs(user, course: Course) -> set[str]:
    """Evidence provider "labs" for success criteria: slugs of the labs the user passed."""
    if not user.is_authenticated:
        return set()
    return set(Submission.objects.filter(user=user, lab__course=course, status=Status.PASSED)
               .values_list("lab__slug", flat=True).distinct())


def _state(row: LabStatus) -> str:
    if row.passed:
        return "done"
    if row.active:
        return "active"
    if row.awaiting:
        return "awaiting"
    return "failed" if row.attempted else "todo"


def _entry(row: LabStatus) -> LabEntry:
    lab, lesson = row.lab, row.lab.lesson
    return LabEntry(
        slug=lab.slug, title=lab.title, kind=lab.kind, summary=lab.summary, minutes=lab.estimated_minutes,
        points=getattr(lab, "points", None) or 0, lesson_number=lesson.number if lesson else None,
        lesson_title=lesson.title if lesson else "", url=lab.get_absolute_url(), state=_state(row))


def lab_entries(user, course: Course, rows: list[LabStatus] | None = None) -> list[LabEntry]:
    """The course's labs as course pages list them (courses/coursework.py), with the user's
    status: one query. Lesson labs follow their lesson; the practical comes last."""
    order = {"activity": 0, "lesson": 0, "practical": 1}
    rows = sorted(labs_with_status(user, course) if rows is None else rows,
                  key=lambda r: (order.get(r.lab.kind, 0), r.lab.lesson.number if r.lab.lesson else 0))
    for row in rows:
        row.lab.course = course  # its URL names the course: no query per lab
    return [_entry(row) for row in rows]


def dashboard_status(user, course: Course) -> tuple[dict, set[str]]:
    """Dashboard provider "Labs": the line (with every lab, for the pages that list and count
    them) and the passed lab slugs, in one query. The line counts every lab; the course page
    and dashboard show the kinds apart (activities, lesson labs, the practical)."""
    rows = labs_with_status(user, course)
    labs = lab_entries(user, course, rows)
    passed_slugs = {lab.slug for lab in labs if lab.passed}
    if not labs:
        return {"text": "No labs yet", "url": None, "state": "todo", "labs": labs}, passed_slugs
    url = reverse("lab-list", args=[course.slug])
    passed = len(passed_slugs)
    state = "done" if passed == len(labs) else "todo"
    text = f"All {len(labs)} labs passed" if state == "done" else f"{passed} of {len(labs)} labs passed"
    awaiting = sum(1 for lab in labs if lab.state == "awaiting")
    if awaiting:
        text += f", {awaiting} awaiting instructor grading"
    return {"text": text, "url": url, "state": state, "labs": labs,
            "notice": _grade_notice(rows)}, passed_slugs


def _grade_notice(rows: list[LabStatus]) -> dict | None:
    """The dashboard's notice of the latest manual grade posted in the last two weeks."""
    graded = [row for row in rows if row.graded]
    if not graded:
        return None
    latest = max(graded, key=lambda row: row.graded[2])
    submission_id, passed, _when = latest.graded
    verdict = "passed" if passed else "not passed yet"
    return {"text": f"Your instructor graded {latest.lab.title}: {verdict}. See your final grade.",
            "url": reverse("submission", args=[submission_id])}
