"""Issue 12 item 17: graders that keep going. A grading run's time limits leave room above its
lab's own wait (so a sandbox that never settles ends `failed`, not `not_graded`), staleness
covers the longest lab, and a worker that starts sweeps what a killed one left behind."""

import contextlib
import datetime
import signal

import pytest
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.utils import timezone

from grading import conf, services, tasks
from grading.models import Lab, Submission
from grading.tests import test_live_grading
from grading.tests.conftest import GOOD, submit

# The emulator fixtures of the live-grading tests, used here too.
emu, live_cluster, quick_lab = (test_live_grading.emu, test_live_grading.live_cluster,
                                test_live_grading.quick_lab)

Status = Submission.Status


@pytest.fixture
def live(settings):
    """Live grading switched on (the limits only read whether a cluster is configured)."""
    settings.GRADING_KUBECONFIG = "/nonexistent/kubeconfig"


def test_with_live_grading_the_soft_limit_leaves_room_above_the_labs_wait(live):
    overhead = conf.live_overhead_seconds()
    assert overhead >= 60  # sandbox create, dry run + apply, observe, teardown
    for wait in (120, 300, 900):
        soft, hard = conf.task_soft_time_limit(wait), conf.task_time_limit(wait)
        assert soft >= wait + overhead and hard > soft
    assert conf.sandbox_ttl_seconds(900) > conf.task_time_limit(900)


def test_static_only_grading_keeps_its_short_limits():
    assert (conf.task_soft_time_limit(900), conf.task_time_limit(900)) == (60, 90)


def test_each_message_carries_the_limits_of_its_labs_wait(live, alice, practical, monkeypatch):
    """The practical waits 300 s for its sandbox: a fixed 300 s soft limit interrupted it before
    it could report what never became ready."""
    sent_options = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, **options:
                        sent_options.append((args, options)))
    Lab.objects.filter(pk=practical.pk).update(time_limit_seconds=300)  # as the course's practical
    submission = submit(alice, practical, [("a.yaml", GOOD)], run=False)
    assert services.enqueue(submission.pk)
    [(args, options)] = sent_options
    assert args == (submission.pk,)
    assert options["soft_time_limit"] >= 300 + conf.live_overhead_seconds()
    assert options["time_limit"] > options["soft_time_limit"]
    # A retry keeps the message's limits (Celery copies them from the request): none added.
    tasks.grade_submission.apply_async((submission.pk,), soft_time_limit=1, time_limit=2)
    assert sent_options[-1][1] == {"soft_time_limit": 1, "time_limit": 2}


def _running(user, lab, *, started_ago: float) -> Submission:
    submission = submit(user, lab, [("d.yaml", GOOD)], run=False)
    assert services.submission_claim(submission.pk)
    Submission.objects.filter(pk=submission.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=started_ago))
    return submission


def test_a_long_labs_run_is_not_taken_from_its_live_worker(live, alice, practical, sent):
    """The practical's run may last soft + hard margin (over 450 s): a run 400 s old is alive and
    neither the sweeper nor a duplicate message may take it."""
    Lab.objects.filter(pk=practical.pk).update(time_limit_seconds=300)
    alive = _running(alice, practical, started_ago=400)
    assert services.submission_claim(alive.pk) is None
    later = timezone.now()
    assert services.sweep_stuck_submissions(now=later).requeued == []
    dead_after = conf.stale_after_seconds(300)
    assert dead_after > conf.task_time_limit(300)
    report = services.sweep_stuck_submissions(now=later + datetime.timedelta(seconds=dead_after))
    assert report.requeued == [alive.pk]


def test_a_starting_worker_sweeps_what_a_killed_worker_left(alice, bob, charlie, lab, sent,
                                                            django_capture_on_commit_callbacks):
    """Without Celery beat a SIGKILLed worker's submission used to wait forever."""
    dead = _running(alice, lab, started_ago=3600)  # its worker was killed an hour ago
    alive = _running(bob, lab, started_ago=5)  # another worker is grading it now
    queued = submit(charlie, lab, [("d.yaml", GOOD)], run=False)  # its message is on its way
    with django_capture_on_commit_callbacks(execute=True):
        responses = worker_ready.send(sender=None)
    assert {"requeued": [dead.pk], "given_up": []} in [response for _, response in responses]
    assert sent == [(dead.pk,)]
    dead.refresh_from_db()
    alive.refresh_from_db()
    queued.refresh_from_db()
    assert (dead.status, dead.claim, dead.requeues) == (Status.QUEUED, "", 1)
    assert alive.status == Status.RUNNING and alive.claim and alive.requeues == 0
    assert queued.status == Status.QUEUED and queued.requeues == 0
    assert tasks.grade_submission.run(dead.pk) == Status.PASSED


def test_a_start_up_sweep_that_fails_does_not_stop_the_worker(monkeypatch):
    def down():
        raise ConnectionError("database is starting")

    monkeypatch.setattr(services, "sweep_stuck_submissions", down)
    assert tasks._sweep_at_start_up() is None


NEVER_BOUND = GOOD + b"""\
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: models
spec:
  storageClassName: missing
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 1Gi}
"""  # no such storage class: the claim stays Pending for ever


@contextlib.contextmanager
def soft_time_limit(seconds: float):
    """Celery's soft time limit as the worker delivers it: SoftTimeLimitExceeded raised in the
    task wherever it is (the prefork pool signals the child; here a timer signals this thread)."""
    def interrupt(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_a_sandbox_that_never_settles_ends_failed_with_the_reason(alice, quick_lab, live_cluster, settings):
    """Scaled down: the lab waits 2 s, a claim on a missing storage class stays Pending. Under the limit
    the grader computes it ends `failed`, saying what never became ready; under a limit equal to
    the lab's wait (as 300 s was for the 300 s practical) it ended `not_graded`."""
    settings.GRADING_LIVE_OVERHEAD = 15  # the emulator needs far less than a real cluster
    settings.GRADING_TASK_SOFT_TIME_LIMIT = 1  # no floor above the scaled-down figures
    submission = submit(alice, quick_lab, [("d.yaml", NEVER_BOUND)], run=False)
    soft = services.grading_time_limits(submission.pk)[0]
    assert soft == 2 + 15
    with soft_time_limit(soft):
        assert tasks.grade_submission.run(submission.pk) == Status.FAILED
    submission.refresh_from_db()
    assert submission.notes[0].startswith("Did not become ready within 2 s (the lab's time limit): ")
    assert "PersistentVolumeClaim/models: Pending" in submission.notes[0]

    Submission.objects.filter(pk=submission.pk).update(status=Status.NOT_GRADED)  # make room for another
    again = submit(alice, quick_lab, [("d.yaml", NEVER_BOUND)], run=False)
    with soft_time_limit(quick_lab.time_limit_seconds):
        assert tasks.grade_submission.run(again.pk) == "not_graded"
    assert test_live_grading.sandboxes_left(live_cluster) == []  # torn down even when interrupted
