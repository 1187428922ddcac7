"""Admin for instructors and admins.

Instructors (staff in the "Instructors" group) see and edit only the cohorts they teach, and
the enrolments in them; course content is read-only here because it comes from files.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from courses import csv_export, progress, schedule_admin, services
from courses.admin_base import ReadOnlyContentAdmin
from courses.models import Cohort, Course, Enrollment, Lesson, QuizOverride
from courses.models.cohorts import EnrollmentEvent
from courses.quiz import admin as quiz_admin  # noqa: F401 - quiz_admin registers the quiz models


def _teaches(user, cohort: Cohort) -> bool:
    if user.is_superuser:
        return True
    # Asked several times per admin page (view, change, delete, inline permissions): once per
    # request, kept on the request's user object.
    cache = user.__dict__.setdefault("_podium_teaches", {})
    if cohort.pk not in cache:
        cache[cohort.pk] = cohort.instructors.filter(pk=user.pk).exists()
    return cache[cohort.pk]


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


class EnrolForm(forms.Form):
    emails = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One email per line (or comma-separated).")
    csv_file = forms.FileField(
        required=False, label="…or a CSV file",
        help_text="One email per row, or a column headed 'email'. Each student is emailed an "
                  "invitation to accept on their dashboard; new emails also get an account and a "
                  "link to choose their password.")
    direct = forms.BooleanField(
        required=False, label="Enrol directly, without an invitation",
        help_text="Administrators only: the students are enrolled at once, without accepting.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not (user and user.is_superuser):
            del self.fields["direct"]  # only superusers enrol without the student's consent

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
    fields = ["quiz", "attempts_allowed", "time_limit_minutes", "show_review", "cooldown_after_failures",
              "cooldown_hours"]


def _enrolment_count(**filters):
    counts = (Enrollment.objects.filter(cohort=OuterRef("pk"), **filters).order_by()
              .values("cohort").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "starts_on", "ends_on", "student_count", "progress_link"]
    list_filter = ["course", "starts_on"]
    search_fields = ["name", "enrollments__student__email"]
    date_hierarchy = "starts_on"
    # No enrolment inline: 2,000 students made this page take 13.9 s and its form exceed
    # DATA_UPLOAD_MAX_NUMBER_FIELDS. The page links to the filtered, paginated enrolment list.
    inlines = [QuizOverrideInline]
    filter_horizontal = ["instructors"]

    readonly_fields = ["enrolments"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("course")
        if not request.user.is_superuser:
            qs = qs.filter(id__in=Cohort.objects.filter(instructors=request.user).values("id"))
        # Subqueries, not Count() over a join: searching by a student's email joins the
        # enrolments too, which would multiply a joined count.
        return qs.annotate(n_students=_enrolment_count(status__in=Enrollment.ACCEPTED),
                           n_invited=_enrolment_count(status=Enrollment.Status.INVITED))

    def get_fields(self, request, obj=None):
        fields = ["name", "course", "starts_on", "ends_on"]
        if request.user.is_superuser:
            fields.append("instructors")
        return fields + ["enrolments"] if obj is not None else fields

    @admin.display(description="Students")
    def enrolments(self, obj):
        url = reverse("admin:courses_enrollment_changelist") + f"?cohort__id__exact={obj.pk}"
        return format_html('<a href="{}">{} student(s), {} invitation(s) pending: see the enrolment list</a>',
                           url, obj.n_students, obj.n_invited)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or _teaches(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or _teaches(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or _teaches(request.user, obj))

    def delete_model(self, request, obj):
        services.cohort_delete(cohort=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for cohort in queryset:
            services.cohort_delete(cohort=cohort, by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not request.user.is_superuser:
            form.instance.instructors.add(request.user)  # an instructor teaches what they create

    @admin.display(description="Students", ordering="n_students")
    def student_count(self, obj):
        return obj.n_students

    @admin.display(description="Progress")
    def progress_link(self, obj):
        # The gradebook is grading's page (lms/urls.py): linked by URL name, never imported.
        return format_html('<a href="{}">View progress</a> · <a href="{}">Gradebook</a>',
                           reverse("admin:courses_cohort_progress", args=[obj.pk]),
                           reverse("gradebook:cohort", args=[obj.pk]))

    def get_urls(self):
        own = [
            path("<int:pk>/enrol/", self.admin_site.admin_view(self.enrol_view),
                 name="courses_cohort_enrol"),
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view),
                 name="courses_cohort_progress"),
            *schedule_admin.urls(self),  # the Schedule page (courses/schedule_admin.py)
        ]
        return own + super().get_urls()

    def _cohort_for(self, request, pk: int, change: bool = False) -> Cohort:
        cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
        allowed = (self.has_change_permission if change else self.has_view_permission)(request, cohort)
        if not allowed:
            raise PermissionDenied
        return cohort

    def enrol_view(self, request, pk: int):
        cohort = self._cohort_for(request, pk, change=True)
        form = EnrolForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            direct = form.cleaned_data.get("direct", False)
            report = services.cohort_enroll_emails(cohort=cohort, emails=form.cleaned_data["all_emails"],
                                                   by=request.user, direct=direct)
            services.send_invitations(cohort=cohort, emails=report.enrolled + report.invited,
                                      request=request, direct=direct)
            if direct:
                done = f"Enrolled {len(report.enrolled)} student(s)"
            else:
                done = (f"Invited {len(report.invited)} student(s): they appear in the cohort once "
                        f"they accept")
            messages.success(request, f"{done}; {len(report.created)} new account(s) created; "
                                      f"{len(report.already)} already in the cohort or invited.")
            if report.invalid:
                messages.error(request, "Not valid email addresses, skipped: " + ", ".join(report.invalid))
            return redirect("admin:courses_cohort_change", cohort.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "cohort": cohort, "form": form, "title": f"Enrol students in {cohort}"}
        return TemplateResponse(request, "admin/courses/cohort/enrol.html", context)

    def progress_view(self, request, pk: int):
        cohort = self._cohort_for(request, pk)
        rows = progress.cohort_progress(cohort)  # accepted places only
        if request.GET.get("format") == "csv":
            response, writer = csv_export.csv_response(f"cohort-{cohort.pk}-progress.csv")
            writer.writerow(["email", "name", "status", "enrolled_at", "lessons_done",
                             "lessons_total", "percent", "last_lesson", "last_seen"])
            for r in rows:
                writer.writerow([r.email, r.name, r.status, r.enrolled_at.isoformat(), r.done,
                                 r.total, r.percent, r.last_lesson,
                                 r.last_seen.isoformat() if r.last_seen else ""])
            return response
        # Pending invitations by email only: the instructor typed these; nothing of the
        # student's own is shown until they accept.
        pending = cohort.enrollments.filter(status=Enrollment.Status.INVITED).values_list(
            "student__email", flat=True)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "cohort": cohort, "rows": rows, "pending": list(pending), "title": f"Progress: {cohort}"}
        return TemplateResponse(request, "admin/courses/cohort/progress.html", context)


class TaughtCohortFilter(admin.RelatedFieldListFilter):
    """The cohort filter lists only the cohorts the instructor teaches (not every cohort's name)."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=("-starts_on", "name"),
                                 limit_choices_to={"instructors": request.user})

    def has_output(self):
        # Django drops a filter with fewer than two choices, and its lookup with it: the cohort
        # page's link must filter even for an instructor with one cohort.
        return True


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """The cohort page links here, filtered by cohort: paginated, whatever the cohort's size.

    Instructors change a status only between the accepted states and remove places or
    invitations; accepting an invitation is the student's own act (or a superuser's direct
    enrolment). Every change is recorded in the enrolment audit trail.
    """

    list_display = ["student", "cohort", "status", "enrolled_at"]
    list_filter = ["status", ("cohort", TaughtCohortFilter)]
    search_fields = ["student__email", "student__first_name", "student__last_name", "cohort__name"]
    readonly_fields = ["cohort", "student", "enrolled_at"]
    list_select_related = ["student", "cohort"]
    list_per_page = 100
    actions = ["enrol_directly"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(cohort__instructors=request.user)

    def has_add_permission(self, request):
        return False  # enrol from the cohort page, by email

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and obj.status not in Enrollment.ACCEPTED:
            return False  # a pending or declined invitation is the student's to answer
        return super().has_change_permission(request, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not request.user.is_superuser:
            kwargs["choices"] = [(value, label) for value, label in Enrollment.Status.choices
                                 if value in Enrollment.ACCEPTED]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("enrol_directly", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            services.enrollment_set_status(enrollment=obj, status=obj.status, by=request.user)
        else:
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.enrollment_remove(enrollment=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for enrollment in queryset.select_related("cohort", "student"):
            services.enrollment_remove(enrollment=enrollment, by=request.user)

    @admin.action(description="Enrol the selected students directly (administrators only)")
    def enrol_directly(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        pending = queryset.filter(status__in=[Enrollment.Status.INVITED, Enrollment.Status.DECLINED])
        count = 0
        for enrollment in pending.select_related("cohort", "student"):
            services.enrollment_set_status(enrollment=enrollment, status=Enrollment.Status.ACTIVE,
                                           by=request.user)
            count += 1
        messages.success(request, f"Enrolled {count} student(s) directly.")


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(ReadOnlyContentAdmin):
    """The enrolment audit trail: superusers read it; nobody edits or deletes it here."""

    list_display = ["at", "action", "actor_email", "student_email", "cohort_name", "detail"]
    list_filter = ["action"]
    search_fields = ["actor_email", "student_email", "cohort_name"]
    date_hierarchy = "at"
    fields = ["at", "action", "actor", "actor_email", "student", "student_email", "cohort",
              "cohort_name", "detail"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
