"""Query budgets of the student's lab pages (issue 17): fixed, whatever the history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grading.tests.conftest import submit
from grading.tests.test_views import GOOD, ONE_REPLICA, lab_url

pytestmark = pytest.mark.django_db


def queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, headers=headers).status_code == 200
    return len(ctx.captured_queries)


def test_lab_page_query_budget_does_not_grow_with_submissions(client, alice, lab, settings):
    settings.STUDENT_PAGE_CACHE = False  # the rendering's own budget (a cached read costs 2 queries)
    settings.GRADING_RATE_LIMIT = "off"
    client.force_login(alice)
    queries(client, lab_url(lab))  # warm: per-process content snapshots
    first = queries(client, lab_url(lab))
    for files in ([("d.yaml", ONE_REPLICA)], [("d.yaml", GOOD)], [("d.yaml", ONE_REPLICA)]):
        submit(alice, lab, files)
    assert queries(client, lab_url(lab)) == first
    assert first <= 8


def test_full_submission_page_query_budget(client, alice, lab):
    submission = submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    client.force_login(alice)
    queries(client, submission.get_absolute_url())
    assert queries(client, submission.get_absolute_url()) <= 8


def test_another_students_submission_costs_no_more_than_a_404(client, alice, bob, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    client.force_login(bob)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(submission.get_absolute_url()).status_code == 404
    assert len(ctx.captured_queries) <= 4


def test_lab_page_names_the_kubernetes_version_intake_validates_against(client, alice, lab):
    from grading.intake.validation import KUBERNETES_VERSION

    client.force_login(alice)
    html = client.get(lab.get_absolute_url()).content.decode()
    assert f"validates it against Kubernetes {KUBERNETES_VERSION}," in html
