"""The digest emails, sent by Celery beat (grading/conf.py beat_schedule, grading/tasks.py):

- daily, each student in a scheduled cohort gets one email listing what is overdue or due in
  the next 48 hours (nothing due: no email);
- weekly (Mondays), each instructor gets the at-risk students of the cohorts they teach, with
  the reasons (grading/at_risk.py, read through the gradebook, grading/gradebook.py).

At most one of each per user per day (per week for the summary), however often the task runs
and whichever worker runs it: a DigestSent row, unique per user, kind and day, is the claim. It
is written in the transaction that decides to send; the email goes out after that commits (no
network inside the transaction) and a failed send deletes the claim, so the next run tries again.
A worker killed between the commit and the send loses that one email rather than sending two.

Every email carries a signed opt-out link that works without logging in (grading/digest_views.py).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from courses.models import Cohort, Course, Enrollment
from grading import conf
from grading.models import DigestOptOut, DigestSent

logger = logging.getLogger(__name__)
User = get_user_model()

DUE_WITHIN = datetime.timedelta(hours=48)
OPT_OUT_SALT = "grading.digests.opt-out"
Kind = DigestSent.Kind


@dataclass
class Report:
    sent: list[int] = field(default_factory=list)  # user ids
    already: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


# --- the opt-out link ---------------------------------------------------------------------------

def opt_out_token(user) -> str:
    """A signed token naming the user: no login needed to stop the emails, and nobody can
    stop someone else's (the signature covers the id). It never expires: old emails keep working."""
    return signing.dumps(user.pk, salt=OPT_OUT_SALT)


def user_for_token(token: str):
    """The user the token was made for, or None when it was not made by us."""
    try:
        user_id = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None


def opt_out(user) -> bool:
    """Stop digests for `user`. True when this changed something."""
    _, created = DigestOptOut.objects.get_or_create(user=user)
    return created


def opt_out_url(user) -> str:
    return conf.site_url() + reverse("digest-opt-out", args=[opt_out_token(user)])


# --- claiming and sending -------------------------------------------------------------------------

def _claim(user_id: int, kind: str, day: datetime.date) -> bool:
    """Write the DigestSent row; False when another run already did (today, any worker)."""
    try:
        with transaction.atomic():
            DigestSent.objects.create(user_id=user_id, kind=kind, day=day)
    except IntegrityError:
        return False
    return True


def _send(user, kind: str, day: datetime.date, subject: str, template: str, context: dict,
          report: Report) -> None:
    if not _claim(user.pk, kind, day):
        report.already.append(user.pk)
        return
    unsubscribe = opt_out_url(user)
    body = render_to_string(template, {**context, "user": user, "opt_out_url": unsubscribe,
                                       "site_url": conf.site_url()})
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email],
                           headers={"List-Unsubscribe": f"<{unsubscribe}>"})
    try:
        message.send()
    except OSError:
        # Give the claim back: the next run (beat, or a retry) sends it.
        DigestSent.objects.filter(user_id=user.pk, kind=kind, day=day).delete()
        logger.exception("%s digest to user %s not sent", kind, user.pk)
        report.failed.append(user.pk)
        return
    report.sent.append(user.pk)


def _opted_out():
    return DigestOptOut.objects.values("user_id")


# --- the students' daily digest -------------------------------------------------------------------

@dataclass
class CourseDue:
    course: Course
    overdue: list  # courses.schedule.StudentDue rows
    soon: list


def due_for(user, courses: list[Course], now: datetime.datetime) -> list[CourseDue]:
    """Per course: the user's items overdue, and those due within DUE_WITHIN (not done)."""
    from courses import schedule

    found = []
    for course in courses:
        rows = [row for row in schedule.student_due(user, course, now) if not row.done]
        overdue = [row for row in rows if row.due_at < now]
        soon = [row for row in rows if now <= row.due_at <= now + DUE_WITHIN]
        if overdue or soon:
            found.append(CourseDue(course, overdue, soon))
    return found


def send_daily_digests(*, now: datetime.datetime | None = None) -> Report:
    """Celery beat, daily: one email per student with something overdue or due within 48 h."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    report = Report()
    places = (Enrollment.objects.filter(status__in=Enrollment.ACCEPTED, cohort__due_dates__isnull=False)
              .exclude(student_id__in=_opted_out())
              .exclude(student_id__in=DigestSent.objects.filter(kind=Kind.DAILY, day=day).values("user_id"))
              .values_list("student_id", "cohort__course_id").distinct())
    courses_of: dict[int, set[int]] = defaultdict(set)
    for student_id, course_id in places:
        courses_of[student_id].add(course_id)
    courses = {c.pk: c for c in Course.objects.filter(pk__in={c for ids in courses_of.values() for c in ids})}
    for user in User.objects.filter(pk__in=list(courses_of), is_active=True).order_by("pk"):
        found = due_for(user, [courses[c] for c in sorted(courses_of[user.pk])], now)
        if not found:
            continue
        overdue = sum(len(c.overdue) for c in found)
        soon = sum(len(c.soon) for c in found)
        parts = [f"{overdue} overdue"] if overdue else []
        parts += [f"{soon} due in the next two days"] if soon else []
        _send(user, Kind.DAILY, day, "Podium: " + " and ".join(parts), "email/daily_digest.txt",
              {"courses": found, "now": now}, report)
    return report


# --- the instructors' weekly summary --------------------------------------------------------------

@dataclass
class CohortRisk:
    cohort: Cohort
    rows: list  # grading.gradebook.Row, at risk
    url: str


def _gradebook_url(cohort: Cohort) -> str:
    try:
        return conf.site_url() + reverse("gradebook:cohort", args=[cohort.pk])
    except NoReverseMatch:
        return conf.site_url() + reverse("admin:courses_cohort_change", args=[cohort.pk])


def at_risk_by_cohort(cohorts: list[Cohort], now: datetime.datetime) -> list[CohortRisk]:
    """The at-risk students of each cohort, as the gradebook shows them (same rules, same reasons)."""
    from grading import at_risk, gradebook

    found = []
    for cohort in cohorts:
        book = gradebook.build(cohort, now=now)
        rows = [row for row in book.rows if row.status == at_risk.AT_RISK]
        if rows:
            found.append(CohortRisk(cohort, rows, _gradebook_url(cohort)))
    return found


def send_weekly_summaries(*, now: datetime.datetime | None = None) -> Report:
    """Celery beat, weekly: each instructor with at-risk students gets one summary a week."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week = today - datetime.timedelta(days=today.weekday())  # the claim's day: the week's Monday
    report = Report()
    running = (Cohort.objects.filter(starts_on__lte=today)
               .exclude(ends_on__lt=today - datetime.timedelta(days=7)).select_related("course"))
    cohorts_of: dict[int, list[Cohort]] = defaultdict(list)
    for cohort in running.prefetch_related("instructors"):
        for instructor in cohort.instructors.all():
            cohorts_of[instructor.pk].append(cohort)
    instructors = (User.objects.filter(pk__in=list(cohorts_of), is_active=True)
                   .exclude(pk__in=_opted_out())
                   .exclude(pk__in=DigestSent.objects.filter(kind=Kind.WEEKLY, day=week).values("user_id"))
                   .order_by("pk"))
    books: dict[int, list[CohortRisk]] = {}  # a cohort taught by two instructors is read once
    for instructor in instructors:
        found = []
        for cohort in cohorts_of[instructor.pk]:
            if cohort.pk not in books:
                books[cohort.pk] = at_risk_by_cohort([cohort], now)
            found += books[cohort.pk]
        if not found:
            continue
        count = sum(len(c.rows) for c in found)
        _send(instructor, Kind.WEEKLY, week,
              f"Podium: {count} student{'s' if count > 1 else ''} at risk this week",
              "email/weekly_summary.txt", {"cohorts": found, "now": now}, report)
    return report
