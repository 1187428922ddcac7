"""The lab and submission pages' parts kept per process (issue 17: the lab's checks, rubric and
instructions, the blank form): they follow a new version of the lab, and another student's
submission stays out of reach however warm the process is.

Their rendering was proved byte-equivalent to the code before it, for every state of both pages,
by test_lab_render_equivalence.py at commit 08caa79 (retired after it passed, with its copy of
the old templates)."""

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from grading import selectors
from grading.models import Submission
from lms import page_cache

pytestmark = pytest.mark.django_db
Status = Submission.Status


@pytest.fixture(autouse=True)
def cold():
    """Each test starts as a new process would: no snapshot, no shared fragment."""
    caches[page_cache.SHARED_ALIAS].clear()
    page_cache.forget_shared()
    selectors.forget_snapshots()
    yield
    caches[page_cache.SHARED_ALIAS].clear()
    selectors.forget_snapshots()


def read(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_lab_page_follows_a_new_version_of_the_lab(client, alice, lab, course_dir):
    from courses.services import course_import
    from grading.tests.conftest import LAB_YAML, write_lab

    url = reverse("lab", args=[lab.course.slug, lab.slug])
    client.force_login(alice)
    assert "At least three replicas" in read(client, url)
    read(client, url)  # kept now
    changed = LAB_YAML.format(attempts=0).replace("At least three replicas", "Three replicas or more")
    write_lab(course_dir, "first-deployment", changed.replace("Write a Deployment. See", "Deploy. See"))
    course_import(path=course_dir)
    html = read(client, url)
    assert "Three replicas or more" in html and "At least three replicas" not in html
    assert "Deploy. See" in html


def test_another_students_submission_stays_404(client, alice, bob, lab):
    submission = Submission.objects.create(user=alice, lab=lab, status=Status.PASSED, score=3, max_score=3,
                                           passed=True, queued_at=timezone.now())
    client.force_login(alice)
    read(client, submission.get_absolute_url())
    read(client, submission.get_absolute_url())  # warm: nothing of it kept for bob
    client.force_login(bob)
    assert client.get(submission.get_absolute_url()).status_code == 404
    assert client.get(submission.get_absolute_url(), headers={"HX-Request": "true"}).status_code == 404
