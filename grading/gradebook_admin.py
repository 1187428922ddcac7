"""The gradebook in the admin: a page per cohort, its CSV, and a student's record.

Custom admin views (admin_site.admin_view: staff only, the admin's login and look), mounted
under /admin/gradebook/ by lms/urls.py: courses' Cohort admin cannot import grading, so the
cohort page links here by URL name (templates/admin/courses/cohort/change_form.html).

Who sees what: the cohort's instructors and superusers; anyone else gets a 404, so a cohort id
confirms nothing. A student's record is shown only for an accepted place in that cohort
(courses.visibility.cohort_students), as everywhere else instructors see students' work.
"""

from __future__ import annotations

from html import escape

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import SafeString, mark_safe

from courses import csv_export
from courses.models import Attempt, Cohort, LessonCompletion
from courses.visibility import cohort_students
from grading import charts, gradebook
from grading.models import Submission


def _cohort_for(request, pk: int) -> Cohort:
    """The one access check: a cohort the user teaches (any, for a superuser); 404 otherwise."""
    if not request.user.has_perm("courses.view_cohort"):
        raise PermissionDenied
    cohorts = Cohort.objects.select_related("course")
    if not request.user.is_superuser:
        cohorts = cohorts.filter(instructors=request.user)
    return get_object_or_404(cohorts, pk=pk)


def _context(request, cohort: Cohort, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "opts": Cohort._meta, "cohort": cohort, "title": title,
            **extra}


def gradebook_view(request, pk: int):
    cohort = _cohort_for(request, pk)
    book = gradebook.build(cohort)
    shown = gradebook.table(book, sort=request.GET.get("sort", ""), filter=request.GET.get("filter", ""))
    if request.GET.get("format") == "csv":
        response, writer = csv_export.csv_response(f"cohort-{cohort.pk}-gradebook.csv")
        writer.writerow([c.label for c in shown.columns])
        writer.writerows(shown.cells)
        return response
    # A column's link sorts by it; on the column already sorted ascending, it reverses.
    headers = [{"column": c, "sorted": shown.sort.lstrip("-") == c.key,
                "descending": shown.sort == "-" + c.key,
                "next": "-" + c.key if shown.sort == c.key else c.key}
               for c in shown.columns]
    filters = [{"value": value, "label": label, "count": sum(1 for r in book.rows if test(r)),
                "current": value == shown.filter}
               for value, (label, test) in gradebook.FILTERS.items()]
    context = _context(request, cohort, f"Gradebook: {cohort}", book=book, table=shown, headers=headers,
                       body=_table_body(cohort, shown), shown_count=len(shown.rows), filters=filters,
                       progress_chart=charts.progress_chart(book), quiz_chart=charts.quiz_chart(book))
    return TemplateResponse(request, "admin/grading/gradebook.html", context)


def _table_body(cohort: Cohort, shown: gradebook.Table) -> SafeString:
    """The table's rows as HTML, built here rather than in the template: 500 students times 20
    columns is 10,000 cells, which the template engine took most of a second to render."""
    record = reverse("gradebook:record", args=[cohort.pk, 0]).removesuffix("0/")
    # html.escape directly, not format_html: 10,000 format_html calls were a fifth of the page.
    lines = []
    for row, cells in zip(shown.rows, shown.cells, strict=True):
        tds = "".join(f"<td>{escape(cell)}</td>" for cell in cells[1:])
        lines.append(f'<tr class="gradebook-{escape(row.status)}"><th scope="row"><a href="{record}'
                     f'{int(row.student_id)}/">{escape(cells[0])}</a></th>{tds}</tr>')
    return mark_safe("\n".join(lines))  # noqa: S308 - every cell and the status escaped just above


def record_view(request, pk: int, student_id: int):
    cohort = _cohort_for(request, pk)
    if not cohort_students(cohort).filter(student_id=student_id).exists():
        raise Http404("No such student in this cohort")
    student = get_object_or_404(get_user_model(), pk=student_id)
    book = gradebook.build(cohort, student_id=student.pk)
    row = book.rows[0]
    completed = dict(LessonCompletion.objects.filter(user=student, lesson__course=cohort.course)
                     .values_list("lesson_id", "completed_at"))
    lessons = [{"lesson": lesson, "completed_at": completed.get(lesson.pk),
                "due": book.due.get(gradebook.lesson_key(lesson))}
               for lesson in book.lessons]
    attempts = (Attempt.objects.filter(user=student, quiz__course=cohort.course)
                .only("id", "number", "status", "started_at", "submitted_at", "score", "max_score", "passed",
                      "voided", "late").order_by("started_at"))
    submissions = (Submission.objects.filter(user=student, lab__course=cohort.course)
                   .select_related("lab").only("id", "status", "score", "max_score", "created_at", "late",
                                               "lab__title", "lab__slug", "lab__kind",
                                               "manual_score", "graded_at")
                   .order_by("created_at", "id"))
    context = _context(request, cohort, f"{row.name or row.email}: record in {cohort}", row=row, book=book,
                       lessons=lessons, attempts=list(attempts), submissions=list(submissions))
    return TemplateResponse(request, "admin/grading/gradebook_record.html", context)


app_name = "gradebook"
urlpatterns = [
    path("<int:pk>/", admin.site.admin_view(gradebook_view), name="cohort"),
    path("<int:pk>/students/<int:student_id>/", admin.site.admin_view(record_view), name="record"),
]
