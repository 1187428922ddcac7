"""Admin for instructors and admins.

Instructors (staff in the "Instructors" group) see and edit only the cohorts they teach, and
the enrolments in them; course content is read-only here because it comes from files.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from courses import progress, quiz_admin, services  # noqa: F401 - quiz_admin registers the quiz models
from courses.admin_base import ReadOnlyContentAdmin
from courses.models import Cohort, Course, Enrollment, Lesson, QuizOverride


def _teaches(user, cohort: Cohort) -> bool:
    return user.is_superuser or cohort.instructors.filter(pk=user.pk).exists()


@admin.register(Course)
class CourseAdmin(ReadOnlyContentAdmin):
    list_display = ["code", "title", "duration_hours", "difficulty", "loaded_at"]
    search_fields = ["title", "code", "slug"]


@admin.register(Lesson)
class LessonAdmin(ReadOnlyContentAdmin):
    list_display = ["number", "title", "course", "duration_hours", "word_count", "hands_on"]
    list_filter = ["course"]
    search_fields = ["title", "slug"]
    exclude = ["body_html", "toc"]


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    fields = ["student", "status", "enrolled_at"]
    readonly_fields = ["student", "enrolled_at"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False  # students are added by email, with "Enrol students"


class EnrolForm(forms.Form):
    emails = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One email per line (or comma-separated).")
    csv_file = forms.FileField(
        required=False, label="…or a CSV file",
        help_text="One email per row, or a column headed 'email'. New emails get an invited "
                  "account and an email with a link to set their password.")

    def clean(self):
        data = super().clean()
        emails = [e for line in (data.get("emails") or "").splitlines() for e in line.split(",")]
        upload = data.get("csv_file")
        if upload:
            if upload.size > 1024 * 1024:
                raise forms.ValidationError("The CSV file is larger than 1 MiB.")
            try:
                emails += services.parse_email_csv(upload.read().decode("utf-8-sig"))
            except UnicodeDecodeError:
                raise forms.ValidationError("The CSV file is not UTF-8 text.") from None
        data["all_emails"] = [e.strip() for e in emails if e.strip()]
        if not data["all_emails"]:
            raise forms.ValidationError("Give at least one email address.")
        return data


class QuizOverrideInline(admin.TabularInline):
    model = QuizOverride
    extra = 0
    fields = ["quiz", "attempts_allowed", "time_limit_minutes"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "starts_on", "ends_on", "student_count", "progress_link"]
    list_filter = ["course", "starts_on"]
    search_fields = ["name", "enrollments__student__email"]
    date_hierarchy = "starts_on"
    inlines = [EnrollmentInline, QuizOverrideInline]
    filter_horizontal = ["instructors"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("course")
        if not request.user.is_superuser:
            qs = qs.filter(instructors=request.user)
        return qs.distinct()

    def get_fields(self, request, obj=None):
        fields = ["name", "course", "starts_on", "ends_on"]
        return fields + ["instructors"] if request.user.is_superuser else fields

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or _teaches(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or _teaches(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or _teaches(request.user, obj))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not request.user.is_superuser:
            form.instance.instructors.add(request.user)  # an instructor teaches what they create

    @admin.display(description="Students")
    def student_count(self, obj):
        return obj.enrollments.count()

    @admin.display(description="Progress")
    def progress_link(self, obj):
        from django.utils.html import format_html
        return format_html('<a href="{}">View progress</a>',
                           reverse("admin:courses_cohort_progress", args=[obj.pk]))

    def get_urls(self):
        own = [
            path("<int:pk>/enrol/", self.admin_site.admin_view(self.enrol_view),
                 name="courses_cohort_enrol"),
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view),
                 name="courses_cohort_progress"),
        ]
        return own + super().get_urls()

    def _cohort_for(self, request, pk: int, change: bool = False) -> Cohort:
        cohort = get_object_or_404(Cohort, pk=pk)
        allowed = (self.has_change_permission if change else self.has_view_permission)(request, cohort)
        if not allowed:
            raise PermissionDenied
        return cohort

    def enrol_view(self, request, pk: int):
        cohort = self._cohort_for(request, pk, change=True)
        form = EnrolForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = services.cohort_enroll_emails(cohort=cohort, emails=form.cleaned_data["all_emails"])
            services.send_invitations(emails=report.invited, request=request)
            messages.success(request, f"Enrolled {len(report.enrolled)} student(s); "
                                      f"{len(report.invited)} new account(s) invited; "
                                      f"{len(report.already)} already enrolled.")
            if report.invalid:
                messages.error(request, "Not valid email addresses, skipped: " + ", ".join(report.invalid))
            return redirect("admin:courses_cohort_change", cohort.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "cohort": cohort, "form": form, "title": f"Enrol students in {cohort}"}
        return TemplateResponse(request, "admin/courses/cohort/enrol.html", context)

    def progress_view(self, request, pk: int):
        cohort = self._cohort_for(request, pk)
        rows = progress.cohort_progress(cohort)
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="cohort-{cohort.pk}-progress.csv"'
            writer = csv.writer(response)
            writer.writerow(["email", "name", "status", "enrolled_at", "lessons_done",
                             "lessons_total", "percent", "last_lesson", "last_seen"])
            for r in rows:
                writer.writerow([r.email, r.name, r.status, r.enrolled_at.isoformat(), r.done,
                                 r.total, r.percent, r.last_lesson,
                                 r.last_seen.isoformat() if r.last_seen else ""])
            return response
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "cohort": cohort, "rows": rows, "title": f"Progress: {cohort}"}
        return TemplateResponse(request, "admin/courses/cohort/progress.html", context)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "cohort", "status", "enrolled_at"]
    list_filter = ["status", "cohort"]
    search_fields = ["student__email", "student__first_name", "student__last_name", "cohort__name"]
    readonly_fields = ["cohort", "student", "enrolled_at"]
    list_select_related = ["student", "cohort"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(cohort__instructors=request.user)

    def has_add_permission(self, request):
        return False  # enrol from the cohort page, by email
