"""Issue 12 item 16: submissions per student and lab are rate-limited (GRADING_RATE_LIMIT), in the
submission service, with a message that says when the student may try again."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from grading import conf, services
from grading.models import Submission
from grading.tests.conftest import GOOD

Status = Submission.Status


@pytest.fixture(autouse=True)
def ten_per_ten_minutes(settings):
    settings.GRADING_RATE_LIMIT = "10/10m"


def graded(user, lab, *ages_in_seconds: float) -> list[Submission]:
    """Finished submissions made `age` seconds ago (as if submitted and graded then)."""
    now = timezone.now()
    made = []
    for age in ages_in_seconds:
        submission = Submission.objects.create(lab=lab, user=user, status=Status.PASSED, queued_at=now)
        Submission.objects.filter(pk=submission.pk).update(created_at=now - datetime.timedelta(seconds=age))
        made.append(submission)
    return made


def create(user, lab):
    return services.submission_create(user=user, lab=lab, files=[("d.yaml", GOOD)])


def test_the_11th_within_the_window_is_refused_and_nothing_is_stored_or_sent(
    alice, lab, sent, django_capture_on_commit_callbacks
):
    graded(alice, lab, *range(60, 600, 55))  # ten, the oldest 555 s ago
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(services.SubmissionRateLimited) as refused:
        create(alice, lab)
    assert str(refused.value) == ("You have submitted to this lab 10 times in the last 10 minutes, the most "
                                  "allowed. You can submit again in 45 seconds.")
    assert abs((refused.value.retry_at - timezone.now()).total_seconds() - 45) < 5
    assert Submission.objects.count() == 10 and sent == []


def test_another_student_or_another_lab_is_unaffected(alice, bob, lab, practical, sent):
    graded(alice, lab, *[30] * 10)
    with pytest.raises(services.SubmissionRateLimited):
        create(alice, lab)
    assert create(bob, lab).status == Status.QUEUED
    assert create(alice, practical).status == Status.QUEUED


def test_the_window_slides(alice, lab, sent):
    oldest, *_ = graded(alice, lab, 590, *[30] * 9)
    with pytest.raises(services.SubmissionRateLimited, match="again in 10 seconds"):
        create(alice, lab)
    # The oldest leaves the window: one more is allowed, and then the window is full again.
    Submission.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    assert create(alice, lab).status == Status.QUEUED
    Submission.objects.filter(status=Status.QUEUED).update(status=Status.FAILED)
    with pytest.raises(services.SubmissionRateLimited, match="again in 10 minutes"):
        create(alice, lab)


def test_every_result_counts_towards_the_limit(alice, lab, sent):
    made = graded(alice, lab, *[30] * 10)
    Submission.objects.filter(pk__in=[s.pk for s in made[:5]]).update(status=Status.INVALID)
    Submission.objects.filter(pk__in=[s.pk for s in made[5:]]).update(status=Status.NOT_GRADED)
    with pytest.raises(services.SubmissionRateLimited):
        create(alice, lab)


def test_the_lab_page_says_when_the_student_may_submit_again(client, alice, lab, sent):
    graded(alice, lab, *[60] * 10)
    client.force_login(alice)
    response = client.post(reverse("lab-submit", args=[lab.course.slug, lab.slug]), {"paste": "a: 1"},
                           follow=True)
    html = response.content.decode()
    assert "10 times in the last 10 minutes" in html and "You can submit again in 9 minutes." in html
    retry_at = timezone.localtime(timezone.now() + datetime.timedelta(minutes=9))
    assert f"You can submit again at <time datetime=\"{retry_at:%Y-%m-%dT%H:%M}" in html
    assert 'name="paste"' not in html  # no form to fill in for nothing
    assert Submission.objects.count() == 10


def test_the_setting_is_read_and_checked(settings):
    settings.GRADING_RATE_LIMIT = "20/1h"
    assert conf.rate_limit() == (20, 3600)
    settings.GRADING_RATE_LIMIT = "5/300"
    assert conf.rate_limit() == (5, 300)
    settings.GRADING_RATE_LIMIT = "off"
    assert conf.rate_limit() is None
    settings.GRADING_RATE_LIMIT = "ten a minute"
    with pytest.raises(ValueError, match="GRADING_RATE_LIMIT"):
        conf.rate_limit()


def test_without_a_limit_anything_goes(alice, lab, settings, sent):
    settings.GRADING_RATE_LIMIT = "0"
    graded(alice, lab, *[1] * 30)
    assert create(alice, lab).status == Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_do_not_both_pass_the_limit(alice, lab, sent, monkeypatch):
    """Nine made, two arrive together. Each checks (one in flight, attempts, rate) while holding
    the lab row's lock, inside the transaction that inserts, so the second waits for the first to
    commit and is then refused. (A pause after counting would let both through if the checks ran
    outside that lock.)"""
    import threading
    import time

    from django.db import OperationalError, connection, connections

    graded(alice, lab, *[60] * 9)
    counted = services.rate_limit_retry_at

    def slow_count(**kwargs):
        found = counted(**kwargs)
        time.sleep(0.3)  # the race window: counted nine, not yet inserted
        return found

    monkeypatch.setattr(services, "rate_limit_retry_at", slow_count)
    start, outcomes = threading.Barrier(2), []

    def request():
        start.wait()
        try:
            create(alice, lab)
            outcomes.append("created")
        except services.SubmissionRefused:
            outcomes.append("refused")
        except OperationalError as exc:  # SQLite has no row locks: it refuses the second writer
            outcomes.append(f"locked: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Submission.objects.filter(user=alice, lab=lab).count() == 10
    assert outcomes.count("created") == 1
    if connection.vendor == "postgresql":  # what production runs: the second is refused, cleanly
        assert sorted(outcomes) == ["created", "refused"]
