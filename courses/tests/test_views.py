import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import ChecklistTick, CourseVisit, LessonCompletion
from courses.services import course_import
from courses.tests.conftest import lesson_text, make_user, write_course


def lesson_url(course, number):
    return course.lessons.get(number=number).get_absolute_url()


def complete_url(course, number):
    lesson = course.lessons.get(number=number)
    return reverse("lesson-complete", args=[course.slug, lesson.slug])


def test_home_lists_courses_for_anonymous_visitors(client, course):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Test Course" in response.content
    assert b"Create a free account" in response.content


def test_course_page_shows_overview_for_anonymous_visitors(client, course):
    response = client.get(course.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Module 99", "Know Docker", "Run pods", "kubectl", "Lesson 2", "Pending pods"):
        assert text in html
    assert "Sign up to start" in html


def test_lesson_after_the_first_requires_login(client, course):
    # Lesson 01 is the signed-out preview (courses/tests/test_navigation.py); the rest ask to log in.
    response = client.get(lesson_url(course, 2))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lesson_page_renders_stored_html_with_toc_and_pager(client, course, alice, monkeypatch):
    # Lessons must not be parsed per request: make rendering impossible and load the page.
    monkeypatch.setattr("courses.markdown.render_markdown", lambda *a, **k: pytest.fail("rendered"))
    client.force_login(alice)
    response = client.get(lesson_url(course, 2))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="first-topic">' in html
    assert 'href="#first-topic"' in html  # table of contents
    assert "Explain lesson 2" in html  # objectives
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert "Mark lesson complete" in html


def test_unknown_lesson_is_404(client, course, alice):
    client.force_login(alice)
    assert client.get(f"/courses/{course.slug}/lessons/nope/").status_code == 404


def test_unknown_course_is_404(client, course, alice):
    client.force_login(alice)
    assert client.get("/courses/nope/lessons/lesson-1/").status_code == 404


def test_lesson_page_follows_a_reimport_without_a_restart(client, course, course_dir, alice):
    # The page keeps course and lessons in memory per content version: a re-import must show.
    client.force_login(alice)
    assert "Lesson 2" in client.get(lesson_url(course, 2)).content.decode()
    (course_dir / "02-lesson-2.md").write_text(lesson_text(2, "Pods in depth", body="New body.\n"))
    (course_dir / "03-lesson-3.md").unlink()
    course_import(path=course_dir)
    html = client.get(lesson_url(course, 2)).content.decode()
    assert "Pods in depth" in html and "New body." in html
    assert "Lesson 3" not in html  # gone from the outline
    assert client.get(f"/courses/{course.slug}/lessons/lesson-3/").status_code == 404


def test_a_lesson_removed_and_added_back_is_served_under_its_new_id(client, course, course_dir,
                                                                     alice):
    # Same text as before, but the re-created lesson is a new row with a new id.
    client.force_login(alice)
    client.get(lesson_url(course, 3))
    client.get(reverse("dashboard"))
    saved = (course_dir / "03-lesson-3.md").read_text()
    (course_dir / "03-lesson-3.md").unlink()
    course_import(path=course_dir)
    (course_dir / "03-lesson-3.md").write_text(saved)
    course_import(path=course_dir)
    response = client.get(lesson_url(course, 3))
    assert response.status_code == 200
    assert CourseVisit.objects.get(user=alice).lesson == course.lessons.get(number=3)
    # The dashboard, whose outline was read before, counts the new row too.
    client.post(complete_url(course, 3))
    assert "1 of 3 done" in client.get(reverse("dashboard")).content.decode()


def test_opening_a_lesson_remembers_it(client, course, alice):
    client.force_login(alice)
    client.get(lesson_url(course, 2))
    client.get(lesson_url(course, 3))
    visit = CourseVisit.objects.get(user=alice)
    assert visit.lesson.number == 3


def test_mark_complete_with_htmx_returns_fragment_and_progress(client, course, alice):
    client.force_login(alice)
    response = client.post(complete_url(course, 1), {"complete": "1"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, not the page
    assert 'id="lesson-complete"' in html
    assert "You completed this lesson" in html
    assert 'hx-swap-oob="true"' in html and "33%" in html  # progress bar updated in place
    assert "1 of 3 lessons done" in html  # announced to screen readers
    assert LessonCompletion.objects.filter(user=alice).count() == 1
    assert response["Vary"].count("HX-Request") == 1


def test_mark_complete_without_javascript_redirects_back(client, course, alice):
    client.force_login(alice)
    response = client.post(complete_url(course, 1), {"complete": "1"})
    assert response.status_code == 302
    assert response["Location"] == lesson_url(course, 1)


def test_mark_complete_twice_is_harmless_and_can_be_undone(client, course, alice):
    client.force_login(alice)
    client.post(complete_url(course, 1), {"complete": "1"})
    client.post(complete_url(course, 1), {"complete": "1"})
    assert LessonCompletion.objects.filter(user=alice).count() == 1
    client.post(complete_url(course, 1), {"complete": "0"})
    assert LessonCompletion.objects.filter(user=alice).count() == 0


def test_mark_complete_rejects_get_and_anonymous(client, course):
    assert client.get(complete_url(course, 1)).status_code in (302, 405)
    response = client.post(complete_url(course, 1))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not LessonCompletion.objects.exists()


def test_writes_need_a_csrf_token(course, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(complete_url(course, 1)).status_code == 403
    assert not LessonCompletion.objects.exists()


def test_progress_is_per_student(client, course, alice, bob):
    client.force_login(alice)
    client.post(complete_url(course, 1))
    client.force_login(bob)
    html = client.get(reverse("dashboard")).content.decode()
    assert "0 of 3 done" in html


def test_dashboard_shows_progress_and_continue_link(client, course, alice):
    client.force_login(alice)
    client.post(complete_url(course, 1))
    client.get(lesson_url(course, 2))
    html = client.get(reverse("dashboard")).content.decode()
    assert "1 of 3 done" in html
    assert "Continue where you left off" in html
    assert f'href="{lesson_url(course, 2)}"' in html


def test_dashboard_requires_login(client, course):
    assert client.get(reverse("dashboard")).status_code == 302


def test_prerequisite_checklist_toggles_with_htmx(client, course, alice):
    client.force_login(alice)
    url = reverse("checklist-toggle", args=[course.slug, "prerequisite", "docker"])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="prerequisite-docker"' in response.content.decode()
    assert 'aria-checked="true"' in response.content.decode()
    assert ChecklistTick.objects.filter(user=alice, key="docker").exists()
    client.post(url, headers={"HX-Request": "true"})
    assert not ChecklistTick.objects.filter(user=alice, key="docker").exists()


def test_checklist_rejects_unknown_items(client, course, alice):
    client.force_login(alice)
    for kind, key in (("prerequisite", "nope"), ("other", "docker")):
        url = reverse("checklist-toggle", args=[course.slug, kind, key])
        assert client.post(url).status_code == 404


def test_success_criteria_are_ticked_from_evidence(client, course, alice):
    client.force_login(alice)
    client.post(complete_url(course, 1))
    html = client.get(course.get_absolute_url()).content.decode()
    # run-pods is verified by lesson 1; pass-quiz waits for the quiz; self-assessed is manual.
    assert 'id="criterion-run-pods" class="checklist-item is-ticked"' in html
    assert "verified" in html
    assert 'id="criterion-pass-quiz" class="checklist-item"' in html
    # A verified criterion cannot be unticked by hand, but a manual one can be ticked.
    url = reverse("checklist-toggle", args=[course.slug, "criterion", "self-assessed"])
    client.post(url)
    html = client.get(course.get_absolute_url()).content.decode()
    assert 'id="criterion-self-assessed" class="checklist-item is-ticked"' in html


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("lessons", [3, 12])
def test_lesson_page_and_dashboard_query_budget_does_not_grow(client, tmp_path, lessons):
    from courses.models import Course

    course_dir = write_course(tmp_path, lessons=lessons, quiz=True)
    # Completion asks for the quiz too: the dashboard reads it once for both its lines.
    (course_dir / "course.yaml").write_text((course_dir / "course.yaml").read_text()
                                            + "completion: {quiz: true}\n")
    course_import(path=course_dir)
    alice = make_user("alice@example.com")
    for i in range(lessons):
        make_user(f"student{i}@example.com")
    client.force_login(alice)
    course = Course.objects.get()
    for lesson in course.lessons.all()[:2]:
        client.post(reverse("lesson-complete", args=[course.slug, lesson.slug]))
    budgets = {
        # First view of this content version: builds the course snapshot, renders the article.
        "lesson (cold)": queries_for(client, lesson_url(course, 2)),
        # Then: session, user, one read of lessons + completions, the lesson's labs, the visit.
        "lesson": queries_for(client, lesson_url(course, 2)),
        "dashboard": queries_for(client, reverse("dashboard")),
        "home": queries_for(client, reverse("home")),
    }
    # The same whatever the number of lessons and students (both parametrised), and small.
    # The dashboard's 9th query reads the student's pending cohort invitations, the 10th their due
    # dates (courses.schedule.student_due: one query outside a scheduled cohort).
    assert budgets == {"lesson (cold)": 8, "lesson": 5, "dashboard": 10, "home": 8}, budgets


def test_course_text_shows_code_spans_and_stays_escaped():
    from courses.templatetags.podium import code_spans
    assert code_spans("run `kubectl get <pods>` & see") == (
        "run <code>kubectl get &lt;pods&gt;</code> &amp; see")
