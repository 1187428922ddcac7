"""Quiz admin: settings and questions (read-only: they come from quiz.yaml), attempts
(view, reset, extend time), per-cohort results as CSV, and item analysis."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from courses import csv_export
from courses.admin_base import ReadOnlyContentAdmin
from courses.models import Answer, Attempt, Cohort, Question, Quiz
from courses.quiz import services as quiz_service
from courses.quiz.stats import analyse
from courses.visibility import cohort_students, taught_by


def _visible_cohorts(user):
    cohorts = Cohort.objects.all()
    return cohorts if user.is_superuser else cohorts.filter(instructors=user)


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "key", "topic", "difficulty", "kind", "active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "questions_per_attempt", "pass_percent", "time_limit_minutes",
                    "links"]
    readonly_fields = ["course", "title", "questions_per_attempt", "pass_percent", "attempts_allowed",
                       "cooldown_minutes", "cooldown_after_failures", "cooldown_hours", "time_limit_minutes",
                       "shuffle_questions", "shuffle_options", "show_review", "topics"]
    exclude = ["description_html"]
    inlines = [QuestionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Reports")
    def links(self, obj):
        return format_html('<a href="{}">Item analysis</a> · <a href="{}">Results</a>',
                           reverse("admin:courses_quiz_analysis", args=[obj.pk]),
                           reverse("admin:courses_quiz_results", args=[obj.pk]))

    def get_urls(self):
        return [
            path("<int:pk>/analysis/", self.admin_site.admin_view(self.analysis_view),
                 name="courses_quiz_analysis"),
            path("<int:pk>/results/", self.admin_site.admin_view(self.results_view),
                 name="courses_quiz_results"),
        ] + super().get_urls()

    def _quiz(self, request, pk: int) -> Quiz:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Quiz, pk=pk)

    def analysis_view(self, request, pk: int):
        quiz = self._quiz(request, pk)
        first = taught_by(request.user, Attempt.objects.filter(
            quiz=quiz, number=1, status=Attempt.Status.SUBMITTED, voided=False), course="quiz__course")
        scores: dict[int, dict[str, int]] = {a: {} for a in first.values_list("pk", flat=True)}
        keys = dict(quiz.questions.values_list("pk", "key"))
        for attempt_id, question_id, correct in Answer.objects.filter(attempt_id__in=scores).values_list(
                "attempt_id", "question_id", "is_correct"):
            scores[attempt_id][keys[question_id]] = int(bool(correct))
        for attempt_id, drawn in first.values_list("pk", "question_keys"):
            for key in drawn:  # unanswered questions score 0
                scores[attempt_id].setdefault(key, 0)
        questions = list(quiz.questions.all())
        stats = analyse(list(scores.values()), [q.key for q in questions])
        rows = list(zip(questions, stats.items, strict=True))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "quiz": quiz,
                   "stats": stats, "rows": rows, "title": f"Item analysis: {quiz}"}
        return TemplateResponse(request, "admin/courses/quiz/analysis.html", context)

    def results_view(self, request, pk: int):
        quiz = self._quiz(request, pk)
        cohorts = _visible_cohorts(request.user).filter(course_id=quiz.course_id)
        cohort = cohorts.filter(pk=request.GET.get("cohort") or 0).first() or cohorts.first()
        rows = []
        if cohort:
            enrollments = list(cohort_students(cohort).select_related("student"))  # accepted only
            attempts: dict[int, list[Attempt]] = {}
            for a in Attempt.objects.filter(quiz=quiz, user_id__in=[e.student_id for e in enrollments]):
                attempts.setdefault(a.user_id, []).append(a)
            for e in enrollments:
                mine = [a for a in attempts.get(e.student_id, []) if not a.voided]
                scored = [a.score for a in mine if a.score is not None]
                rows.append({"email": e.student.email, "name": e.student.get_full_name(),
                             "attempts": len(mine), "best": max(scored, default=None),
                             "passed": any(a.passed for a in mine)})
        if request.GET.get("format") == "csv" and cohort:
            response = HttpResponse(content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}-cohort-{cohort.pk}.csv"'
            writer = csv_export.writer(response)  # neutralises formula cells
            writer.writerow(["email", "name", "attempts", "best_score", "max_score", "passed"])
            for r in rows:
                writer.writerow([r["email"], r["name"], r["attempts"], "" if r["best"] is None else r["best"],
                                 quiz.questions_per_attempt, "yes" if r["passed"] else "no"])
            return response
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "quiz": quiz,
                   "cohorts": cohorts, "cohort": cohort, "rows": rows, "title": f"Results: {quiz}"}
        return TemplateResponse(request, "admin/courses/quiz/results.html", context)


@admin.register(Question)
class QuestionAdmin(ReadOnlyContentAdmin):
    list_display = ["key", "quiz", "topic", "difficulty", "kind", "active"]
    list_filter = ["topic", "difficulty", "kind", "active"]
    search_fields = ["key", "text_html"]
    fields = ["key", "quiz", "topic", "difficulty", "kind", "lesson_label", "lesson_url", "active",
              "preview"]
    readonly_fields = fields

    @admin.display(description="Preview (as reviewed after submitting)")
    def preview(self, obj):
        # Stored HTML was sanitised at import.
        options = "".join(f"<li>{'✓' if o['correct'] else '·'} {o['html']}</li>" for o in obj.options)
        accept = ", ".join(f"<code>{a}</code>" for a in obj.accept)
        return mark_safe(  # noqa: S308 - sanitised at import; accepted answers escaped below
            f"<div>{obj.text_html}</div><ul>{options}</ul>"
            + (format_html("<p>Accepted: {}</p>", mark_safe(accept)) if obj.accept else "")  # noqa: S308
            + f"<div><strong>Explanation</strong>{obj.explanation_html}</div>")


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["question", "response", "saved_at", "is_correct"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["user", "quiz", "number", "status", "score", "passed", "started_at", "deadline",
                    "voided"]
    list_filter = ["status", "passed", "voided", "quiz"]
    search_fields = ["user__email"]
    list_select_related = ["user", "quiz"]
    readonly_fields = ["quiz", "user", "number", "status", "seed", "question_keys", "option_orders",
                       "started_at", "deadline", "submitted_at", "auto_submitted", "score", "max_score",
                       "pass_score", "passed", "voided"]
    inlines = [AnswerInline]
    actions = ["reset_attempts", "extend_time"]

    def get_queryset(self, request):
        return taught_by(request.user, super().get_queryset(request), course="quiz__course")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reset: void the selected attempts (they stop counting)")
    def reset_attempts(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        for attempt in queryset.filter(status=Attempt.Status.OPEN):
            quiz_service.attempt_submit(attempt=attempt)
        count = queryset.update(voided=True)
        messages.success(request, f"Voided {count} attempt(s); the students can start again.")

    @admin.action(description="Give 10 more minutes to the selected open attempts")
    def extend_time(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        extended = 0
        for attempt in queryset.filter(status=Attempt.Status.OPEN, deadline__isnull=False):
            quiz_service.attempt_extend(attempt=attempt, minutes=10)
            extended += 1
        messages.success(request, f"Extended {extended} open attempt(s) by 10 minutes.")


