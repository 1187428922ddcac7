"""Writes and workflows for grading: importing labs, submitting, claiming, grading, sweeping.

The task layer calls `submission_run`; views call `submission_create`; admin calls
`submission_regrade` (manual rubric grades are saved by the admin's formset). State changes on a
Submission are conditional UPDATEs (`filter(status=…, claim=…).update(…) == 1`), so several
workers, the sweeper and a regrade can race without a submission being graded twice or results
being overwritten by a run that lost its claim.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import transaction
from django.db.models import F, Max, Q
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from courses import schedule
from courses.import_report import content_hash
from courses.markdown import LESSON_LINK_RE, render_markdown
from courses.models import Course
from courses.yaml_lines import ContentError, ContentErrors
from grading import conf
from grading.labs import CheckSpec, LabSpec, ManualSpec, lab_dirs, read_lab
from grading.live import grader as live
from grading.models import CheckResult, Lab, LabCheck, ManualItem, Submission, SubmissionFile
from grading.pipeline import GradeReport, grade_static
from lms import page_cache

logger = logging.getLogger(__name__)
Status = Submission.Status


# --- labs from content files ----------------------------------------------------------------

def labs_import(*, course: Course, path: Path, report) -> None:
    """The content importer (registered with courses.services): import `<course>/labs/*/lab.yaml`.

    Runs inside load_course's transaction; raises ContentErrors (rolling everything back)
    naming file, line and field for every bad lab.
    """
    lessons = {lesson.number: lesson for lesson in course.lessons.only("id", "number", "slug", "toc")}
    resolve = _lesson_link_resolver(course, lessons)
    specs, errors = [], []
    for lab_dir in lab_dirs(path):
        try:
            spec = read_lab(lab_dir, lesson_numbers=set(lessons), resolve_link=resolve)
        except ContentErrors as exc:
            errors += exc.errors
            continue
        html, html_errors = _render_instructions(spec, resolve)
        errors += html_errors
        specs.append((spec, html))
    existing = {lab.slug: lab for lab in Lab.objects.filter(course=course)}
    wanted = {spec.slug for spec, _ in specs}
    stale = [lab for slug, lab in existing.items() if slug not in wanted]
    for lab in stale:
        count = lab.submissions.count()
        if count:
            errors.append(ContentError(path / "labs" / lab.slug, None, None,
                                       f"lab {lab.slug} is gone from the files but has {count} "
                                       "submission(s); restore it (its history would be lost)"))
    if errors:
        raise ContentErrors(errors)
    for lab in stale:
        lab.delete()
        report.removed.append(f"lab {lab.slug}")
    for spec, html in specs:
        _write_lab(course, spec, html, lessons, existing.get(spec.slug), report)


def _lesson_link_resolver(course: Course, lessons: dict):
    def resolve(link: str) -> tuple[str | None, str | None]:
        match = LESSON_LINK_RE.match(link)
        if not match:
            return None, f"{link!r} is not a lesson link (NN-slug.md#anchor)"
        number, slug, anchor = int(match[1]), match[2], match[3]
        name = link.partition("#")[0]
        lesson = lessons.get(number)
        if lesson is None or lesson.slug != slug:
            return None, f"no lesson file {name}"
        if anchor and anchor not in {entry["id"] for entry in lesson.toc}:
            return None, f"no heading #{anchor} in {name}"
        return reverse("lesson", args=[course.slug, slug]) + (f"#{anchor}" if anchor else ""), None

    return resolve


def _render_instructions(spec: LabSpec, resolve) -> tuple[str, list[ContentError]]:
    file = spec.path / "lab.yaml"
    errors = []

    def lesson_url(number: int, slug: str) -> str | None:
        url, _ = resolve(f"{number:02d}-{slug}.md")
        return url

    result = render_markdown(spec.instructions, lesson_url=lesson_url,
                             static_url=lambda asset: static(asset) if finders.find(asset) else None)
    for ref in result.lesson_links:
        link = f"{ref.number:02d}-{ref.slug}.md" + (f"#{ref.anchor}" if ref.anchor else "")
        _, problem = resolve(link)
        if problem:
            errors.append(ContentError(file, None, "instructions", problem))
    for asset, _ in result.missing_assets:
        errors.append(ContentError(file, None, "instructions", f"no static file {asset!r}"))
    return result.html, errors


def _write_lab(course: Course, spec: LabSpec, html: str, lessons: dict, lab: Lab | None, report) -> None:
    values = {
        "title": spec.title, "kind": spec.kind, "summary": spec.summary,
        "instructions": spec.instructions, "instructions_html": html, "deliverable": spec.deliverable,
        "estimated_minutes": spec.estimated_minutes, "attempts_allowed": spec.attempts_allowed,
        "time_limit_seconds": spec.time_limit_seconds, "pass_percent": spec.pass_percent,
        "require_readme": spec.require_readme, "ingress_domain": spec.ingress_domain,
        "pod_security": spec.pod_security,
    }
    lesson = lessons.get(spec.lesson)
    fingerprint = content_hash({"spec": spec.as_dict(), "html": html,
                                "lesson": lesson.pk if lesson else None})
    label = f"lab {spec.slug}"
    if lab is not None and lab.content_hash == fingerprint:
        report.unchanged.append(label)
        return
    if lab is None:
        lab = Lab.objects.create(course=course, slug=spec.slug, lesson=lesson,
                                 content_hash=fingerprint, **values)
        report.created.append(label)
    else:
        changed = [k for k, v in values.items() if getattr(lab, k) != v]
        for key, value in values.items():
            setattr(lab, key, value)
        lab.lesson, lab.content_hash = lesson, fingerprint
        lab.save()
        report.updated.append(f"{label} ({', '.join(changed) or 'checks'})")
    # Checks have no dependants: replace them. Manual items do (grades): upsert by id.
    LabCheck.objects.filter(lab=lab).delete()
    LabCheck.objects.bulk_create([
        LabCheck(lab=lab, position=i, check_id=c.id, title=c.title, function=c.check, params=c.params,
                 points=c.points, hint=c.hint, lesson_link=c.lesson_link, lesson_url=c.lesson_url)
        for i, c in enumerate(spec.checks)])
    ManualItem.objects.filter(lab=lab).exclude(item_id__in=[m.id for m in spec.manual]).delete()
    for i, item in enumerate(spec.manual):
        ManualItem.objects.update_or_create(lab=lab, item_id=item.id, defaults={
            "position": i, "title": item.title, "points": item.points, "description": item.description})


def lab_spec(lab: Lab) -> LabSpec:
    """The LabSpec the pipeline grades against, from the imported rows (two queries)."""
    return LabSpec(
        slug=lab.slug, title=lab.title, kind=lab.kind, lesson=lab.lesson.number if lab.lesson_id else 0,
        summary=lab.summary, instructions=lab.instructions, deliverable=lab.deliverable,
        estimated_minutes=lab.estimated_minutes, attempts_allowed=lab.attempts_allowed,
        time_limit_seconds=lab.time_limit_seconds, pass_percent=lab.pass_percent,
        require_readme=lab.require_readme, ingress_domain=lab.ingress_domain,
        pod_security=lab.pod_security,
        checks=[CheckSpec(id=c.check_id, title=c.title, check=c.function, params=c.params,
                          points=c.points, hint=c.hint, lesson_link=c.lesson_link, lesson_url=c.lesson_url)
                for c in lab.checks.all()],
        manual=[ManualSpec(id=m.item_id, title=m.title, points=m.points, description=m.description)
                for m in lab.manual_items.all()],
    )


# --- submitting -----------------------------------------------------------------------------

class SubmissionRefused(Exception):
    """The student may not submit now (attempts used up, one already being graded)."""


class SubmissionRateLimited(SubmissionRefused):
    """Too many submissions to this lab in the rate-limit window; `retry_at` says when the next
    one will be accepted."""

    def __init__(self, message: str, *, retry_at: datetime.datetime):
        super().__init__(message)
        self.retry_at = retry_at


def attempts_used(*, user, lab: Lab) -> int:
    return Submission.objects.filter(user=user, lab=lab, status__in=Submission.COUNTED).count()


def rate_limit_retry_at(*, user, lab: Lab, now: datetime.datetime | None = None,
                        created: list[datetime.datetime] | None = None) -> datetime.datetime | None:
    """When the student may submit to this lab again, or None if they may now.

    GRADING_RATE_LIMIT allows `count` submissions per student and lab in any sliding window of
    `window` seconds. Every stored submission counts, whatever its result: each one cost a
    worker its parse and checks, which is what the limit protects. `created`: when each of the
    student's submissions to the lab was made, if the caller has read them all (the lab page's
    history): then no query."""
    limit = conf.rate_limit()
    if limit is None:
        return None
    count, window = limit
    now = now or timezone.now()
    since = now - datetime.timedelta(seconds=window)
    if created is not None:
        recent = sorted((when for when in created if when > since), reverse=True)[:count]
    else:
        recent = list(Submission.objects.filter(user=user, lab=lab, created_at__gt=since)
                      .order_by("-created_at").values_list("created_at", flat=True)[:count])
    if len(recent) < count:
        return None
    # The count-th newest leaves the window first among those that fill it: then one slot frees.
    return recent[-1] + datetime.timedelta(seconds=window)


def _rate_limit_message(count: int, window: int, retry_at: datetime.datetime, now: datetime.datetime) -> str:
    wait = max(int((retry_at - now).total_seconds() + 0.999), 1)
    wait_text = (f"{wait} second{'s' if wait != 1 else ''}" if wait < 60
                 else f"{-(-wait // 60)} minute{'s' if -(-wait // 60) != 1 else ''}")
    return (f"You have submitted to this lab {count} times in the last {_duration(window)}, the most "
            f"allowed. You can submit again in {wait_text}.")


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}" if n != 1 else unit
    return f"{seconds} seconds"


@transaction.atomic
def submission_create(*, user, lab: Lab, files: list[tuple[str, bytes]],
                      source: str = Submission.Source.UPLOAD) -> Submission:
    """Store the raw files and queue the submission for grading (enqueued after commit).

    The files are in the database before any work starts: if the broker or a worker dies, the
    sweeper finds the submission and queues it again.
    """
    # Serialise a student's double-click (the lab row is the lock; no joins under FOR UPDATE).
    # Every check below counts rows while holding that lock, in the transaction that inserts:
    # two requests at once wait for each other, and the second counts the first's row (on
    # PostgreSQL each statement after the lock sees what committed before it), so they cannot
    # both pass the attempt or rate limit.
    list(Lab.objects.select_for_update().filter(pk=lab.pk).order_by().values_list("pk", flat=True))
    mine = Submission.objects.filter(user=user, lab=lab)
    if mine.filter(status__in=Submission.ACTIVE).exists():
        raise SubmissionRefused("Your previous submission is still being graded; wait for its result.")
    if lab.attempts_allowed and attempts_used(user=user, lab=lab) >= lab.attempts_allowed:
        raise SubmissionRefused(f"You have used all {lab.attempts_allowed} attempts for this lab.")
    now = timezone.now()
    retry_at = rate_limit_retry_at(user=user, lab=lab, now=now)
    if retry_at is not None:
        count, window = conf.rate_limit()
        raise SubmissionRateLimited(_rate_limit_message(count, window, retry_at, now), retry_at=retry_at)
    # Late work is taken and marked late; refused only when the instructor closed the item at its due date.
    deadline = schedule.deadline_for(user, lab.course_id, schedule.lab_key(lab.slug))
    if deadline is not None and deadline.is_closed(now):
        raise SubmissionRefused(schedule.closed_message(deadline))
    submission = Submission.objects.create(lab=lab, user=user, source=source, queued_at=now,
                                           late=deadline is not None and deadline.is_late(now))
    SubmissionFile.objects.bulk_create([
        SubmissionFile(submission=submission, name=name[:255], content=data, size=len(data),
                       sha256=hashlib.sha256(data).hexdigest())
        for name, data in files])
    enqueue_on_commit(submission.pk)
    return submission


def enqueue_on_commit(submission_id: int) -> None:
    transaction.on_commit(lambda: enqueue(submission_id))


def enqueue(submission_id: int) -> bool:
    """Send the grading task. A broker that is down loses nothing: the row stays queued and
    the sweeper sends it again."""
    from grading.tasks import grade_submission

    try:
        grade_submission.delay(submission_id)
    except Exception:  # the broker's errors vary by transport; all mean "try later"
        logger.exception("could not enqueue submission %s; the sweeper will retry", submission_id)
        return False
    return True


# --- running (called by the task) -----------------------------------------------------------

def grading_time_limits(submission_id: int) -> tuple[int, int]:
    """(soft, hard) Celery time limits for grading this submission: with live grading, its lab's
    own wait plus the overhead around it (the practical waits 300 s; others 120 s)."""
    lab_time_limit = None
    if conf.cluster_settings() is not None:
        lab_time_limit = (Submission.objects.filter(pk=submission_id)
                          .values_list("lab__time_limit_seconds", flat=True).first())
    return conf.task_soft_time_limit(lab_time_limit), conf.task_time_limit(lab_time_limit)


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    """A run started before this is dead: even the longest lab's hard time limit has passed."""
    longest = None
    if conf.cluster_settings() is not None:  # static-only runs do not wait for the lab's time
        longest = Lab.objects.aggregate(longest=Max("time_limit_seconds"))["longest"]
    return now - datetime.timedelta(seconds=conf.stale_after_seconds(longest))


def _pages_changed(submission_id: int) -> None:
    """The student's pages show this submission. QuerySet.update() sends no signal, so each
    conditional UPDATE below says it changed (lms/page_cache.py)."""
    if page_cache.enabled():
        owner = Submission.objects.filter(pk=submission_id).values_list("user_id", flat=True).first()
        page_cache.changed(owner)


def submission_claim(submission_id: int, *, token: str | None = None) -> str | None:
    """Claim a submission for one run: queued, or running but stale (its worker died), or
    already held by `token` (a retry of the same run). Returns the new claim token, or None
    when another run holds it or it is finished (a duplicate message: nothing to do)."""
    now = timezone.now()
    stale = _stale_before(now)
    new_token = uuid.uuid4().hex
    mine = Q(status=Status.RUNNING, claim=token) if token else Q(pk__in=[])
    claimed = (Submission.objects.filter(pk=submission_id)
               .filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=stale) | mine)
               .update(status=Status.RUNNING, claim=new_token, started_at=now, stage="",
                       runs=F("runs") + 1))
    if claimed != 1:
        return None
    _pages_changed(submission_id)
    return new_token


def submission_run(submission_id: int, token: str) -> str:
    """Grade a claimed submission and store the result, unless the claim was lost meanwhile.

    Returns the final status. Raises GraderError (a grader bug) and lets transient errors
    (database, broker) propagate for the task to retry.
    """
    submission = Submission.objects.select_related("lab", "lab__lesson", "lab__course").get(pk=submission_id)
    spec = lab_spec(submission.lab)
    files = [(f.name, bytes(f.content)) for f in submission.files.all()]

    def on_stage(name: str) -> None:
        Submission.objects.filter(pk=submission_id, claim=token).update(stage=name)
        page_cache.changed(submission.user_id)

    pod_security = conf.pod_security_for(spec)
    report = grade_static(spec, files, limits=conf.limits(), on_stage=on_stage, pod_security=pod_security,
                          denied_cidrs=conf.sandbox_denied_cidrs(), isolation=conf.parse_isolation())
    lesson_url = _lesson_urls(submission.lab.course)  # lazy: reads lessons on first use
    cluster_settings = conf.cluster_settings()
    if cluster_settings is None:
        report.notes.append(live.SKIPPED_NOTE)
    elif not report.invalid:
        _grade_live(submission, spec, report, cluster_settings, pod_security, on_stage, lesson_url)
    return _store_report(submission_id, token, report, lesson_url)


def _grade_live(submission: Submission, spec: LabSpec, report: GradeReport, settings, pod_security: str,
                on_stage, lesson_url: Callable[[str], str]) -> None:
    """The live stage: sandbox, apply, wait, observe, judge, teardown (grading/live/grader.py).
    ClusterUnavailable propagates (a ConnectionError: the task retries, then "not graded")."""
    parsed = report.objects  # as the static stage read them
    result = live.grade_live(live.cluster_for(settings), submission_id=submission.pk, lab=spec.slug,
                             objects=[o.data for o in parsed], time_limit=spec.time_limit_seconds,
                             ttl_seconds=conf.sandbox_ttl_seconds(spec.time_limit_seconds),
                             pod_security=pod_security,
                             on_stage=on_stage)
    live.merge_into(report, result, parsed, lesson_url)
    if not result.settled and not result.problems and not getattr(result, "tampered", False):
        # The run waited out the lab's time (the task's limits leave room for that): say what was
        # still not ready then, first, so the failure explains itself.
        waiting = [f"{v.title.split(' ')[0]}: {v.observed}" for v in result.verdicts
                   if not v.passed and v.observed]
        report.notes.insert(0, f"Did not become ready within {spec.time_limit_seconds} s (the lab's time "
                               "limit)" + (": " + "; ".join(waiting) if waiting else "."))


def _lesson_urls(course: Course) -> Callable[[str], str]:
    """Lesson link ("03-core-resources.md#running-as-non-root") -> URL; the lesson's own URL when
    the heading is gone, "" when the lesson is. The lessons are read on the first link only."""
    @functools.cache
    def resolver():
        lessons = course.lessons.only("id", "number", "slug", "toc")
        return _lesson_link_resolver(course, {lesson.number: lesson for lesson in lessons})

    def lesson_url(link: str) -> str:
        if not link:
            return ""
        resolve = resolver()
        url, error = resolve(link)
        if error and "#" in link:
            url, error = resolve(link.split("#")[0])
        return url or ""

    return lesson_url


def _store_report(submission_id: int, token: str, report: GradeReport,
                  lesson_url: Callable[[str], str] = lambda link: "") -> str:
    report.cap()  # bounded errors and notes, whatever the live stage added (issue 12, item 13)
    status = Status.INVALID if report.invalid else Status.PASSED if report.passed else Status.FAILED
    with transaction.atomic():
        written = Submission.objects.filter(pk=submission_id, status=Status.RUNNING, claim=token).update(
            status=status, stage="", score=None if report.invalid else report.score,
            max_score=report.max_score, passed=report.passed and not report.invalid,
            errors=[{**e.as_dict(), "lesson_url": lesson_url(e.lesson_link)} for e in report.errors],
            notes=report.notes, stages=report.stages,
            failure="", finished_at=timezone.now(), graded_count=F("graded_count") + 1)
        if written != 1:
            logger.warning("submission %s: claim %s lost before the result was stored", submission_id, token)
            return "lost"
        CheckResult.objects.filter(submission_id=submission_id).delete()
        CheckResult.objects.bulk_create([
            CheckResult(submission_id=submission_id, position=i, check_id=c.id, title=c.title,
                        passed=c.passed, points=c.points, max_points=c.max_points, message=c.message,
                        expected=c.expected, observed=c.observed, hint=c.hint, lesson_url=c.lesson_url)
            # A refused submission stores its preview (grading.pipeline.GradeReport.preview): the
            # page shows it under the refusal as "would score", never as a grade.
            for i, c in enumerate(report.checks or report.preview)])
        if status == Status.PASSED:
            # A lab with manual rubric items (the practical's demo) is not passed until graded.
            from grading.manual_grading import settle_after_checks

            status = settle_after_checks(submission_id) or status
        _pages_changed(submission_id)
    return status


def submission_release(submission_id: int, token: str) -> bool:
    """Give a claimed submission back to the queue (before a retry)."""
    released = Submission.objects.filter(pk=submission_id, status=Status.RUNNING, claim=token).update(
        status=Status.QUEUED, stage="", queued_at=timezone.now()) == 1
    if released:
        _pages_changed(submission_id)
    return released


def submission_not_graded(submission_id: int, token: str | None, reason: str) -> bool:
    """End as "not graded": our side failed. It does not use up an attempt."""
    rows = Submission.objects.filter(pk=submission_id, status__in=Submission.ACTIVE)
    if token:
        rows = rows.filter(claim=token)
    ended = rows.update(status=Status.NOT_GRADED, stage="", failure=reason[:2000],
                        finished_at=timezone.now()) == 1
    if ended:
        _pages_changed(submission_id)
    return ended


@transaction.atomic
def submission_regrade(*, submission: Submission) -> bool:
    """Grade a finished submission again (after a check was fixed, say). Manual grades stay."""
    requeued = Submission.objects.filter(pk=submission.pk, status__in=Submission.FINAL).update(
        status=Status.QUEUED, stage="", score=None, passed=False, errors=[], notes=[], stages=[],
        failure="", started_at=None, finished_at=None, claim="", queued_at=timezone.now())
    if requeued:
        CheckResult.objects.filter(submission=submission).delete()
        page_cache.changed(submission.user_id)
        enqueue_on_commit(submission.pk)
    return requeued == 1


@dataclass
class SweepReport:
    requeued: list[int]
    given_up: list[int]


def sweep_stuck_submissions(*, now: datetime.datetime | None = None) -> SweepReport:
    """Queue again what a lost message or a dead worker left behind; give up after a few tries."""
    now = now or timezone.now()
    queued_before = now - datetime.timedelta(seconds=conf.requeue_after_seconds())
    started_before = _stale_before(now)
    stuck = (Q(status=Status.QUEUED, queued_at__lt=queued_before)
             | Q(status=Status.RUNNING, started_at__lt=started_before))
    report = SweepReport([], [])
    for pk, requeues in Submission.objects.filter(stuck).values_list("pk", "requeues")[:500]:
        rows = Submission.objects.filter(stuck, pk=pk, requeues=requeues)
        if requeues >= conf.max_requeues():
            if rows.update(status=Status.NOT_GRADED, stage="", finished_at=now,
                           failure=f"lost {requeues} times (worker or broker failure)") == 1:
                report.given_up.append(pk)
                _pages_changed(pk)
            continue
        with transaction.atomic():
            if rows.update(status=Status.QUEUED, stage="", claim="", queued_at=now,
                           requeues=F("requeues") + 1) == 1:
                report.requeued.append(pk)
                _pages_changed(pk)
                enqueue_on_commit(pk)
    return report


INSTRUCTOR_PERMISSIONS = [  # also in migrations/0002_instructor_permissions.py
    "view_lab", "view_labcheck", "view_manualitem",
    "view_submission", "change_submission", "view_submissionfile", "view_checkresult",
    "view_manualgrade", "add_manualgrade", "change_manualgrade", "delete_manualgrade",
]


def grant_instructor_permissions(group) -> None:
    """Give the Instructors group what grading needs (added to, never replacing, its others)."""
    from django.contrib.auth.models import Permission

    group.permissions.add(*Permission.objects.filter(content_type__app_label="grading",
                                                     codename__in=INSTRUCTOR_PERMISSIONS))
