"""Autosave in one checked statement (issue 17): as cheap as it gets, and refusing all it refused.

Once a process has met a question, a save is one INSERT … SELECT … ON CONFLICT (or DELETE) whose
WHERE checks the attempt's owner, course, status, deadline and drawn questions and that the
question row still has the kind and options the answer was parsed against. Anything it does not
write goes through the checked path, which answers 404 / 400 / 409 as before. Each hostile case
here runs with the question already met, so it is the one-statement path that has to refuse.
On PostgreSQL the statement also makes Django's session check (lms/session_auth.py: the user is
not loaded), so a stale, deactivated or forged session must be refused by it too."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Answer, Attempt, Course, Question
from courses.quiz import services as quiz_service
from courses.services import course_import
from courses.tests.conftest import write_course
from courses.tests.test_quiz import save, start

pytestmark = pytest.mark.django_db

DRAWN = ["q-single", "q-multi", "q-short", "q-alpha-3"]  # q-beta-2 and q-beta-3 are not drawn


@pytest.fixture(autouse=True)
def no_questions_met():
    """Every test starts in a process that has met no question (ids are reused between tests)."""
    quiz_service._autosave_questions.clear()
    yield
    quiz_service._autosave_questions.clear()


@pytest.fixture
def attempt(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    Attempt.objects.filter(pk=attempt.pk).update(question_keys=DRAWN)
    attempt.refresh_from_db()
    return attempt


def option(key, n=0, course=None):
    slug = course.slug if course else "test-course"
    return Question.objects.get(key=key, quiz__course__slug=slug).options[n]["id"]


def saved(attempt, key):
    answer = Answer.objects.filter(attempt=attempt, question__key=key).first()
    return answer and answer.response


def meet(client, course, attempt, key, *values):
    """Save once through the checked path, so that the process knows the question."""
    assert (course.slug, key) not in quiz_service._autosave_questions
    assert save(client, course, attempt, key, *values).status_code == 200
    assert (course.slug, key) in quiz_service._autosave_questions


def test_a_save_of_a_met_question_is_one_statement(client, quiz_course, attempt, django_assert_num_queries):
    right_a, right_b = option("q-multi", 0), option("q-multi", 1)
    meet(client, quiz_course, attempt, "q-multi", right_a)
    # The session + the one statement, which on PostgreSQL also checks the session's user (no
    # user row read: lms/session_auth.py); on SQLite the user is read first.
    # (The checked path: session + user + attempt + question + upsert.)
    expected = 2 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(expected) as ctx:
        response = save(client, quiz_course, attempt, "q-multi", right_a, right_b)
    assert response.status_code == 200
    assert ctx.captured_queries[-1]["sql"].startswith('INSERT INTO "courses_answer"')
    assert saved(attempt, "q-multi") == [right_a, right_b]
    with django_assert_num_queries(expected):
        response = save(client, quiz_course, attempt, "q-multi")  # an empty answer clears
    assert response.status_code == 200
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_short_answers_are_stored_and_saved_at_moves(client, quiz_course, attempt):
    meet(client, quiz_course, attempt, "q-short", "kubectl get pods")
    first = Answer.objects.get(attempt=attempt).saved_at
    assert save(client, quiz_course, attempt, "q-short", "  kubectl get events  ").status_code == 200
    answer = Answer.objects.get(attempt=attempt)
    assert answer.response == {"text": "kubectl get events"} and answer.saved_at >= first
    assert answer.is_correct is None
    assert Answer.objects.count() == 1


@pytest.mark.parametrize("tz", ["", "Asia/Kolkata"])
def test_the_response_is_what_the_status_template_renders(client, quiz_course, attempt, tz):
    moment = datetime.datetime(2026, 12, 3, 5, 7, 9, tzinfo=datetime.UTC)
    if tz:
        client.cookies["tz"] = tz
    meet(client, quiz_course, attempt, "q-single", option("q-single"))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
        if tz:
            timezone.activate(tz)
        try:
            expected = render_to_string("courses/quiz/_save_status.html",
                                        {"key": "q-single", "saved_at": moment})
        finally:
            timezone.deactivate()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == expected
    assert ("10:37:09" if tz else "05:07:09") in expected
    assert Answer.objects.get(attempt=attempt).saved_at == moment


def test_another_students_attempt_is_404_and_nothing_changes(client, quiz_course, attempt, bob):
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    client.force_login(bob)
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == 404
    assert saved(attempt, "q-single") == [option("q-single", 0)]
    assert save(client, quiz_course, attempt, "q-single").status_code == 404  # nor cleared
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_another_courses_url_is_404(client, quiz_course, attempt, tmp_path):
    """Another course's quiz has a question with the same key, and this process has met both."""
    course_import(path=write_course(tmp_path / "other", slug="other-course", quiz=True))
    other = Course.objects.get(slug="other-course")
    other_attempt = start(client, other)
    Attempt.objects.filter(pk=other_attempt.pk).update(question_keys=DRAWN)
    meet(client, other, other_attempt, "q-single", option("q-single", 0, other))
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    for course, wrong_attempt in [(other, attempt), (quiz_course, other_attempt)]:
        response = client.post(reverse("quiz-save", args=[course.slug, wrong_attempt.pk]),
                               {"question": "q-single", "q-q-single": option("q-single", 1, course)})
        assert response.status_code == 404
    assert saved(attempt, "q-single") == [option("q-single", 0)]
    assert saved(other_attempt, "q-single") == [option("q-single", 0, other)]


def test_a_submitted_attempt_is_refused(client, quiz_course, attempt):
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]))
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == 409 and "submitted" in response.content.decode()
    assert save(client, quiz_course, attempt, "q-single").status_code == 409
    assert saved(attempt, "q-single") == [option("q-single", 0)]


@pytest.mark.parametrize(("seconds_ago", "status"), [(60, 409), (6, 409), (3, 200)])
def test_the_deadline_and_its_grace(client, quiz_course, attempt, seconds_ago, status):
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    deadline = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == status
    if status == 409:
        assert "Time is up" in response.content.decode()
        assert saved(attempt, "q-single") == [option("q-single", 0)]
    else:
        assert saved(attempt, "q-single") == [option("q-single", 1)]


def test_a_question_not_in_the_attempt_is_refused(client, quiz_course, attempt):
    for _ in range(2):  # the first time the process meets the question, then with it known
        response = save(client, quiz_course, attempt, "q-beta-2", option("q-beta-2"))
        assert response.status_code == 400
    assert (quiz_course.slug, "q-beta-2") in quiz_service._autosave_questions
    assert not Answer.objects.exists()
    question = quiz_service._autosave_questions[(quiz_course.slug, "q-beta-2")]
    assert quiz_service.autosave_checked_write(user_id=attempt.user.pk, course_slug=quiz_course.slug,
                                               attempt_id=attempt.pk, key="q-beta-2",
                                               values=[question.options[0]["id"]]) is None
    assert not Answer.objects.exists()


@pytest.mark.parametrize(("key", "values", "message"), [
    ("q-single", ["forged-id"], "does not belong"),
    ("q-multi", ["x' OR 1=1 --"], "does not belong"),
    ("q-short", ["k" * 501], "too long"),
])
def test_malformed_answers_are_refused(client, quiz_course, attempt, key, values, message):
    meet(client, quiz_course, attempt, key, *(["kubectl get pods"] if key == "q-short" else [option(key)]))
    before = saved(attempt, key)
    response = save(client, quiz_course, attempt, key, *values)
    assert response.status_code == 409 and message in response.content.decode()
    assert saved(attempt, key) == before


def test_two_options_for_a_single_choice_are_refused(client, quiz_course, attempt):
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1), option("q-single", 2))
    assert response.status_code == 409 and "Choose one" in response.content.decode()
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_a_stale_question_in_memory_never_lets_a_wrong_answer_in(client, quiz_course, attempt):
    """The row changed after the process read it (a re-import): the statement sees it and the
    checked path parses against the row, then the process remembers the row."""
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    met = quiz_service._autosave_questions[(quiz_course.slug, "q-single")]
    stale = Question(pk=met.pk, quiz_id=met.quiz_id, key=met.key, kind="multiple",
                     options=[*met.options, {"id": "gone", "html": "Removed", "correct": False}])
    quiz_service._autosave_questions[(quiz_course.slug, "q-single")] = stale
    response = save(client, quiz_course, attempt, "q-single", "gone")  # valid for the stale copy only
    assert response.status_code == 409 and "does not belong" in response.content.decode()
    quiz_service._autosave_questions[(quiz_course.slug, "q-single")] = stale
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1), option("q-single", 2))
    assert response.status_code == 409 and "Choose one" in response.content.decode()  # the row's kind
    assert saved(attempt, "q-single") == [option("q-single", 0)]
    assert quiz_service._autosave_questions[(quiz_course.slug, "q-single")].kind == "single"


def test_csrf_is_still_checked(quiz_course, attempt, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk]))
    token = client.cookies["csrftoken"].value
    url = reverse("quiz-save", args=[quiz_course.slug, attempt.pk])
    body = {"question": "q-single", "q-q-single": option("q-single", 0)}
    assert client.post(url, body, headers={"X-CSRFToken": token}).status_code == 200
    body["q-q-single"] = option("q-single", 1)
    assert client.post(url, body).status_code == 403
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_memory_stays_bounded(quiz_course, attempt, monkeypatch):
    monkeypatch.setattr(quiz_service._autosave_questions, "size", 2)
    for key in DRAWN:
        quiz_service.autosave_targets(user=attempt.user, course_slug=quiz_course.slug,
                                      attempt_id=attempt.pk, key=key)
    assert list(quiz_service._autosave_questions) == [(quiz_course.slug, k) for k in DRAWN[-2:]]


# --- the session, checked inside the statement (PostgreSQL) -----------------------------------

def met_single(client, quiz_course, attempt):
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    return reverse("quiz-save", args=[quiz_course.slug, attempt.pk])


def test_a_session_from_before_a_password_change_saves_nothing(client, quiz_course, attempt, alice):
    met_single(client, quiz_course, attempt)
    alice.set_password("another-password-3377")
    alice.save()
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_a_deactivated_students_session_saves_nothing(client, quiz_course, attempt, alice):
    met_single(client, quiz_course, attempt)
    alice.is_active = False
    alice.save()
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == 302
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_a_session_naming_the_owner_without_their_password_hash_saves_nothing(client, quiz_course, attempt,
                                                                                alice, bob):
    """Say a session were made to name Alice's id with Bob's hash: the statement's check fails and
    the ordinary check signs it out."""
    from django.contrib.auth import SESSION_KEY

    met_single(client, quiz_course, attempt)
    mallory = Client()
    mallory.force_login(bob)
    session = mallory.session
    session[SESSION_KEY] = str(alice.pk)
    session.save()
    response = save(mallory, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == 302
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_a_session_under_a_previous_secret_key_saves_the_ordinary_way(client, quiz_course, attempt, settings):
    """SECRET_KEY rotated with the old one in SECRET_KEY_FALLBACKS: the statement's check (current
    key only) does not match, Django's does and moves the session to the new key."""
    met_single(client, quiz_course, attempt)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-" + settings.SECRET_KEY
    response = save(client, quiz_course, attempt, "q-single", option("q-single", 1))
    assert response.status_code == 200
    assert saved(attempt, "q-single") == [option("q-single", 1)]


def test_a_staff_members_autosave_marks_only_their_own_pages(client, quiz_course, attempt, alice):
    from lms import page_cache

    met_single(client, quiz_course, attempt)
    alice.is_staff = True
    alice.save()
    with mock.patch.object(page_cache, "changed_for_all") as everyone, \
            mock.patch.object(page_cache, "changed") as changed:
        assert save(client, quiz_course, attempt, "q-single", option("q-single", 1)).status_code == 200
    changed.assert_called_with(alice.pk)
    everyone.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_a_dead_kept_connection_is_replaced_and_the_answer_saved(client, quiz_course, attempt):
    """The autosave skips the health check's round trip: a kept connection the server has closed
    (a restart, a failover) costs one retry on a new connection, not an error."""
    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend (set DATABASE_URL)")
    met_single(client, quiz_course, attempt)
    second = option("q-single", 1)
    dead = connection.connection.info.backend_pid
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dead])
    finally:
        killer.close()
    connection.health_check_done = False  # as at the start of a request on a kept connection
    assert quiz_service.autosave_checked_write(user_id=attempt.user_id, course_slug=quiz_course.slug,
                                               attempt_id=attempt.pk, key="q-single", values=[second])
    assert connection.connection.info.backend_pid != dead
    assert saved(attempt, "q-single") == [second]


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="prepared statements are PostgreSQL's (set DATABASE_URL)")
def test_the_statement_is_prepared_once_per_connection(client, quiz_course, attempt):
    """PostgreSQL parses and plans the checked write once (lms/prepared.py): as text it cost more
    than running it."""
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    for n in (1, 0, 1):
        assert save(client, quiz_course, attempt, "q-single", option("q-single", n)).status_code == 200
    assert saved(attempt, "q-single") == [option("q-single", 1)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements "
                       "WHERE statement LIKE 'INSERT INTO %%courses_answer%%'")
        statements = [row[0] for row in cursor.fetchall()]
    assert len(statements) == 1 and "$1" in statements[0]


@pytest.mark.parametrize("text", ["x'); DELETE FROM courses_answer; --", "%s %(x)s $1 $2 ::jsonb",
                                  "\\x00 ' \" \\ ` \u202e \U0001f600"])
def test_hostile_short_answers_are_stored_as_typed(client, quiz_course, attempt, text):
    """Parameters are bound on the server (lms/prepared.py): a text that looks like SQL, a
    placeholder or an escape is stored as the student typed it; other rows are untouched."""
    meet(client, quiz_course, attempt, "q-single", option("q-single", 0))
    meet(client, quiz_course, attempt, "q-short", "first")
    assert save(client, quiz_course, attempt, "q-short", text).status_code == 200
    assert saved(attempt, "q-short") == {"text": text}
    assert saved(attempt, "q-single") == [option("q-single", 0)]


def test_a_nul_in_a_short_answer_is_refused_not_a_server_error(client, quiz_course, attempt):
    """PostgreSQL's jsonb cannot hold U+0000: it was a 500 on both paths."""
    meet(client, quiz_course, attempt, "q-short", "first")
    response = save(client, quiz_course, attempt, "q-short", "kubectl\x00 get pods")
    assert response.status_code == 409 and b"NUL character" in response.content
    assert saved(attempt, "q-short") == {"text": "first"}


def test_a_nul_in_a_submitted_answer_submits_nothing(client, quiz_course, attempt):
    """The final answers go through the same parse: refused (the submit's answer for a malformed
    answer), nothing stored, the attempt still open for a proper submit."""
    url = reverse("quiz-submit", args=[quiz_course.slug, attempt.pk])
    assert client.post(url, {"q-q-short": "a\x00b"}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN and saved(attempt, "q-short") is None
    assert client.post(url, {"q-q-short": "ab"}).status_code == 302
