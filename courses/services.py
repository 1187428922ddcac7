"""Writes and workflows for courses: importing content, recording progress, enrolling."""

import csv
import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from courses.content_files import CourseSpec, read_course
from courses.import_report import ImportReport, content_hash, update_if_changed
from courses.markdown import render_markdown
from courses.models import ChecklistTick, Cohort, Course, CourseVisit, Enrollment, Lesson, LessonCompletion
from courses.models.cohorts import EnrollmentEvent
from courses.quiz.files import read_quiz
from courses.quiz.importer import quiz_write
from courses.yaml_lines import ContentError, ContentErrors
from lms import page_cache

User = get_user_model()


def course_import(*, path: Path) -> ImportReport:
    """Import (create or update) the course in directory `path`; idempotent.

    Everything is read, rendered and checked before the first write, so a bad file changes
    nothing in the database. Raises ContentErrors naming file, line and field.
    """
    spec = read_course(Path(path))
    rendered = _render_lessons(spec)
    quiz_file = spec.path / "quiz.yaml"
    quiz = None
    if quiz_file.is_file():
        anchors = {(item["lesson"].number, item["lesson"].slug): item["result"].anchors
                   for item in rendered.values()}
        quiz = read_quiz(quiz_file, anchors)
    with transaction.atomic():
        report = _write_course(spec, rendered)
        course = Course.objects.get(slug=spec.slug)
        if quiz is not None:
            quiz_write(course=course, spec=quiz, report=report)
        for importer in CONTENT_IMPORTERS:
            importer(course=course, path=spec.path, report=report)
        return report


# Other parts of a course's content (the quiz, the labs) register an importer here:
# importer(course=Course, path=Path, report=ImportReport) runs inside load_course's
# transaction after the lessons are written, adds to the report, and raises ContentErrors
# (which rolls the whole import back) for bad files.
CONTENT_IMPORTERS: list = []


def register_content_importer(importer) -> None:
    if importer not in CONTENT_IMPORTERS:
        CONTENT_IMPORTERS.append(importer)


def _render_lessons(spec: CourseSpec) -> dict[int, dict]:
    by_key = {(lesson.number, lesson.slug): lesson for lesson in spec.lessons}

    def lesson_url(number: int, slug: str) -> str | None:
        if (number, slug) not in by_key:
            return None
        return reverse("lesson", args=[spec.slug, slug])

    def static_url(asset: str) -> str | None:
        return static(asset) if finders.find(asset) else None

    rendered, errors = {}, []
    for lesson in spec.lessons:
        result = render_markdown(lesson.body, lesson_url=lesson_url, static_url=static_url,
                                 first_line=lesson.body_line)
        rendered[lesson.number] = {"lesson": lesson, "result": result}
        for asset, line in result.missing_assets:
            errors.append(ContentError(lesson.path, line, "image", f"no static file {asset!r}"))
        for anchor, line in result.local_anchor_links:
            if anchor not in result.anchors:
                errors.append(ContentError(lesson.path, line, "link", f"no heading #{anchor} in this lesson"))
    for item in rendered.values():
        lesson, result = item["lesson"], item["result"]
        for ref in result.lesson_links:
            target = rendered.get(ref.number)
            if target is None or target["lesson"].slug != ref.slug:
                errors.append(ContentError(lesson.path, ref.line, "link",
                                           f"no lesson file {ref.number:02d}-{ref.slug}.md"))
            elif ref.anchor and ref.anchor not in target["result"].anchors:
                errors.append(ContentError(lesson.path, ref.line, "link",
                                           f"no heading #{ref.anchor} in {ref.number:02d}-{ref.slug}.md"))
    if errors:
        raise ContentErrors(errors)
    return rendered


def _write_course(spec: CourseSpec, rendered: dict[int, dict]) -> ImportReport:
    meta = spec.meta
    report = ImportReport(course=spec.slug)
    summary_html = render_markdown(meta["summary"]).html
    course_values = {
        "title": meta["title"], "code": meta["code"], "summary": meta["summary"],
        "duration_hours": meta["duration_hours"], "difficulty": meta["difficulty"],
        "details": {k: v for k, v in meta.items()
                    if k not in ("title", "code", "summary", "duration_hours", "difficulty")},
        "summary_html": summary_html,
    }
    course = Course.objects.filter(slug=spec.slug).first()
    if course is None:
        course = Course.objects.create(slug=spec.slug, **course_values)
        report.created.append(f"course {spec.slug}")
    else:
        update_if_changed(course, course_values, f"course {spec.slug}", report)

    existing = {lesson.slug: lesson for lesson in course.lessons.all()}
    wanted = {item["lesson"].slug for item in rendered.values()}
    stale = [lesson for slug, lesson in existing.items() if slug not in wanted]
    if stale:
        # Free the numbers first: a renumbered course must not collide with a removed lesson.
        Lesson.objects.filter(pk__in=[lesson.pk for lesson in stale]).delete()
        report.removed += [f"lesson {lesson.number:02d}-{lesson.slug}" for lesson in stale]
    renumbered = [lesson.pk for slug, lesson in existing.items()
                  if slug in wanted and _number_for(rendered, slug) != lesson.number]
    if renumbered:
        # Move renumbered lessons out of the way first so swapping two numbers cannot collide.
        Lesson.objects.filter(pk__in=renumbered).update(number=F("number") + 1000)
        for lesson in existing.values():
            if lesson.pk in renumbered:
                lesson.number += 1000
    # (id, content hash) per lesson: the ids too, so a lesson removed and re-added (a new row, the
    # same text) moves the course's hash, which keys every per-process copy (courses/outline.py).
    lesson_hashes: list[tuple[int, str]] = []
    for number in sorted(rendered):
        lesson_spec, result = rendered[number]["lesson"], rendered[number]["result"]
        values = {
            "number": lesson_spec.number, "title": lesson_spec.title,
            "duration_hours": lesson_spec.duration_hours, "objectives": lesson_spec.objectives,
            "hands_on": lesson_spec.hands_on, "body_html": result.html, "toc": result.toc,
            "word_count": result.word_count,
            "source_path": str(lesson_spec.path.relative_to(spec.path.parent)),
        }
        values["content_hash"] = content_hash(values)
        label = f"lesson {number:02d}-{lesson_spec.slug}"
        lesson = existing.get(lesson_spec.slug)
        if lesson is None:
            lesson = Lesson.objects.create(course=course, slug=lesson_spec.slug, **values)
            report.created.append(label)
        else:
            update_if_changed(lesson, values, label, report)
        lesson_hashes.append((lesson.pk, values["content_hash"]))
    course_hash = content_hash({"slug": spec.slug, "course": course_values, "lessons": lesson_hashes})
    if course.content_hash != course_hash:
        course.content_hash = course_hash
        course.save(update_fields=["content_hash"])
    return report


def _number_for(rendered: dict[int, dict], slug: str) -> int:
    return next(n for n, item in rendered.items() if item["lesson"].slug == slug)


def import_all_courses() -> list[ImportReport]:
    root = Path(settings.COURSE_CONTENT_DIR)
    return [course_import(path=p) for p in sorted(root.iterdir()) if (p / "course.yaml").is_file()]


# --- progress -------------------------------------------------------------------------------

def lesson_mark_complete(*, user, lesson: Lesson, complete: bool = True) -> None:
    """Mark (or unmark) a lesson complete; repeating it is harmless."""
    if complete:
        LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    else:
        LessonCompletion.objects.filter(user=user, lesson=lesson).delete()


VISIT_REFRESH_SECONDS = 300


def lesson_record_visit(*, user, lesson: Lesson) -> None:
    """Remember the lesson for "continue where you left off".

    Reading a lesson is the hottest path in Podium: one statement, which writes nothing when the
    student is still on the same lesson and was seen in the last five minutes. The freshness test
    sits in the INSERT's own WHERE (not in ON CONFLICT … WHERE, which would still lock the row):
    a statement that touches no row takes no transaction id, so PostgreSQL has no WAL to flush
    at commit. That is ~12 % of the page's throughput.
    """
    now = timezone.now()
    table = connection.ops.quote_name(CourseVisit._meta.db_table)
    stale_before = now - datetime.timedelta(seconds=VISIT_REFRESH_SECONDS)
    adapt = connection.ops.adapt_datetimefield_value
    # INSERT … SELECT … WHERE … ON CONFLICT is supported by both PostgreSQL and SQLite (SQLite
    # needs the WHERE to parse it).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, course_id, lesson_id, visited_at) "  # noqa: S608 - table name only
            "SELECT %s, %s, %s, %s WHERE NOT EXISTS ("
            f"SELECT 1 FROM {table} WHERE user_id = %s AND course_id = %s AND lesson_id = %s "
            "AND visited_at >= %s) "
            "ON CONFLICT (user_id, course_id) DO UPDATE "
            "SET lesson_id = excluded.lesson_id, visited_at = excluded.visited_at",
            [user.pk, lesson.course_id, lesson.pk, adapt(now),
             user.pk, lesson.course_id, lesson.pk, adapt(stale_before)],
        )
        wrote = cursor.rowcount
    if wrote:
        # The dashboard's "continue" link follows the visit; raw SQL sends no signal.
        page_cache.changed(user.pk)


def checklist_toggle(*, user, course: Course, kind: str, key: str) -> bool:
    """Tick or untick a prerequisite / success criterion. Returns the new state.

    Raises KeyError for a key the course does not define.
    """
    section = "prerequisites" if kind == ChecklistTick.Kind.PREREQUISITE else "success_criteria"
    if key not in {item["key"] for item in course.details.get(section, [])}:
        raise KeyError(key)
    deleted, _ = ChecklistTick.objects.filter(user=user, course=course, kind=kind, key=key).delete()
    if deleted:
        return False
    ChecklistTick.objects.get_or_create(user=user, course=course, kind=kind, key=key)
    return True


# --- cohorts --------------------------------------------------------------------------------

@dataclass
class EnrolmentReport:
    enrolled: list[str] = field(default_factory=list)  # enrolled directly (superusers only)
    invited: list[str] = field(default_factory=list)  # invitations the students must accept
    created: list[str] = field(default_factory=list)  # of those, accounts created for new emails
    already: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def parse_email_csv(text: str) -> list[str]:
    """Emails from a CSV (one per row, or an `email` column); blank lines and a header skipped."""
    rows = list(csv.reader(io.StringIO(text)))
    column = 0
    if rows and any(cell.strip().lower() == "email" for cell in rows[0]):
        column = [cell.strip().lower() for cell in rows[0]].index("email")
        rows = rows[1:]
    emails = []
    for row in rows:
        if len(row) > column and row[column].strip():
            emails.append(row[column].strip())
    return emails


Event = EnrollmentEvent.Action


def record_enrollment_event(*, action: str, by, enrollment: Enrollment, detail: str = "") -> None:
    """Add a row to the enrolment audit trail (courses.models.cohorts.EnrollmentEvent)."""
    EnrollmentEvent.objects.create(
        action=action, actor=by, actor_email=getattr(by, "email", "") or str(by or "system"),
        cohort=enrollment.cohort, cohort_name=str(enrollment.cohort)[:120],
        student=enrollment.student, student_email=enrollment.student.email, detail=detail[:200])


@transaction.atomic
def cohort_enroll_emails(*, cohort: Cohort, emails: list[str], by, direct: bool = False) -> EnrolmentReport:
    """Invite students to `cohort` by email; with `direct` (superusers only), enrol them outright.

    An invitation is an INVITED enrolment: it counts for nothing an instructor sees until the
    student accepts it (invitation_respond). New emails get an account with no usable password;
    they choose one through the emailed link, log in and accept on their dashboard like anyone.
    A declined invitation can be sent again; any other existing place is left as it is (a
    direct enrolment turns a pending invitation into a place).
    """
    if direct and not by.is_superuser:
        raise PermissionDenied("Only administrators enrol students without an invitation.")
    report = EnrolmentReport()
    seen = set()
    for raw in emails:
        email = raw.strip().lower()
        if email in seen:
            continue
        seen.add(email)
        try:
            validate_email(email)
        except ValidationError:
            report.invalid.append(raw)
            continue
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(username=email, email=email)
            user.set_unusable_password()
            user.save()
            report.created.append(email)
        status = Enrollment.Status.ACTIVE if direct else Enrollment.Status.INVITED
        enrollment, created = Enrollment.objects.select_for_update().get_or_create(
            cohort=cohort, student=user, defaults={"status": status})
        reopen = ((Enrollment.Status.INVITED, Enrollment.Status.DECLINED) if direct
                  else (Enrollment.Status.DECLINED,))
        if not created and enrollment.status in reopen:
            enrollment.status = status
            enrollment.save(update_fields=["status"])
        elif not created:
            report.already.append(email)
            continue
        (report.enrolled if direct else report.invited).append(email)
        record_enrollment_event(action=Event.ENROLLED if direct else Event.INVITED, by=by,
                                enrollment=enrollment,
                                detail="new account" if email in report.created else "")
    return report


@transaction.atomic
def invitation_respond(*, student, enrollment_id: int, accept: bool) -> Enrollment:
    """The student's answer to their own pending invitation. Raises Enrollment.DoesNotExist for
    anyone else's, or one that is no longer pending (the view answers 404)."""
    enrollment = Enrollment.objects.select_for_update().select_related("cohort").get(
        pk=enrollment_id, student=student, status=Enrollment.Status.INVITED)
    enrollment.status = Enrollment.Status.ACTIVE if accept else Enrollment.Status.DECLINED
    enrollment.save(update_fields=["status"])
    record_enrollment_event(action=Event.ACCEPTED if accept else Event.DECLINED, by=student,
                            enrollment=enrollment)
    return enrollment


def pending_invitations(user):
    """The invitations `user` has not answered yet, for their dashboard."""
    if not user.is_authenticated:
        return Enrollment.objects.none()
    return (Enrollment.objects.filter(student=user, status=Enrollment.Status.INVITED)
            .select_related("cohort__course").prefetch_related("cohort__instructors")
            .order_by("enrolled_at"))


@transaction.atomic
def enrollment_set_status(*, enrollment: Enrollment, status: str, by) -> None:
    """Change an enrolment's status as an instructor or admin, recorded in the audit trail.

    Instructors move an enrolment only between the accepted states: they cannot turn an
    invitation into a place (that is the student's answer) nor a place back into an invitation.
    """
    old = Enrollment.objects.select_for_update().get(pk=enrollment.pk).status
    if old == status:
        return
    if not by.is_superuser and (old not in Enrollment.ACCEPTED or status not in Enrollment.ACCEPTED):
        raise PermissionDenied("Only the student can accept or decline an invitation.")
    enrollment.status = status
    enrollment.save(update_fields=["status"])
    direct = old in (Enrollment.Status.INVITED, Enrollment.Status.DECLINED) and status in Enrollment.ACCEPTED
    labels = dict(Enrollment.Status.choices)
    record_enrollment_event(action=Event.ENROLLED if direct else Event.STATUS, by=by, enrollment=enrollment,
                            detail=f"{labels.get(old, old)} → {labels.get(status, status)}")


@transaction.atomic
def enrollment_remove(*, enrollment: Enrollment, by) -> None:
    """Delete an enrolment (or withdraw an invitation), recorded in the audit trail."""
    record_enrollment_event(action=Event.REMOVED, by=by, enrollment=enrollment,
                            detail=f"was {enrollment.get_status_display()}")
    enrollment.delete()


@transaction.atomic
def cohort_delete(*, cohort: Cohort, by) -> None:
    """Delete a cohort (superusers only, in the admin); its enrolments' removal is audited."""
    enrollments = list(cohort.enrollments.select_related("student"))
    EnrollmentEvent.objects.bulk_create(
        EnrollmentEvent(action=Event.REMOVED, actor=by, actor_email=by.email, cohort=cohort,
                        cohort_name=str(cohort)[:120], student=e.student, student_email=e.student.email,
                        detail=f"cohort deleted; was {e.get_status_display()}")
        for e in enrollments)
    cohort.delete()


def send_invitations(*, cohort: Cohort, emails: list[str], request, direct: bool = False) -> int:
    """Email each student about their place in `cohort`: accounts without a password get a link
    to choose one (Django's reset-confirm view); everyone is told where to accept."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mass_mail
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    dashboard = request.build_absolute_uri(reverse("dashboard"))
    course = cohort.course.title
    messages = []
    for user in User.objects.filter(email__in=emails):
        if direct:
            body = f"An administrator enrolled you in {cohort} ({course}) on Podium.\n\n"
            subject = f"You're enrolled in {cohort}"
        else:
            body = (f"You are invited to join {cohort} ({course}) on Podium. If you accept, the "
                    f"cohort's instructors will see your progress, quiz attempts and lab submissions "
                    f"for this course.\n\nAccept or decline on your dashboard: {dashboard}\n\n")
            subject = f"You're invited to {cohort} on Podium"
        if not user.has_usable_password():
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            token = default_token_generator.make_token(user)
            link = request.build_absolute_uri(reverse("password_reset_confirm", args=[uid, token]))
            body += (f"First choose your password:\n{link}\n\n"
                     f"Your login is your email address: {user.email}\n")
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0


INSTRUCTOR_GROUP = "Instructors"
INSTRUCTOR_PERMISSIONS = [  # also in migrations/0002 and 0005
    "view_course", "view_lesson", "view_cohort", "add_cohort", "change_cohort",
    "view_enrollment", "change_enrollment", "delete_enrollment",
    "view_quiz", "view_question", "view_attempt", "change_attempt", "view_answer",
    "view_quizoverride", "add_quizoverride", "change_quizoverride", "delete_quizoverride",
]


def ensure_instructor_group():
    """The Instructors group with exactly the model permissions instructors need."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
    # add, not set: other apps (grading) grant the group their own permissions too.
    group.permissions.add(*Permission.objects.filter(content_type__app_label="courses",
                                                     codename__in=INSTRUCTOR_PERMISSIONS))
    return group
