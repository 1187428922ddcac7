"""Manual rubric items (a practical's demo): what waits for an instructor, posting their grade,
and the final grade that combines automatic and manual points.

A lab with manual items passes in two steps. The automatic checks must reach the lab's
`pass_percent` of their own points first (as for any lab); the submission then waits as
"awaiting" (never shown as passed). Once the instructor posts the rubric, the final grade is
automatic + manual points over all the lab's points (lab.yaml's checks and manual items), and
the lab passes when that total reaches `pass_percent` too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses.visibility import cohort_students
from grading import conf
from grading.models import ManualGrade, ManualItem, Submission
from lms import page_cache

logger = logging.getLogger(__name__)
Status = Submission.Status


class GradingRefused(Exception):
    """The grade cannot be posted (the submission is not waiting for one, or points are out of range)."""


@dataclass(frozen=True)
class FinalGrade:
    automatic: float
    automatic_max: float
    manual: float | None  # None: not posted yet
    manual_max: float
    pass_percent: int

    @property
    def total(self) -> float:
        return self.automatic + (self.manual or 0)

    @property
    def total_max(self) -> float:
        return self.automatic_max + self.manual_max

    @property
    def percent(self) -> float:
        return round(100 * self.total / self.total_max, 1) if self.total_max else 0.0

    @property
    def passed(self) -> bool:
        return self.manual is not None and self.total_max > 0 and \
            100 * self.total >= self.pass_percent * self.total_max


def manual_max(lab_id: int) -> float:
    return ManualItem.objects.filter(lab_id=lab_id).aggregate(total=Sum("points"))["total"] or 0.0


def final_grade(submission: Submission, manual_points_max: float | None = None) -> FinalGrade:
    """The final grade of a submission of a lab with manual items (the lab row must be loaded)."""
    maximum = manual_max(submission.lab_id) if manual_points_max is None else manual_points_max
    return FinalGrade(automatic=submission.score or 0.0, automatic_max=submission.max_score or 0.0,
                      manual=submission.manual_score, manual_max=maximum,
                      pass_percent=submission.lab.pass_percent)


def settle_after_checks(submission_id: int) -> str | None:
    """Called by grading/services.py in the transaction that stores the automatic result. On a
    lab with manual items a pass of the checks waits for the instructor ("awaiting"); a regraded
    submission whose manual grade was already posted gets its final verdict at once. Returns the
    status it set, or None when nothing changed."""
    submission = (Submission.objects.select_related("lab")
                  .filter(pk=submission_id, status=Status.PASSED).first())
    if submission is None:
        return None
    if not ManualItem.objects.filter(lab_id=submission.lab_id).exists():
        return None
    maximum = manual_max(submission.lab_id)
    if submission.graded_at is None:
        status, passed = Status.AWAITING, False
    else:
        passed = final_grade(submission, manual_points_max=maximum).passed
        status = Status.PASSED if passed else Status.FAILED
    Submission.objects.filter(pk=submission_id).update(status=status, passed=passed)
    page_cache.changed(submission.user_id)  # update() sends no signal (lms/page_cache.py)
    return status


# --- the queue ------------------------------------------------------------------------------------

def superseded() -> Exists:
    """A student who resubmitted is graded on their latest try: an older waiting submission
    drops out of the queue once a newer one waits too or has been graded."""
    return Exists(Submission.objects.filter(
        user_id=OuterRef("user_id"), lab_id=OuterRef("lab_id"), created_at__gt=OuterRef("created_at")
    ).filter(Q(status=Status.AWAITING) | Q(graded_at__isnull=False)))


def needs_grading(cohort) -> QuerySet[Submission]:
    """Submissions of the cohort's students on the cohort's course waiting for a manual grade,
    oldest first. Callers check that the user teaches the cohort (the admin does)."""
    students = cohort_students(cohort).values("student_id")
    return (Submission.objects.filter(status=Status.AWAITING, lab__course_id=cohort.course_id,
                                      user_id__in=students)
            .exclude(superseded())
            .select_related("lab", "user").order_by("created_at", "id"))


# --- posting a grade ------------------------------------------------------------------------------

def manual_grade_post(*, submission: Submission, grades: dict[int, tuple[float, str]], by) -> Submission:
    """Save the instructor's points and comment for every rubric item of the submission's lab
    (`grades`: item id -> (points, comment)), post the final grade and tell the student.

    The submission row is locked so two instructors posting at once give one verdict; a
    submission regraded meanwhile (no longer awaiting or graded) is refused."""
    with transaction.atomic():
        locked = Submission.objects.select_for_update().select_related("lab").get(pk=submission.pk)
        if locked.status not in (Status.AWAITING, Status.PASSED, Status.FAILED) or (
                locked.status != Status.AWAITING and locked.graded_at is None):
            raise GradingRefused("This submission is not waiting for a manual grade.")
        items = {item.pk: item for item in ManualItem.objects.filter(lab_id=locked.lab_id)}
        if set(grades) != set(items):
            raise GradingRefused("Grade every rubric item.")
        total = 0.0
        for item_id, (points, comment) in grades.items():
            item = items[item_id]
            if not 0 <= points <= item.points:
                raise GradingRefused(f"Give between 0 and {item.points:g} points for “{item.title}”.")
            ManualGrade.objects.update_or_create(submission=locked, item=item, defaults={
                "points": points, "comment": comment.strip()[:5000], "graded_by": by})
            total += points
        locked.manual_score = total
        locked.graded_at = timezone.now()
        locked.graded_by = by
        grade = final_grade(locked, manual_points_max=sum(i.points for i in items.values()))
        locked.passed = grade.passed
        locked.status = Status.PASSED if grade.passed else Status.FAILED
        locked.save(update_fields=["manual_score", "graded_at", "graded_by", "passed", "status"])
        transaction.on_commit(lambda: notify_grade_posted(locked.pk))
    return locked


def notify_grade_posted(submission_id: int) -> bool:
    """Email the student their posted grade (the dashboard shows it too: grading/selectors.py).
    A mail server that fails is logged, not raised: the grade is posted either way."""
    submission = Submission.objects.select_related("lab", "lab__course", "user").get(pk=submission_id)
    grade = final_grade(submission)
    context = {"submission": submission, "lab": submission.lab, "grade": grade,
               "user": submission.user,
               "manual_grades": list(submission.manual_grades.select_related("item")),
               "url": conf.site_url() + reverse("submission", args=[submission.pk])}
    try:
        send_mail(f"Your instructor graded {submission.lab.title}",
                  render_to_string("email/grade_posted.txt", context),
                  settings.DEFAULT_FROM_EMAIL, [submission.user.email])
    except OSError:
        logger.exception("could not email the posted grade of submission %s", submission_id)
        return False
    return True

