"""Digest emails (grading/digests.py): alice is in ivy's cohort (Spring), bob in charlie's (Autumn)."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from courses.models.schedule import DueDate, Extension
from grading import digests
from grading.models import DigestOptOut, DigestSent

pytestmark = pytest.mark.usefixtures("course")

NOW = datetime.datetime(2026, 3, 10, 7, 0, tzinfo=datetime.UTC)


def _due(cohort, key, hours):
    return DueDate.objects.create(cohort=cohort, item_key=key, due_at=NOW + datetime.timedelta(hours=hours))


@pytest.fixture
def dated(cohort, other_cohort):
    """Spring: lesson 1 overdue, lesson 2 due tomorrow, lesson 3 next week. Autumn: only next week."""
    _due(cohort, "lesson:lesson-1", -30)
    _due(cohort, "lesson:lesson-2", 20)
    _due(cohort, "lesson:lesson-3", 24 * 7)
    _due(other_cohort, "lesson:lesson-1", 24 * 7)
    return cohort


def _mails_to(email):
    return [m for m in mail.outbox if m.to == [email]]


def test_a_student_with_work_due_gets_one_digest_with_an_opt_out_link(alice, dated):
    report = digests.send_daily_digests(now=NOW)
    assert len(mail.outbox) == 1 and report.sent == [alice.pk]
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Podium: 1 overdue and 1 due in the next two days"
    assert "Lesson 1" in message.body and "Lesson 2" in message.body and "Lesson 3" not in message.body
    assert "/digests/stop/" in message.body and message.extra_headers["List-Unsubscribe"].startswith("<http")


def test_nothing_due_soon_sends_nothing(bob, dated):
    digests.send_daily_digests(now=NOW)
    assert _mails_to("bob@example.com") == []


def test_running_twice_sends_one_email_a_day(alice, dated):
    digests.send_daily_digests(now=NOW)
    second = digests.send_daily_digests(now=NOW + datetime.timedelta(hours=3))
    assert len(mail.outbox) == 1 and second.sent == []
    assert DigestSent.objects.filter(user=alice, kind="daily").count() == 1
    digests.send_daily_digests(now=NOW + datetime.timedelta(days=1))  # a new day: a new digest
    assert len(mail.outbox) == 2


def test_a_claim_already_written_by_another_worker_wins(alice, dated):
    # Another worker wrote the claim between this run's read and its insert.
    DigestSent.objects.create(user=alice, kind="daily", day=NOW.date())
    assert not digests._claim(alice.pk, "daily", NOW.date())
    digests.send_daily_digests(now=NOW)
    assert mail.outbox == []


def test_a_failed_send_gives_the_claim_back(alice, dated, monkeypatch):
    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    report = digests.send_daily_digests(now=NOW)
    assert report.failed == [alice.pk] and not DigestSent.objects.exists()
    monkeypatch.undo()
    assert digests.send_daily_digests(now=NOW).sent == [alice.pk]


def test_done_items_and_extensions_are_respected(alice, dated):
    from courses.models import Lesson, LessonCompletion

    LessonCompletion.objects.create(user=alice, lesson=Lesson.objects.get(slug="lesson-1"))
    enrollment = Enrollment.objects.get(student=alice)
    Extension.objects.create(enrollment=enrollment, item_key="lesson:lesson-2",
                             due_at=NOW + datetime.timedelta(days=10))
    digests.send_daily_digests(now=NOW)
    assert mail.outbox == []


def test_opt_out_link_needs_no_login_and_a_get_changes_nothing(client, alice, dated):
    url = reverse("digest-opt-out", args=[digests.opt_out_token(alice)])
    page = client.get(url)
    assert page.status_code == 200 and "alice@example.com" in page.content.decode()
    assert not DigestOptOut.objects.exists()  # link scanners open links: only the button stops emails
    done = client.post(url)
    assert done.status_code == 200 and "no more digest emails" in done.content.decode()
    assert DigestOptOut.objects.filter(user=alice).exists()
    digests.send_daily_digests(now=NOW)
    assert mail.outbox == []


def test_opt_out_posts_need_the_csrf_token(alice, dated):
    from django.test import Client

    url = reverse("digest-opt-out", args=[digests.opt_out_token(alice)])
    assert Client(enforce_csrf_checks=True).post(url).status_code == 403
    assert not DigestOptOut.objects.exists()


def test_a_forged_or_altered_token_stops_nobody(client, alice, bob, dated):
    token = digests.opt_out_token(bob)
    forged = digests.opt_out_token(alice)[:-2] + token[-2:]  # alice's id, someone else's signature
    for bad in ("nonsense", forged, digests.signing.dumps(alice.pk, salt="another-purpose")):
        response = client.post(reverse("digest-opt-out", args=[bad]))
        assert response.status_code == 404 and "not valid" in response.content.decode()
    assert not DigestOptOut.objects.exists()


def test_weekly_summary_names_each_instructors_own_at_risk_students(ivy, charlie, alice, bob, dated,
                                                                   other_cohort):
    # alice: lesson 1 overdue since yesterday, nothing done since enrolling (at risk); bob: nothing due.
    monday = NOW  # 10 March 2026 is a Tuesday: the claim is for Monday's week
    report = digests.send_weekly_summaries(now=monday + datetime.timedelta(days=8))
    to_ivy = _mails_to("ivy@example.com")
    assert report.sent == [ivy.pk] and len(to_ivy) == 1
    assert "alice@example.com" in to_ivy[0].body and "bob@example.com" not in to_ivy[0].body
    assert "Overdue" in to_ivy[0].body and "/digests/stop/" in to_ivy[0].body
    assert _mails_to("charlie@example.com") == []  # Autumn has not started: nobody to report
    again = digests.send_weekly_summaries(now=monday + datetime.timedelta(days=9))
    assert again.sent == [] and len(_mails_to("ivy@example.com")) == 1


def test_the_beat_schedule_has_both_digests():
    from lms.celery import app

    assert app.conf.beat_schedule["grading-daily-digests"]["task"] == "grading.send_daily_digests"
    assert app.conf.beat_schedule["grading-weekly-summaries"]["task"] == "grading.send_weekly_summaries"


def test_the_task_reports_what_it_did(alice, dated, monkeypatch):
    from grading import tasks

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    assert tasks.send_daily_digests.run() == {"sent": 1, "already": 0, "failed": 0}
    assert tasks.send_daily_digests.run() == {"sent": 0, "already": 0, "failed": 0}
    assert len(mail.outbox) == 1
