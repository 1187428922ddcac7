"""The cohort's "Schedule" page in the admin: pace, proposed and accepted due dates, shifting,
editing one date, "close at due date", and per-student extensions.

Hooked into CohortAdmin (courses/admin.py) through `urls(model_admin)`; access is the cohort
admin's own: only the cohort's instructors (and superusers) see it, and changing needs the
cohort's change permission. The logic is in courses/schedule.py; this module parses and renders.
"""

from functools import partial

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from courses import schedule
from courses.models import Cohort, DueDate, Extension
from courses.visibility import cohort_students

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PaceForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["pace", "hours_per_week"]
        labels = {"hours_per_week": "Hours per week (custom pace)"}

    def clean(self):
        data = super().clean()
        hours = data.get("hours_per_week")
        if data.get("pace") == Cohort.Pace.CUSTOM and not hours:
            self.add_error("hours_per_week", "Say how many hours a week for a custom pace.")
        if hours is not None and not 1 <= hours <= 80:
            self.add_error("hours_per_week", "Between 1 and 80 hours a week.")
        return data


class ShiftForm(forms.Form):
    days = forms.IntegerField(label="Shift every due date by (days, negative for earlier)",
                              min_value=-schedule.MAX_SHIFT_DAYS, max_value=schedule.MAX_SHIFT_DAYS)


class DueForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=120)
    due_at = forms.DateTimeField(required=False, widget=DATETIME_INPUT)
    close_at_due = forms.BooleanField(required=False)


DueFormSet = forms.formset_factory(DueForm, extra=0, max_num=500, absolute_max=500)


class ExtensionForm(forms.Form):
    # An email, not a list of every student: a cohort of 2,000 would make a 2,000-option select.
    student = forms.EmailField(label="Student's email",
                               widget=forms.EmailInput(attrs={"list": "cohort-students"}))
    item = forms.ChoiceField(label="Item")
    due_at = forms.DateTimeField(label="New due date", widget=DATETIME_INPUT)
    reason = forms.CharField(max_length=200, required=False, label="Reason (the student does not see it)")

    def __init__(self, *args, cohort: Cohort, course_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.fields["item"].choices = [(item.key, item.title) for item in course_items]

    def clean_student(self) -> int:
        """The id of the cohort's student with this email (who accepted their place)."""
        found = (cohort_students(self.cohort).filter(student__email__iexact=self.cleaned_data["student"])
                 .values_list("student_id", flat=True).first())
        if found is None:
            raise forms.ValidationError("No student of this cohort has that email address.")
        return found


def urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view(partial(schedule_view, model_admin))
    return [path("<int:pk>/schedule/", view, name="courses_cohort_schedule")]


def schedule_view(model_admin, request, pk: int):
    # The cohort admin's own lookup: 403 for anyone not teaching this cohort; POST needs change.
    cohort = model_admin._cohort_for(request, pk, change=request.method == "POST")
    course_items = schedule.items(cohort.course)
    action = request.POST.get("action") if request.method == "POST" else None
    pace_form = PaceForm(request.POST if action == "pace" else None, instance=cohort, prefix="pace")
    shift_form = ShiftForm(request.POST if action == "shift" else None, prefix="shift")
    extension_form = ExtensionForm(request.POST if action == "extend" else None, prefix="ext",
                                   cohort=cohort, course_items=course_items)
    dates = {d.item_key: d for d in DueDate.objects.filter(cohort=cohort)}
    initial = [{"key": item.key, "due_at": dates[item.key].due_at if item.key in dates else None,
                "close_at_due": dates[item.key].close_at_due if item.key in dates else False}
               for item in course_items]
    due_formset = DueFormSet(request.POST if action == "save" else None, prefix="due", initial=initial)
    if action:
        done = _act(request, cohort, action, course_items=course_items, pace_form=pace_form,
                    shift_form=shift_form, due_formset=due_formset, extension_form=extension_form)
        if done:
            messages.success(request, done)
            return redirect("admin:courses_cohort_schedule", cohort.pk)
        if len(due_formset.forms) != len(course_items):  # a tampered form, or the course changed
            due_formset = DueFormSet(prefix="due", initial=initial)

    proposal = schedule.propose(cohort, course_items)
    rows = [{"item": p.item, "proposed": p.due_at, "date": dates.get(p.item.key), "form": form}
            for p, form in zip(proposal, due_formset.forms, strict=True)]
    extensions = (Extension.objects.filter(enrollment__cohort=cohort)
                  .select_related("enrollment__student", "granted_by").order_by("enrollment__student__email"))
    titles = {item.key: item.title for item in course_items}
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
        "title": f"Schedule: {cohort}", "cohort": cohort, "rows": rows,
        "pace_hours": schedule.pace_hours(cohort), "accepted": bool(dates),
        "differs": any(row["date"] is None or row["date"].due_at != row["proposed"] for row in rows),
        "ends_after": bool(cohort.ends_on and proposal and
                           timezone.localtime(proposal[-1].due_at).date() > cohort.ends_on),
        "last_proposed": proposal[-1].due_at if proposal else None,
        "pace_form": pace_form, "shift_form": shift_form, "due_formset": due_formset,
        "extension_form": extension_form,
        # Suggestions for the email field, rendered by a plain loop (no widget per option).
        "student_emails": cohort_students(cohort).order_by("student__email").values_list("student__email",
                                                                                         flat=True),
        "extensions": [(e, titles.get(e.item_key, e.item_key)) for e in extensions],
        "zone": timezone.get_current_timezone_name(),
    }
    return TemplateResponse(request, "admin/courses/schedule.html", context)


def _act(request, cohort: Cohort, action: str, *, course_items, pace_form, shift_form, due_formset,
         extension_form) -> str | None:
    """Carry out one POSTed action; the message to show on success, None when a form has errors."""
    try:
        if action == "pace" and pace_form.is_valid():
            # Only these two fields: the cohort's own page may be saving its name or dates meanwhile.
            pace_form.save(commit=False).save(update_fields=["pace", "hours_per_week"])
            return "Pace saved. The proposed dates below follow it; accept them to make them the due dates."
        if action == "accept":
            changed = schedule.accept(cohort)
            return f"Accepted the proposed schedule ({changed} due date(s) set or changed)."
        if action == "shift" and shift_form.is_valid():
            days = shift_form.cleaned_data["days"]
            moved = schedule.shift_all(cohort, days)
            return f"Moved {moved} due date(s) and their extensions by {days} day(s)."
        if action == "save" and due_formset.is_valid():
            return _save_dates(cohort, due_formset, course_items)
        if action == "extend" and extension_form.is_valid():
            data = extension_form.cleaned_data
            schedule.grant_extension(cohort, student_id=data["student"], item_key=data["item"],
                                     due_at=data["due_at"], reason=data["reason"], granted_by=request.user)
            return "Extension granted."
        if action == "revoke":
            if not schedule.revoke_extension(cohort, _int(request.POST.get("extension"))):
                raise PermissionDenied  # not an extension of this cohort
            return "Extension removed."
    except schedule.ScheduleError as exc:
        messages.error(request, str(exc))
        return None
    if action not in ("pace", "shift", "save", "extend"):
        raise PermissionDenied
    messages.error(request, "Please correct the errors below.")
    return None


@transaction.atomic
def _save_dates(cohort: Cohort, formset, course_items) -> str:
    if len(formset.forms) != len(course_items):
        raise schedule.ScheduleError("The course's items changed while you were editing: "
                                     "here they are again.")
    changed = 0
    for form in formset.forms:
        if not form.has_changed():
            continue
        data = form.cleaned_data
        if data["due_at"] is None:
            changed += DueDate.objects.filter(cohort=cohort, item_key=data["key"]).delete()[0]
            continue
        schedule.set_due(cohort, data["key"], due_at=data["due_at"], close_at_due=data["close_at_due"],
                         course_items=course_items)
        changed += 1
    return f"Saved {changed} due date(s)."


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PermissionDenied from None
