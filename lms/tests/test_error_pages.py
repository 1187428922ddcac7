"""Issue 14: styled 404, 403, CSRF-failure and 500 pages with a way back, that never show an
exception, a traceback or a crafted path. Tests run with DEBUG off (Django's test runner)."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.template import loader
from django.test import Client
from django.urls import path, reverse

from courses.quiz import services as quiz_service
from lms import urls as site_urls

SECRET = "SECRET-DETAIL-/etc/podium/key"


def _boom(request, rest=""):
    raise RuntimeError(f"{SECRET} while handling {rest}")


def _forbidden(request):
    raise PermissionDenied(SECRET)


# This module is the URLconf of the tests marked `urls(__name__)`: the site plus two broken views.
urlpatterns = [*site_urls.urlpatterns, path("test-boom/<path:rest>", _boom),
               path("test-forbidden/", _forbidden)]


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.django_db
def test_404_is_styled_with_a_way_back_and_does_not_echo_the_path(client):
    response = client.get("/no-such-page/<script>alert(1)</script>/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "We can't find that page" in html and 'class="site-header"' in html
    assert 'href="/static/css/error_pages.css"' in html
    assert '<a class="button" href="/">See the courses</a>' in html
    assert "alert(1)" not in html and "no-such-page" not in html


def test_404_for_another_students_attempt_names_nothing(client, quiz, alice, bob):
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    client.force_login(bob)
    response = client.get(reverse("quiz-attempt", args=[quiz.course.slug, attempt.pk]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "No Attempt matches" not in html and "Attempt" not in visible_text(html)
    assert f'href="{reverse("dashboard")}">Go to your dashboard</a>' in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_403_is_styled_and_never_shows_the_reason(client, alice):
    client.force_login(alice)
    response = client.get("/test-forbidden/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "This page isn't available to you" in html and 'class="site-header"' in html
    assert SECRET not in html and "Go to your dashboard" in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_403_signed_out_offers_to_log_in(client):
    html = client.get("/test-forbidden/").content.decode()
    assert f'href="{reverse("login")}?next=/test-forbidden/">log in</a>' in html


@pytest.mark.django_db
def test_a_form_from_before_logging_in_again_gets_the_reload_page(alice):
    """Tab A shows a form; tab B logs in again (a new CSRF token); tab A submits."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(reverse("password_change")).content.decode()
    stale = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    client.logout()  # in tab B: log out, and in again
    client.get(reverse("login"))
    before = client.cookies["csrftoken"].value
    response = client.post(reverse("login"), {"username": alice.email, "password": "pw-for-tests-1",
                                              "csrfmiddlewaretoken": before})
    assert response.status_code == 302
    assert client.cookies["csrftoken"].value != before  # logging in renews the token
    referer = "http://testserver" + reverse("password_change")
    response = client.post(reverse("password_change"), {"csrfmiddlewaretoken": stale,
                                                        "old_password": "x"}, headers={"referer": referer})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your form wasn't sent: please reload the page" in html and "(perhaps in another tab)" in html
    assert f'<a class="button" href="{referer}" id="reload-page">Reload the page</a>' in html
    assert "CSRF" not in visible_text(html) and "token" not in visible_text(html).lower()


@pytest.mark.django_db
@pytest.mark.parametrize("referer", ["https://evil.example/phish", "javascript:alert(1)", "//evil.example/"])
def test_the_reload_link_never_leaves_the_site(referer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a@example.com"}, headers={"referer": referer})
    html = response.content.decode()
    assert response.status_code == 403
    assert '<a class="button" href="/" id="reload-page">' in html
    assert "evil" not in html and "javascript:" not in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_500_is_styled_and_shows_no_traceback_even_for_a_crafted_path(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get('/test-boom/"><script>alert(1)</script>/Traceback')
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and 'href="/static/css/podium.css"' in html
    assert SECRET not in html and "RuntimeError" not in html and "alert(1)" not in html
    assert "Traceback" not in html and 'File "' not in html


def test_500_renders_without_a_request_context_processors_or_database(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html and '<a class="button" href="/">' in html
    assert "<script" not in html and " style=" not in html


def test_an_autosave_from_before_logging_in_again_says_it_was_not_saved(quiz, alice):
    """The quiz autosaves through htmx: a refused save must say so where the answer is, not vanish."""
    from courses.models import Answer

    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("quiz-attempt", args=[quiz.course.slug, attempt.pk]))
    stale = client.cookies["csrftoken"].value
    client.cookies["csrftoken"] = "x" * 32  # the session's token, renewed by a login in another tab
    key = attempt.question_keys[0]
    response = client.post(reverse("quiz-save", args=[quiz.course.slug, attempt.pk]),
                           {"question": key, f"q-{key}": "x"},
                           headers={"HX-Request": "true", "X-CSRFToken": stale})
    html = response.content.decode()
    assert response.status_code == 403
    assert html.strip().startswith('<span class="save-error">Not saved: this page is out of date')
    assert "<html" not in html and '<a href="">Reload the page</a>' in html
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_a_signed_out_reader_is_told_their_session_changed():
    client = Client(enforce_csrf_checks=True)
    html = client.post(reverse("login"), {"username": "a@example.com"}).content.decode()
    assert "before your session changed" in html and "perhaps in another tab" not in html
