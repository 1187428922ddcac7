"""Submitting, claiming, grading in the task, retries, the sweeper and regrades."""

import datetime

import pytest
from django.db import OperationalError
from django.utils import timezone

from grading import services, tasks
from grading.models import CheckResult, Submission
from grading.tests.conftest import GOOD, ONE_REPLICA, submit

Status = Submission.Status


def test_files_are_stored_before_the_task_is_sent_on_commit(
    alice, lab, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = services.submission_create(user=alice, lab=lab, files=[("d.yaml", GOOD)])
        assert sent == []  # nothing is sent before the transaction commits
    assert len(callbacks) == 2  # the task, and the student's pages marked changed (lms/page_cache.py)
    assert sent == [(submission.pk,)]
    stored = submission.files.get()
    assert (stored.name, bytes(stored.content), stored.size) == ("d.yaml", GOOD, len(GOOD))
    assert submission.status == Status.QUEUED


def test_a_broker_outage_loses_nothing(alice, lab, monkeypatch, django_capture_on_commit_callbacks):
    def down(*args):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.grade_submission, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submission_create(user=alice, lab=lab, files=[("d.yaml", GOOD)])
    submission.refresh_from_db()
    assert submission.status == Status.QUEUED  # the sweeper will send it again


def test_grading_stores_score_results_and_stage_timestamps(alice, lab):
    submission = submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    assert (submission.status, submission.score, submission.max_score) == (
        Status.FAILED,
        1.33,
        3,
    )  # rounded to 0.01
    assert (
        submission.started_at and submission.finished_at and submission.finished_at >= submission.started_at
    )
    assert [s["name"] for s in submission.stages] == ["parse", "validate", "policy", "checks"]
    results = list(submission.results.all())
    assert [(r.check_id, r.passed) for r in results] == [("deployment", True), ("replicas", False)]
    assert results[1].observed == "Deployment/iris has replicas: 1"
    assert results[1].lesson_url.endswith("/lessons/lesson-2/#summary")
    assert submission.graded_count == 1 and submission.runs == 1


def test_passing_submission(alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    assert (submission.status, submission.passed) == (Status.PASSED, True)


def test_invalid_submission_stores_located_errors(alice, lab):
    submission = submit(alice, lab, [("d.yaml", b"kind: [\n")])
    assert submission.status == Status.INVALID
    assert submission.errors[0]["file"] == "d.yaml" and submission.errors[0]["line"] == 2
    assert submission.score is None and not submission.results.exists()


def test_the_task_is_idempotent(alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    assert tasks.grade_submission.run(submission.pk) == "skipped"
    submission.refresh_from_db()
    assert submission.graded_count == 1 and CheckResult.objects.filter(submission=submission).count() == 2


def test_a_claimed_submission_is_not_claimed_twice(alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    assert services.submission_claim(submission.pk)
    assert services.submission_claim(submission.pk) is None
    assert tasks.grade_submission.run(submission.pk) == "skipped"


def test_a_run_whose_worker_died_is_claimed_again_once_stale(alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    dead = services.submission_claim(submission.pk)
    Submission.objects.filter(pk=submission.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert tasks.grade_submission.run(submission.pk) == Status.PASSED
    # The dead run's token no longer holds the claim: it can never overwrite the result.
    assert services.submission_run(submission.pk, dead) == "lost"
    submission.refresh_from_db()
    assert submission.graded_count == 1 and submission.runs == 2


def test_transient_error_is_retried_keeping_the_claim(alice, lab, monkeypatch):
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    retried = {}

    def flaky(pk, token):
        raise OperationalError("database is restarting")

    def fake_retry(**kwargs):
        retried.update(kwargs)
        return RuntimeError("retry")

    with monkeypatch.context() as patch:
        patch.setattr(services, "submission_run", flaky)
        patch.setattr(tasks.grade_submission, "retry", fake_retry)
        with pytest.raises(RuntimeError, match="retry"):
            tasks.grade_submission.run(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING
    assert retried["kwargs"] == {"submission_id": submission.pk, "token": submission.claim}
    assert retried["countdown"] >= 5
    assert tasks.grade_submission.run(**retried["kwargs"]) == Status.PASSED


def test_infrastructure_failure_ends_not_graded_and_does_not_use_an_attempt(alice, course, monkeypatch):
    from grading.models import Lab

    lab = Lab.objects.get(slug="first-deployment")
    Lab.objects.filter(pk=lab.pk).update(attempts_allowed=1)
    lab.refresh_from_db()
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)

    def down(pk, token):
        raise OperationalError("gone")

    with monkeypatch.context() as patch:
        patch.setattr(services, "submission_run", down)
        patch.setattr(tasks.grade_submission, "max_retries", 0)
        assert tasks.grade_submission.run(submission.pk) == "not_graded"
    submission.refresh_from_db()
    assert submission.status == Status.NOT_GRADED and "infrastructure failure" in submission.failure
    assert services.attempts_used(user=alice, lab=lab) == 0
    assert submit(alice, lab, [("d.yaml", GOOD)]).status == Status.PASSED


def test_grader_bug_ends_not_graded_without_retry(alice, lab):
    lab.checks.filter(check_id="deployment").update(function="crashes", params={})
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    assert submission.status == Status.NOT_GRADED
    assert "crashed" in submission.failure


def test_attempt_limit(alice, lab):
    lab.attempts_allowed = 1
    lab.save()
    submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    with pytest.raises(services.SubmissionRefused, match="all 1 attempts"):
        submit(alice, lab, [("d.yaml", GOOD)])


def test_one_submission_at_a_time(alice, lab):
    submit(alice, lab, [("d.yaml", GOOD)], run=False)
    with pytest.raises(services.SubmissionRefused, match="still being graded"):
        submit(alice, lab, [("d.yaml", GOOD)], run=False)


def test_sweeper_requeues_lost_and_stale_submissions(
    alice, bob, lab, sent, django_capture_on_commit_callbacks
):
    lost = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    stale = submit(bob, lab, [("d.yaml", GOOD)], run=False)
    services.submission_claim(stale.pk)
    fresh_cutoff = timezone.now() + datetime.timedelta(seconds=1)
    assert services.sweep_stuck_submissions(now=fresh_cutoff).requeued == []  # too early
    later = timezone.now() + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.sweep_stuck_submissions(now=later)
    assert sorted(report.requeued) == sorted([lost.pk, stale.pk])
    assert sorted(sent) == sorted([(lost.pk,), (stale.pk,)])
    stale.refresh_from_db()
    assert (stale.status, stale.claim, stale.requeues) == (Status.QUEUED, "", 1)
    assert tasks.grade_submission.run(stale.pk) == Status.PASSED


def test_sweeper_gives_up_after_repeated_losses(alice, lab, settings):
    settings.GRADING_MAX_REQUEUES = 2
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    Submission.objects.filter(pk=submission.pk).update(requeues=2)
    report = services.sweep_stuck_submissions(now=timezone.now() + datetime.timedelta(hours=1))
    assert report.given_up == [submission.pk]
    submission.refresh_from_db()
    assert submission.status == Status.NOT_GRADED


def test_sweep_task_runs(alice, lab):
    assert tasks.sweep_stuck_submissions.run() == {"requeued": [], "given_up": []}


def test_regrade_grades_again_and_keeps_history_clean(alice, lab, sent, django_capture_on_commit_callbacks):
    submission = submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    lab.checks.filter(check_id="replicas").update(params={"min": 1})
    with django_capture_on_commit_callbacks(execute=True):
        assert services.submission_regrade(submission=submission)
    assert sent == [(submission.pk,)]
    tasks.grade_submission.run(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.PASSED and submission.graded_count == 2
    assert submission.results.count() == 2


def test_regrade_leaves_active_submissions_alone(alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    assert services.submission_regrade(submission=submission) is False


def test_beat_schedule_includes_the_sweeper():
    from lms.celery import app

    assert (
        app.conf.beat_schedule["grading-sweep-stuck-submissions"]["task"] == "grading.sweep_stuck_submissions"
    )


def test_task_options():
    task = tasks.grade_submission
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit < task.time_limit
    assert task.name == "grading.grade_submission"
