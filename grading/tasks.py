"""Celery tasks: thin. They take ids, claim the work, call a service.

`grade_submission` is idempotent (a finished or claimed submission is left alone), so it runs
with `acks_late` and `reject_on_worker_lost`: a worker killed mid-run gives the message back
and another worker claims the submission once its claim is stale. Only transient errors are
retried, with backoff; an infrastructure failure that outlasts the retries ends as "not graded",
which does not use up an attempt.
"""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init, worker_ready
from django.db import InterfaceError, OperationalError

from grading import conf, services
from grading.pipeline import GraderError

logger = logging.getLogger(__name__)


class TransientError(Exception):
    """Raised by stages that talk to the outside world when trying again may help."""


def _transient_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError, TransientError,
                                         ConnectionError, TimeoutError]
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency through celery[redis]
        pass
    return tuple(errors)


TRANSIENT = _transient_errors()


def backoff(retries: int) -> int:
    """Seconds before retry number `retries + 1`: exponential, capped, with jitter."""
    return min(5 * 2 ** retries, 300) + random.randint(0, 3)  # noqa: S311 - jitter, not crypto


class GradingTask(Task):
    """Sends each grading message with the time limits of its submission's lab (a practical
    waits longer for its sandbox than an activity). Retries keep the message's limits (Celery
    copies them from the request)."""

    def apply_async(self, args=None, kwargs=None, **options):
        if "soft_time_limit" not in options and "time_limit" not in options:
            submission_id = (kwargs or {}).get("submission_id", (args or [None])[0])
            if submission_id is not None:
                options["soft_time_limit"], options["time_limit"] = services.grading_time_limits(
                    submission_id)
        return super().apply_async(args, kwargs, **options)


# The decorator's limits are the fallback for a message sent without its own (the default lab's).
@shared_task(name="grading.grade_submission", base=GradingTask, bind=True, acks_late=True,
             reject_on_worker_lost=True, soft_time_limit=conf.task_soft_time_limit(),
             time_limit=conf.task_time_limit(), max_retries=conf.task_max_retries(), ignore_result=True)
def grade_submission(self, submission_id: int, token: str | None = None) -> str:
    token = services.submission_claim(submission_id, token=token)
    if token is None:
        return "skipped"  # finished already, or another run holds it
    try:
        return services.submission_run(submission_id, token)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            logger.error("submission %s: giving up after %s retries: %r", submission_id,
                         self.request.retries, exc)
            services.submission_not_graded(submission_id, token, f"infrastructure failure: {exc!r}")
            return "not_graded"
        logger.warning("submission %s: transient error, retrying: %r", submission_id, exc)
        # Keep the claim: the retry reclaims it with the same token, and nobody else can take
        # it meanwhile (if the retry message is lost, the sweeper frees it once stale).
        raise self.retry(exc=exc, countdown=backoff(self.request.retries),
                         kwargs={"submission_id": submission_id, "token": token}) from exc
    except SoftTimeLimitExceeded:
        services.submission_not_graded(submission_id, token, "grading took longer than its time limit")
        return "not_graded"
    except GraderError as exc:
        services.submission_not_graded(submission_id, token, f"grader error: {exc}")
        return "not_graded"
    except Exception as exc:
        # A bug: retrying would fail the same way. Not graded, so it costs the student nothing.
        logger.exception("submission %s: unexpected error while grading", submission_id)
        services.submission_not_graded(submission_id, token, f"unexpected grader error: {exc!r}")
        return "not_graded"


@worker_process_init.connect
def _warm_schemas(**_kwargs) -> None:
    """Build the schema validators of the allowed kinds once per worker process, so the first
    submission a worker grades is as fast as the others."""
    from grading.intake.policy import ALLOWED
    from grading.intake.validation import KUBERNETES_VERSION, warm

    warm(KUBERNETES_VERSION, [(kind, api_version) for api_version, kind in ALLOWED])


@shared_task(name="grading.sweep_stuck_submissions", ignore_result=True)
def sweep_stuck_submissions() -> dict:
    report = services.sweep_stuck_submissions()
    if report.requeued or report.given_up:
        logger.info("sweeper: requeued %s, gave up on %s", report.requeued, report.given_up)
    return {"requeued": report.requeued, "given_up": report.given_up}


@worker_ready.connect
def _sweep_at_start_up(**_kwargs) -> dict | None:
    """A worker that starts (often: one restarted after being killed) sweeps once, so what the
    dead worker held is graded again even where Celery beat is not running. The sweep's own
    staleness rules apply: runs that live workers still own (started within the longest lab's
    hard time limit) and recently queued messages are left alone. Beat stays required for
    everything that goes stale while no worker starts."""
    from django.db import connections

    try:
        return sweep_stuck_submissions.run()
    except Exception:  # the database may still be coming up: beat's next sweep will do it
        logger.exception("start-up sweep failed; the beat sweeper will retry")
        return None
    finally:
        # This runs in the worker's main process: leave no connection for a later fork to share.
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()


@shared_task(name="grading.send_daily_digests", ignore_result=True, acks_late=True,
             soft_time_limit=1800, time_limit=1900)
def send_daily_digests() -> dict:
    """Celery beat, daily: students' digests (grading/digests.py). Idempotent: a second run, or a
    redelivered message after a worker died, finds each day's claim and sends nothing again."""
    from grading import digests

    report = digests.send_daily_digests()
    return {"sent": len(report.sent), "already": len(report.already), "failed": len(report.failed)}


@shared_task(name="grading.send_weekly_summaries", ignore_result=True, acks_late=True,
             soft_time_limit=1800, time_limit=1900)
def send_weekly_summaries() -> dict:
    """Celery beat, weekly: instructors' at-risk summaries (grading/digests.py); idempotent per week."""
    from grading import digests

    report = digests.send_weekly_summaries()
    return {"sent": len(report.sent), "already": len(report.already), "failed": len(report.failed)}


@shared_task(name="grading.reap_sandboxes", ignore_result=True)
def reap_sandboxes() -> dict:
    """Celery beat, every minute when a cluster is configured: delete sandboxes past their TTL
    (a worker killed mid-grade never tore its own down), release student finalizers in those
    being deleted, and report namespaces stuck in Terminating."""
    import datetime

    from grading.live import grader as live

    settings = conf.cluster_settings()
    if settings is None:
        return {"skipped": "no cluster configured"}
    report = live.reap(live.cluster_for(settings), now=datetime.datetime.now(datetime.UTC),
                       stuck_after=datetime.timedelta(seconds=conf.stuck_terminating_seconds()))
    if report.stuck:
        logger.error("reaper: sandboxes stuck in Terminating: %s", ", ".join(report.stuck))
    if report.deleted or report.released:
        logger.info("reaper: deleted %s, released finalizers in %s", report.deleted, report.released)
    return {"deleted": report.deleted, "released": report.released, "stuck": report.stuck}
