"""Admin for instructors and admins.

Labs are read-only (they come from files). Instructors see only the submissions of students
in cohorts they teach, can regrade them (an action) and grade the manual rubric items inline.

Everything shown here that came from a submission (file names, messages, notes, evidence) is
student-controlled: it is escaped (format_html_join, never format_html over joined text, whose
braces would be read as placeholders) and clipped, so a page never renders unbounded text.
"""

from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from courses.admin_base import ReadOnlyContentAdmin
from grading import review, review_admin, selectors, services
from grading.models import CheckResult, Lab, LabCheck, ManualGrade, ManualItem, Submission, SubmissionFile

TEXT_LIMIT = 2000  # characters of one stored text shown on a change page
LIST_LIMIT = 100  # items of one stored list (errors, notes) shown on a change page


def clip(text, limit: int = TEXT_LIMIT) -> str:
    """`text` cut to `limit` characters, saying how much was left out."""
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text) - limit} more characters)"


def _more(items: list, shown: int, noun: str) -> str:
    left = len(items) - shown
    return f"…({left} more {noun})" if left > 0 else ""


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LabCheckInline(ReadOnlyInline):
    model = LabCheck
    fields = ["check_id", "title", "function", "params", "points", "lesson_link"]


class ManualItemInline(ReadOnlyInline):
    model = ManualItem
    fields = ["item_id", "title", "points", "description"]


@admin.register(Lab)
class LabAdmin(ReadOnlyContentAdmin):
    list_display = ["title", "slug", "kind", "course", "lesson", "attempts_allowed", "pass_percent"]
    list_filter = ["course", "kind"]
    search_fields = ["title", "slug"]
    exclude = ["instructions_html"]
    inlines = [LabCheckInline, ManualItemInline]


class SubmissionFileInline(ReadOnlyInline):
    model = SubmissionFile
    fields = ["name", "size", "sha256"]


class CheckResultInline(ReadOnlyInline):
    model = CheckResult
    fields = ["check_id", "passed", "points", "max_points", "message_text", "expected_text", "observed_text"]
    readonly_fields = fields

    @admin.display(description="Message")
    def message_text(self, obj):
        return clip(obj.message, 1000)

    @admin.display(description="Expected")
    def expected_text(self, obj):
        return clip(obj.expected, 1000)

    @admin.display(description="Observed")
    def observed_text(self, obj):
        return clip(obj.observed, 1000)


class ManualGradeInline(ReadOnlyInline):
    """Read-only here: grades are posted from the grading page (grading/review_admin.py), which
    sets the final grade and tells the student."""

    model = ManualGrade
    fields = ["item", "points", "comment", "graded_by", "graded_at"]
    readonly_fields = fields


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "lab", "student", "status", "score_display", "created_at", "finished_at",
                    "review_link"]
    list_filter = ["status", "lab__course", "lab"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "lab__slug"]
    list_select_related = ["lab", "user"]
    date_hierarchy = "created_at"
    actions = ["regrade"]
    fields = ["lab", "user", "status", "stage", "score", "max_score", "passed", "error_list", "note_list",
              "failure_text", "created_at", "queued_at", "started_at", "finished_at", "stage_list", "runs",
              "requeues", "graded_count"]
    readonly_fields = fields
    inlines = [ManualGradeInline, CheckResultInline, SubmissionFileInline]

    def get_queryset(self, request):
        return selectors.visible_to_instructor(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_urls(self):
        return review_admin.urls(self) + super().get_urls()

    @admin.display(description="Review")
    def review_link(self, obj):
        label = "Review and grade" if obj.status == Submission.Status.AWAITING else "Review"
        return format_html('<a href="{}">{}</a>', reverse("admin:grading_submission_review", args=[obj.pk]),
                           label)

    @admin.display(description="Student", ordering="user__email")
    def student(self, obj):
        return obj.user.get_full_name() or obj.user.email

    @admin.display(description="Score")
    def score_display(self, obj):
        if obj.score is None:
            return "—"
        return f"{obj.score:g} / {obj.max_score:g}"

    @admin.display(description="Errors")
    def error_list(self, obj):
        errors = [e for e in obj.errors or [] if isinstance(e, dict)]
        if not errors:
            return "—"
        shown = errors[:LIST_LIMIT]
        return format_html("<ul>{}</ul>{}", format_html_join("", "<li><code>{}{}</code> {}</li>", (
            (clip(e.get("file"), 300), f":{e['line']}" if e.get("line") else "", clip(e.get("message")))
            for e in shown)), _more(errors, len(shown), "errors"))

    @admin.display(description="Notes")
    def note_list(self, obj):
        notes = list(obj.notes or [])
        if not notes:
            return "—"
        shown = notes[:LIST_LIMIT]
        return format_html("<ul>{}</ul>{}", format_html_join("", "<li>{}</li>", (
            (linebreaksbr(clip(note)),) for note in shown)), _more(notes, len(shown), "notes"))

    @admin.display(description="Failure")
    def failure_text(self, obj):
        return clip(obj.failure) or "—"

    @admin.display(description="Stages")
    def stage_list(self, obj):
        rows = review.stage_rows(obj.stages)
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}{}</li>", (
            (row.name, row.duration, f" ({clip('; '.join(row.details))})" if row.details else "")
            for row in rows)))

    @admin.action(description="Grade the selected submissions again", permissions=["change"])
    def regrade(self, request, queryset):
        done = sum(1 for submission in queryset if services.submission_regrade(submission=submission))
        skipped = queryset.count() - done
        messages.success(request, f"Queued {done} submission(s) for grading again.")
        if skipped:
            messages.warning(request, f"{skipped} submission(s) were still being graded; left alone.")
