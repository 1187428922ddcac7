"""Times in the reader's time zone (lms/timezones.py), seen on the submission page."""

import datetime

import pytest

from grading.models import Submission
from grading.tests.conftest import GOOD, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission(alice, lab):
    found = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    Submission.objects.filter(pk=found.pk).update(
        created_at=datetime.datetime(2026, 7, 1, 22, 30, tzinfo=datetime.UTC))
    return found


def submitted(client, submission) -> str:
    html = client.get(submission.get_absolute_url()).content.decode()
    return html.split("Submitted ", 1)[1].split("</p>", 1)[0]


def test_without_the_cookie_times_are_utc_and_say_so(client, alice, submission):
    client.force_login(alice)
    assert ">1 Jul 2026, 22:30 UTC<" in submitted(client, submission)


def test_the_browsers_zone_is_used_when_it_sends_one(client, alice, submission):
    client.force_login(alice)
    client.cookies["tz"] = "Europe/Berlin"
    assert ">2 Jul 2026, 00:30 CEST<" in submitted(client, submission)
    # The machine-readable time stays exact whatever the zone.
    assert 'datetime="2026-07-02T00:30:00+02:00"' in submitted(client, submission)


def test_an_encoded_zone_is_read_too(client, alice, submission):
    client.force_login(alice)
    client.cookies["tz"] = "Europe%2FBerlin"
    assert ">2 Jul 2026, 00:30 CEST<" in submitted(client, submission)


@pytest.mark.parametrize("cookie", ["Mars/Olympus", "../../etc/passwd", ""])
def test_an_unknown_zone_falls_back_to_utc(client, alice, submission, cookie):
    client.force_login(alice)
    client.cookies["tz"] = cookie
    assert ">1 Jul 2026, 22:30 UTC<" in submitted(client, submission)


def test_every_page_loads_the_script_that_reports_the_zone(client):
    assert 'src="/static/js/timezone.js"' in client.get("/accounts/login/").content.decode()
