"""The instructor's review pages in the admin, served by SubmissionAdmin (grading/admin.py):

- review: every file highlighted with line numbers, the README rendered, the check results as
  the student sees them, stages and notes as text, and the diff against the student's previous
  submission of the same lab;
- grade: the lab's manual rubric (points and a comment per item), posted as the final grade;
- needs grading: per cohort, the submissions whose manual rubric waits for an instructor.

Access: a submission is found through the SubmissionAdmin's queryset (courses.visibility.taught_by:
the cohort's instructors and superusers), so anyone else gets a 404 whatever id they try; a cohort
must be one the user teaches. Views parse, call grading/review.py or grading/manual_grading.py,
render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from courses.models import Cohort, Enrollment
from grading import manual_grading, review, selectors
from grading.models import ManualGrade, ManualItem, Submission

Status = Submission.Status


def urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view
    return [
        path("needs-grading/", view(lambda request: needs_grading_index(model_admin, request)),
             name="grading_submission_needs_grading"),
        path("needs-grading/<int:cohort_id>/",
             view(lambda request, cohort_id: needs_grading_cohort(model_admin, request, cohort_id)),
             name="grading_submission_needs_grading_cohort"),
        path("<int:pk>/review/", view(lambda request, pk: review_view(model_admin, request, pk)),
             name="grading_submission_review"),
        path("<int:pk>/grade/", view(lambda request, pk: grade_view(model_admin, request, pk)),
             name="grading_submission_grade"),
    ]


def _context(model_admin, request, **extra) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **extra}


def _submission_for(model_admin, request, pk: int, queryset=None) -> Submission:
    """The one lookup for these pages: a submission the admin shows this user, else 404."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    rows = model_admin.get_queryset(request) if queryset is None else \
        selectors.visible_to_instructor(request.user, queryset)
    submission = rows.filter(pk=pk).first()
    if submission is None:
        raise Http404("No such submission")
    return submission


def _taught_cohorts(user):
    cohorts = Cohort.objects.select_related("course")
    return cohorts if user.is_superuser else cohorts.filter(instructors=user)


# --- review ---------------------------------------------------------------------------------------

def review_view(model_admin, request, pk: int):
    queryset = Submission.objects.select_related("lab", "lab__course", "user").prefetch_related(
        "files", "results", Prefetch("manual_grades", queryset=ManualGrade.objects.select_related("item")))
    submission = _submission_for(model_admin, request, pk, queryset)
    previous = review.previous_submission(submission)
    diffs = review.diff_files(list(previous.files.all()), list(submission.files.all())) if previous else []
    results = list(submission.results.all())
    files = review.file_views(submission)
    lab = submission.lab
    manual_items = list(lab.manual_items.all())
    final = manual_grading.final_grade(submission, manual_points_max=sum(i.points for i in manual_items)) \
        if manual_items else None
    return TemplateResponse(request, "admin/grading/review.html", _context(
        model_admin, request, title=f"Review: {lab.title} by {_name(submission.user)}",
        submission=submission, lab=lab, course=lab.course, files=files,
        readmes=[f for f in files if f.readme_html is not None],
        results=results, has_live_results=any(r.is_live for r in results),
        preview_score=sum(r.points for r in results), preview_max=sum(r.max_points for r in results),
        manual_grades=list(submission.manual_grades.all()), manual_items=manual_items, final=final,
        stages=review.stage_rows(submission.stages), notes=[str(n) for n in (submission.notes or [])[:100]],
        previous=previous, changed=[d for d in diffs if d.change != "unchanged"],
        unchanged=[d for d in diffs if d.change == "unchanged"],
        can_grade=bool(manual_items) and submission.status in (Status.AWAITING, Status.PASSED, Status.FAILED)
        and (submission.status == Status.AWAITING or submission.graded_at is not None)
        and model_admin.has_change_permission(request, submission),
    ))


def _name(user) -> str:
    return user.get_full_name() or user.email


# --- grading the manual rubric --------------------------------------------------------------------

class RubricForm(forms.Form):
    """Points and a comment for each manual item of the lab."""

    def __init__(self, *args, items: list[ManualItem], grades: dict[int, ManualGrade], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            grade = grades.get(item.pk)
            self.fields[f"points_{item.pk}"] = forms.FloatField(
                label=f"{item.title}: points (out of {item.points:g})", min_value=0, max_value=item.points,
                initial=grade.points if grade else None,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
            self.fields[f"comment_{item.pk}"] = forms.CharField(
                label=f"{item.title}: comment for the student", required=False, max_length=5000,
                initial=grade.comment if grade else "", widget=forms.Textarea(attrs={"rows": 3}))

    def rows(self):
        return [(item, self[f"points_{item.pk}"], self[f"comment_{item.pk}"]) for item in self.items]

    def grades(self) -> dict[int, tuple[float, str]]:
        return {item.pk: (self.cleaned_data[f"points_{item.pk}"], self.cleaned_data[f"comment_{item.pk}"])
                for item in self.items}


def grade_view(model_admin, request, pk: int):
    queryset = Submission.objects.select_related("lab", "lab__course", "user")
    submission = _submission_for(model_admin, request, pk, queryset)
    if not (model_admin.has_change_permission(request, submission)
            and request.user.has_perm("grading.add_manualgrade")):
        raise PermissionDenied
    items = list(submission.lab.manual_items.all())
    if not items:
        raise Http404("This lab has no manual rubric")
    grades = {g.item_id: g for g in submission.manual_grades.all()}
    form = RubricForm(request.POST or None, items=items, grades=grades)
    if request.method == "POST" and form.is_valid():
        try:
            posted = manual_grading.manual_grade_post(submission=submission, grades=form.grades(),
                                                      by=request.user)
        except manual_grading.GradingRefused as exc:
            messages.error(request, str(exc))
        else:
            grade = manual_grading.final_grade(posted)
            messages.success(request, f"Grade posted for {_name(submission.user)}: "
                                      f"{grade.total:g} / {grade.total_max:g} points, "
                                      f"{'passed' if grade.passed else 'not passed'}. They have been told.")
            return redirect("admin:grading_submission_review", submission.pk)
    return TemplateResponse(request, "admin/grading/review_grade.html", _context(
        model_admin, request, title=f"Grade: {submission.lab.title} by {_name(submission.user)}",
        submission=submission, lab=submission.lab, form=form,
        awaiting=submission.status == Status.AWAITING))


# --- the "needs grading" queue --------------------------------------------------------------------

def _awaiting_count():
    """Per cohort row: its students' submissions on its course awaiting a manual grade. One
    enrolment per student and cohort (a unique constraint), so the join counts each once."""
    awaiting = (Submission.objects.filter(status=Status.AWAITING, lab__course=OuterRef("course"),
                                          user__enrollments__cohort=OuterRef("pk"),
                                          user__enrollments__status__in=Enrollment.ACCEPTED)
                .exclude(manual_grading.superseded()).order_by().values("status").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(awaiting, output_field=IntegerField()), 0)


def needs_grading_index(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    cohorts = list(_taught_cohorts(request.user).annotate(awaiting=_awaiting_count()))
    return TemplateResponse(request, "admin/grading/review_queue_index.html", _context(
        model_admin, request, title="Needs grading", cohorts=cohorts))


def needs_grading_cohort(model_admin, request, cohort_id: int):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    cohort = get_object_or_404(_taught_cohorts(request.user), pk=cohort_id)
    # The cohort's rule and, as a second lock, the admin's own visibility rule.
    rows = list(selectors.visible_to_instructor(request.user, manual_grading.needs_grading(cohort)))
    return TemplateResponse(request, "admin/grading/review_queue.html", _context(
        model_admin, request, title=f"Needs grading: {cohort}", cohort=cohort, rows=rows))
