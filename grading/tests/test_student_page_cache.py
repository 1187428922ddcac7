"""Students' pages kept rendered (lms/page_cache.py): served only while nothing they show has
changed, never to anyone else, with the reader's own CSRF token.

Every test reads a page, changes something the way Podium does (a student's POST, the grading
worker's conditional UPDATEs, the quiz's beat task, an instructor's edit, the clock), and reads
the page again."""

import datetime
import re
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Cohort, DueDate, Enrollment, Lesson
from courses.schedule import lab_key
from grading import services
from grading.models import Submission
from grading.tests.conftest import GOOD, submit
from lms import page_cache

pytestmark = pytest.mark.django_db


def read(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def same(a: str, b: str) -> bool:
    """Two renderings of a page are the same but for their (masked, per request) CSRF tokens."""
    token = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    return token.sub(r"\1", a) == token.sub(r"\1", b)


def course_url(course) -> str:
    return reverse("course", args=[course.slug])


def test_a_second_read_is_served_from_the_cache(client, alice, course):
    client.force_login(alice)
    first = read(client, course_url(course))
    with CaptureQueriesContext(connection) as queries:
        second = read(client, course_url(course))
    assert same(second, first)
    # At most the session (from the database when the test's cache lacks it); no user row: a
    # stored page proves what loading the user would (see the section below).
    assert len(queries) <= 1
    assert not any("auth_user" in query["sql"] for query in queries.captured_queries)


def test_off_it_renders_every_time(client, alice, course, settings):
    settings.STUDENT_PAGE_CACHE = False
    client.force_login(alice)
    read(client, course_url(course))
    with CaptureQueriesContext(connection) as queries:
        read(client, course_url(course))
    assert len(queries) > 2


@pytest.mark.parametrize(("environ", "on"), [
    ({}, False),  # no shared cache: a worker could not tell the web processes
    ({"STUDENT_PAGE_CACHE": "1"}, False),  # …whatever is asked
    ({"REDIS_URL": "redis://broker/0"}, False),  # the broker's Redis, which must not evict
    ({"REDIS_URL": "redis://broker/0", "STUDENT_PAGE_CACHE": "1"}, True),  # unless asked
    ({"REDIS_URL": "redis://broker/0", "REDIS_CACHE_URL": "redis://cache/0"}, True),  # the chart's default
    ({"REDIS_CACHE_URL": "redis://cache/0", "STUDENT_PAGE_CACHE": "0"}, False),
])
def test_on_by_default_only_with_a_cache_redis_of_its_own(monkeypatch, environ, on):
    import importlib

    from lms import settings as podium_settings

    for name in ("REDIS_URL", "REDIS_CACHE_URL", "STUDENT_PAGE_CACHE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        assert importlib.reload(podium_settings).STUDENT_PAGE_CACHE is on
    finally:
        for name in environ:
            monkeypatch.delenv(name)
        importlib.reload(podium_settings)


# --- never anyone else's ---------------------------------------------------------------------

def test_one_students_page_is_never_served_to_another(client, alice, bob, course, lab):
    submit(alice, lab, [("app.yaml", GOOD)])
    client.force_login(alice)
    alices = read(client, reverse("lab", args=[course.slug, lab.slug]))
    client.force_login(bob)
    bobs = read(client, reverse("lab", args=[course.slug, lab.slug]))
    mine = Submission.objects.get(user=alice).get_absolute_url()
    assert f'href="{mine}"' in alices
    assert mine not in bobs


def test_another_students_submission_stays_404_after_its_owner_read_it(client, alice, bob, lab):
    submission = submit(alice, lab, [("app.yaml", GOOD)])
    client.force_login(alice)
    read(client, submission.get_absolute_url())
    client.force_login(bob)
    assert client.get(submission.get_absolute_url()).status_code == 404


# --- a page from the cache loads no user: what a session must still prove -------------------

def lab_url(course, lab) -> str:
    return reverse("lab", args=[course.slug, lab.slug])


@pytest.fixture
def alices_lab_page(client, alice, course, lab):
    """Alice's lab page, stored (her submission listed on it); the client is her session."""
    submit(alice, lab, [("app.yaml", GOOD)])
    client.force_login(alice)
    html = read(client, lab_url(course, lab))
    assert Submission.objects.get(user=alice).get_absolute_url() in read(client, lab_url(course, lab))
    return html


def test_a_session_from_before_a_password_change_is_signed_out(client, alice, course, lab, alices_lab_page):
    alice.set_password("a-new-password-4821")
    alice.save()  # as the password change form does
    response = client.get(lab_url(course, lab))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_page_stored_after_a_password_change_is_not_served_to_an_older_session(client, alice, course, lab,
                                                                                 alices_lab_page):
    # The old session is kept aside; Alice changes her password and reads the page in a new one.
    old_session = client.cookies["sessionid"].value
    alice.set_password("a-new-password-4821")
    alice.save()
    fresh = Client()
    fresh.force_login(alice)
    read(fresh, lab_url(course, lab))  # stored for the new session, under the new generation
    client.cookies["sessionid"] = old_session
    response = client.get(lab_url(course, lab))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_deactivated_or_deleted_student_is_signed_out(client, alice, course, lab, alices_lab_page):
    alice.is_active = False
    alice.save()
    assert client.get(lab_url(course, lab)).status_code == 302
    alice.is_active = True
    alice.save()
    client.force_login(alice)
    read(client, lab_url(course, lab))
    alice.delete()
    assert client.get(lab_url(course, lab)).status_code == 302


def test_a_session_claiming_another_students_id_gets_nothing_of_theirs(client, alice, bob, course, lab,
                                                                         alices_lab_page):
    """Sessions live on the server, but say one was made to name Alice's id with Bob's hash (or
    none): it is not Alice's page it reads, and the ordinary check signs it out."""
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY

    mine = Submission.objects.get(user=alice).get_absolute_url().encode()
    for keep_hash in (True, False):
        mallory = Client()
        mallory.force_login(bob)
        session = mallory.session
        session[SESSION_KEY] = str(alice.pk)
        if not keep_hash:
            del session[HASH_SESSION_KEY]
        session.save()
        response = mallory.get(lab_url(course, lab))
        assert response.status_code == 302
        assert mine not in response.content


def test_a_signed_out_session_reads_nothing(client, alice, course, lab, alices_lab_page):
    client.logout()
    assert client.get(lab_url(course, lab)).status_code == 302


def test_a_new_secret_key_serves_no_page_stored_under_the_old_one(client, alice, course, lab, alices_lab_page,
                                                                   settings):
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    page_cache.csrf_placeholder.cache_clear()
    try:
        # The session was signed with the old key (no fallback listed): it no longer decodes.
        assert client.get(lab_url(course, lab)).status_code == 302
    finally:
        page_cache.csrf_placeholder.cache_clear()


def test_joining_a_group_changes_the_users_pages(alice):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="helpers")
    with mock.patch.object(page_cache, "changed") as changed:
        alice.groups.add(group)
    changed.assert_any_call(alice.pk)
    with mock.patch.object(page_cache, "changed") as changed:
        group.user_set.remove(alice)
    changed.assert_any_call(alice.pk)


# --- the CSRF token is the reader's -------------------------------------------------------

def tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_a_page_cached_in_one_browser_posts_from_another(alice, course):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(alice)
    second.force_login(alice)
    read(first, course_url(course))
    html = read(second, course_url(course))  # from the cache, rendered for the first browser
    assert tokens(html), "the course page has forms"
    assert page_cache.csrf_placeholder() not in html
    lesson = course.lessons.order_by("number").first()
    response = second.post(reverse("lesson-complete", args=[course.slug, lesson.slug]),
                           {"csrfmiddlewaretoken": tokens(html).pop(), "complete": "1"})
    assert response.status_code == 302  # not 403: the token is this browser's


# --- writes make pages stale -------------------------------------------------------------

def test_a_students_own_post_shows_at_once(client, alice, course):
    client.force_login(alice)
    lesson = course.lessons.order_by("number").first()
    before = read(client, course_url(course))
    client.post(reverse("lesson-complete", args=[course.slug, lesson.slug]), {"complete": "1"})
    after = read(client, course_url(course))
    assert not same(after, before)


def test_the_grading_workers_updates_show_without_the_student_asking(client, alice, course, lab, sent):
    client.force_login(alice)
    submission = submit(alice, lab, [("app.yaml", GOOD)], run=False)
    url = submission.get_absolute_url()
    assert "Queued" in read(client, url) or "queued" in read(client, url)
    token = services.submission_claim(submission.pk)  # a worker's conditional UPDATE: no signal
    running = read(client, url)
    assert "unning" in running
    services.submission_run(submission.pk, token)
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.PASSED
    assert read(client, url) != running
    lab_page = read(client, reverse("lab", args=[course.slug, lab.slug]))
    assert "Passed" in lab_page or "passed" in lab_page


def test_a_regrade_by_an_instructor_shows_on_the_students_page(client, alice, lab, sent):
    submission = submit(alice, lab, [("app.yaml", GOOD)])
    client.force_login(alice)
    graded = read(client, submission.get_absolute_url())
    assert services.submission_regrade(submission=submission)
    assert not same(read(client, submission.get_absolute_url()), graded)


def test_a_due_date_set_by_an_instructor_shows_on_every_students_dashboard(client, alice, course, lab):
    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=datetime.date(2026, 3, 1))
    Enrollment.objects.create(cohort=cohort, student=alice)
    client.force_login(alice)
    before = read(client, reverse("dashboard"))
    DueDate.objects.create(cohort=cohort, item_key=lab_key(lab.slug),
                           due_at=timezone.now() + datetime.timedelta(days=2))
    assert not same(read(client, reverse("dashboard")), before)


def test_shifting_a_cohorts_dates_with_one_update_shows(client, alice, course, lab):
    from courses import schedule

    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=datetime.date(2026, 3, 1))
    Enrollment.objects.create(cohort=cohort, student=alice)
    DueDate.objects.create(cohort=cohort, item_key=lab_key(lab.slug),
                           due_at=timezone.now() + datetime.timedelta(days=20))
    client.force_login(alice)
    url = reverse("lab", args=[course.slug, lab.slug])
    before = read(client, url)
    schedule.shift_all(cohort, 3)
    assert not same(read(client, url), before)


def test_new_content_shows_for_everyone(client, alice, course):
    client.force_login(alice)
    before = read(client, course_url(course))
    Lesson.objects.filter(pk=course.lessons.first().pk).update(title="Renamed")  # no signal…
    assert same(read(client, course_url(course)), before)  # …so this write alone is not seen,
    lesson = course.lessons.first()
    lesson.title = "Renamed again"
    lesson.save()  # but every ORM save is
    assert "Renamed again" in read(client, course_url(course))


def test_the_quiz_beat_task_submitting_an_expired_attempt_shows(client, alice, quiz_course_with_attempt):
    course, attempt = quiz_course_with_attempt(alice)
    from courses.quiz import services as quiz_service

    client.force_login(alice)
    home = reverse("quiz", args=[course.slug])
    with mock.patch.object(page_cache, "fresh_until"):  # kept whatever the deadline
        before = read(client, home)
    assert same(read(client, home), before)
    # The deadline passes (an UPDATE: no signal, nothing marked), then the beat task submits it.
    type(attempt).objects.filter(pk=attempt.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    assert quiz_service.close_expired_attempts() == 1
    assert not same(read(client, home), before)


@pytest.fixture
def quiz_course_with_attempt(tmp_path):
    from courses.models import Course
    from courses.quiz import services as quiz_service
    from courses.services import course_import
    from courses.tests.conftest import write_course

    def make(user):
        course_import(path=write_course(tmp_path, quiz=True))
        course = Course.objects.get(slug="test-course")
        course.quiz.time_limit_minutes = 30
        course.quiz.save()
        return course, quiz_service.attempt_start(quiz=course.quiz, user=user)

    return make


# --- the clock --------------------------------------------------------------------------

def test_a_page_showing_a_due_date_is_kept_only_until_it_passes(client, alice, course, lab):
    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=datetime.date(2026, 3, 1))
    Enrollment.objects.create(cohort=cohort, student=alice)
    due = timezone.now() + datetime.timedelta(minutes=3)  # sooner than PAGE_CACHE_SECONDS
    DueDate.objects.create(cohort=cohort, item_key=lab_key(lab.slug), due_at=due)
    client.force_login(alice)
    url = reverse("lab", args=[course.slug, lab.slug])
    before = read(client, url)
    later = due.timestamp() + 60
    with mock.patch("lms.page_cache.time.time", return_value=later), \
         mock.patch("django.utils.timezone.now", return_value=due + datetime.timedelta(minutes=1)):
        after = read(client, url)
    assert not same(after, before)  # rendered again: the item is now overdue


def test_next_change_is_the_first_soon_or_due_moment_ahead():
    from courses.schedule import next_change

    now = timezone.now()

    class Row:
        def __init__(self, days):
            self.due_at = now + datetime.timedelta(days=days)

    assert next_change([Row(-1)], now) is None
    assert next_change([Row(3)], now) == now + datetime.timedelta(days=3)
    assert next_change([Row(10), Row(30)], now) == now + datetime.timedelta(days=3)


# --- messages, htmx, failures -------------------------------------------------------------

def test_a_waiting_message_is_shown_once_and_not_kept(client, alice, course, lab, sent):
    submit(alice, lab, [("app.yaml", GOOD)], run=False)  # still being graded
    client.force_login(alice)
    url = reverse("lab", args=[course.slug, lab.slug])
    read(client, url)
    response = client.post(reverse("lab-submit", args=[course.slug, lab.slug]),
                           {"paste": GOOD.decode()}, follow=True)
    assert "still being graded" in response.content.decode()  # the refusal, on the lab page
    assert "still being graded" not in read(client, url)  # once


def test_a_cache_outage_renders_the_page(client, alice, course):
    client.force_login(alice)
    with mock.patch.object(page_cache, "_store") as store:
        store.return_value.get_many.side_effect = ConnectionError("redis down")
        assert course.title in read(client, course_url(course))


def test_htmx_requests_are_never_stored(client, alice, lab, sent):
    submission = submit(alice, lab, [("app.yaml", GOOD)], run=False)
    client.force_login(alice)
    client.get(submission.get_absolute_url(), headers={"HX-Request": "true"})
    from django.core.cache import caches

    assert not [k for k in caches["default"]._cache if ":page:" in k]


# --- every model is classified ----------------------------------------------------------

def test_every_model_with_a_user_says_whose_pages_it_changes():
    user_model = get_user_model()
    missing = []
    for label in page_cache.WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            owned = {f.related_model for f in model._meta.fields if isinstance(f, models.ForeignKey)}
            refers = {m._meta.label_lower for m in owned if m is not None}
            if (user_model in owned or refers & set(page_cache.OWNERS)) and \
                    model._meta.label_lower not in page_cache.OWNERS:
                missing.append(model._meta.label_lower)
    assert missing == []


def test_each_owner_path_resolves_to_the_user(alice, lab, sent):
    submission = submit(alice, lab, [("app.yaml", GOOD)])
    result = submission.results.first()
    assert page_cache.owner_of(submission) == alice.pk
    fresh = type(result).objects.get(pk=result.pk)  # the parent not loaded: read by query
    assert page_cache.owner_of(fresh) == alice.pk


# --- a lesson's article is kept once, not in each student's copy --------------------------------

def test_a_cached_lesson_page_keeps_a_marker_for_the_article_and_serves_it_whole(client, alice, course):
    from django.core.cache import caches

    lesson = course.lessons.order_by("number").first()
    url = lesson.get_absolute_url()
    client.force_login(alice)
    first = read(client, url)
    (key,) = [k.split(":", 2)[2] for k in caches["default"]._cache if ":page:" in k]  # ":1:page:…"
    entry = caches["default"].get(key)
    assert entry["shared"] and b'id="lesson-body"' not in entry["body"]
    second = read(client, url)
    assert 'id="lesson-body"' in second and same(second, first)
    caches["content"].clear()  # another process: it has no article yet
    page_cache.forget_shared()
    third = read(client, url)
    assert 'id="lesson-body"' in third and same(third, first)
    assert page_cache.csrf_placeholder() not in third



def test_a_new_release_does_not_serve_the_previous_ones_pages(settings, tmp_path):
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "base.html"
    page.write_text('<link href="/static/css/site.abc123.css">')
    settings.BASE_DIR = tmp_path
    before = page_cache.build_id.__wrapped__()
    page.write_text('<link href="/static/css/site.def456.css">')
    assert page_cache.build_id.__wrapped__() != before


def test_made_up_urls_cannot_fill_the_cache(client, alice, course, settings):
    settings.PAGE_CACHE_MAX_PER_USER = 3
    client.force_login(alice)
    for word in ("pods", "nodes", "services", "ingress", "volumes"):
        read(client, f"{reverse('search')}?q={word}")
    from django.core.cache import caches

    assert len([k for k in caches["default"]._cache if ":page:" in k]) == 3
    with CaptureQueriesContext(connection) as queries:
        read(client, f"{reverse('search')}?q=volumes")  # not kept: searched again
    assert len(queries) > 2


@pytest.mark.parametrize("page", ["course", "dashboard"])
def test_course_page_and_dashboard_are_kept_only_until_a_due_date_passes(client, alice, course, lab, page):
    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=datetime.date(2026, 3, 1))
    Enrollment.objects.create(cohort=cohort, student=alice)
    due = timezone.now() + datetime.timedelta(minutes=3)  # sooner than PAGE_CACHE_SECONDS
    DueDate.objects.create(cohort=cohort, item_key=lab_key(lab.slug), due_at=due)
    client.force_login(alice)
    url = course_url(course) if page == "course" else reverse("dashboard")
    before = read(client, url)
    with mock.patch("lms.page_cache.time.time", return_value=due.timestamp() - 60):
        assert same(read(client, url), before)  # still kept a minute before
    with mock.patch("lms.page_cache.time.time", return_value=due.timestamp() + 60), \
         mock.patch("django.utils.timezone.now", return_value=due + datetime.timedelta(minutes=1)):
        after = read(client, url)
    assert not same(after, before)  # rendered again: overdue now


def test_a_cache_outage_while_storing_still_serves_the_rendered_page(client, alice, course):
    client.force_login(alice)
    with mock.patch.object(page_cache, "_within_budget", side_effect=ConnectionError("redis down")):
        assert course.title in read(client, course_url(course))
