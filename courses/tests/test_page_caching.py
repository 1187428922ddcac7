"""What the course page keeps per content version (issue 17), and what it never shares.

The overview sections (outcomes, time, tools, pitfalls, tips, resources, what's next) are the
same for every reader of one content version: rendered once per process and keyed by the
course's content hash, so an import that changes them shows on the next request. Everything
per student (progress, checklists, lessons done) is rendered for each request."""

import pytest
from django.urls import reverse

from courses.models import ChecklistTick
from courses.services import course_import
from courses.tests.conftest import COURSE_YAML, write_course

pytestmark = pytest.mark.django_db


def page(client, course) -> str:
    response = client.get(reverse("course", args=[course.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_content_change_shows_on_the_next_request(client, alice, tmp_path):
    course_dir = write_course(tmp_path)
    course_import(path=course_dir)
    from courses.models import Course
    course = Course.objects.get(slug="test-course")
    client.force_login(alice)
    assert "Practise" in page(client, course)
    (course_dir / "course.yaml").write_text(COURSE_YAML.replace("title: Practise", "title: Rehearse"))
    course_import(path=course_dir)
    course.refresh_from_db()
    html = page(client, course)
    assert "Rehearse" in html and "Practise" not in html


def test_cached_sections_carry_nothing_of_the_student(client, course, alice, bob):
    ChecklistTick.objects.create(user=alice, course=course, kind=ChecklistTick.Kind.PREREQUISITE,
                                 key="docker")
    client.force_login(alice)
    alice_html = page(client, course)
    assert 'id="prerequisite-docker" class="checklist-item is-ticked"' in alice_html
    client.force_login(bob)
    bob_html = page(client, course)
    assert 'id="prerequisite-docker" class="checklist-item"' in bob_html
    assert alice.email not in bob_html
    # The overview itself is identical for both readers.
    for marker in ('<section id="outcomes"', '<section id="tools"', '<section id="time"'):
        start_a, start_b = alice_html.index(marker), bob_html.index(marker)
        assert alice_html[start_a:start_a + 400] == bob_html[start_b:start_b + 400]


def test_signed_out_preview_gets_the_same_overview_without_forms(client, course, alice):
    client.force_login(alice)
    signed_in = page(client, course)
    client.logout()
    preview = page(client, course)
    assert "Pending pods" in preview and "Pending pods" in signed_in
    assert "checklist-toggle" not in preview and 'name="csrfmiddlewaretoken"' not in preview


def test_hostile_course_text_stays_escaped_in_the_cached_overview(client, alice, tmp_path):
    course_dir = write_course(tmp_path)
    (course_dir / "course.yaml").write_text(
        COURSE_YAML.replace("text: Locally.", 'text: "<script>alert(1)</script> `kubectl`"'))
    course_import(path=course_dir)
    from courses.models import Course
    course = Course.objects.get(slug="test-course")
    client.force_login(alice)
    for _ in range(2):  # rendered, then from the cache
        html = page(client, course)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; <code>kubectl</code>" in html


def test_course_page_query_budget(client, course, alice, django_assert_max_num_queries):
    client.force_login(alice)
    page(client, course)
    with django_assert_max_num_queries(10):
        page(client, course)
