"""Issue 12 item 10: the quiz bank can't be harvested.

Before a student passes (or has used their last allowed attempt) the review marks each question
right or wrong and links the lesson to revise, but never shows a correct option, an accepted
answer or an explanation of a question they got wrong; failed attempts bring a cooldown; both
can be changed per cohort.
"""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import dateformat, timezone

from courses.models import Attempt, Enrollment, Question, Quiz, QuizOverride
from courses.quiz import services as quiz_service
from courses.services import course_import
from courses.tests.conftest import QUIZ_YAML, write_course
from courses.yaml_lines import ContentErrors

SECTION_RE = re.compile(r'<section class="question card[^"]*" aria-labelledby="r-([\w-]+)">(.*?)</section>',
                        re.S)
OPTION_RE = (r'<label class="option"><input type="(?:radio|checkbox)" name="q-{key}" value="{id}"> '
             r'<span>{html}</span></label>')


def start(client, course) -> tuple[Attempt | None, str]:
    """Press "Start"; the attempt (None if refused) and the page the student lands on."""
    before = Attempt.objects.count()
    response = client.post(reverse("quiz-start", args=[course.slug]), follow=True)
    assert response.status_code == 200
    attempt = Attempt.objects.latest("pk") if Attempt.objects.count() > before else None
    return attempt, response.content.decode()


def save(client, course, attempt, key, *values):
    return client.post(reverse("quiz-save", args=[course.slug, attempt.pk]),
                       {"question": key, f"q-{key}": list(values)}, headers={"HX-Request": "true"})


def submit(client, course, attempt, form=None):
    return client.post(reverse("quiz-submit", args=[course.slug, attempt.pk]), form or {})


def review(client, course, attempt) -> str:
    response = client.get(reverse("quiz-attempt", args=[course.slug, attempt.pk]))
    assert response.status_code == 200
    return response.content.decode()


def sections(page: str) -> dict[str, str]:
    """Question key -> the visible text of its review section."""
    return {key: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for key, body in SECTION_RE.findall(page)}


def right(question: Question) -> list[str]:
    return [question.accept[0]] if question.kind == "short" else [
        o["id"] for o in question.options if o["correct"]]


def wrong(question: Question) -> list[str]:
    return ["not the answer"] if question.kind == "short" else [
        next(o["id"] for o in question.options if not o["correct"])]


def correct_texts(question: Question) -> list[str]:
    return [o["html"] for o in question.options if o["correct"]]


def assert_reveals_nothing(page: str, attempt: Attempt, questions: dict[str, Question]) -> None:
    """The review of `attempt` marks each question but shows no answer to a question missed."""
    shown = sections(page)
    assert sorted(shown) == sorted(attempt.question_keys)  # a review really is there
    for key in attempt.question_keys:
        text, question = shown[key], questions[key]
        assert "Revise: Lesson" in text
        assert "correct" not in text.replace("incorrect", "")
        for option in correct_texts(question):
            assert option not in text, (key, option)
        assert "Accepted" not in text
    assert "EXPLAIN" not in page and "opt-correct" not in page


def assert_full_review(page: str, attempt: Attempt, questions: dict[str, Question]) -> None:
    shown = sections(page)
    assert sorted(shown) == sorted(attempt.question_keys)
    for key in attempt.question_keys:
        question = questions[key]
        assert f"EXPLAIN-{key.removeprefix('q-').upper().replace('ALPHA-', 'A').replace('BETA-', 'B')}" \
            in shown[key], key
        for option in correct_texts(question):
            assert option in shown[key]
        if question.kind == "short":
            assert f"Accepted: {question.accept[0]}" in shown[key]


@pytest.fixture
def questions(quiz):
    return {q.key: q for q in quiz.questions.all()}


# --- the harvest attack ------------------------------------------------------------------------


def test_fifteen_blank_attempts_never_reveal_a_correct_answer(client, quiz_course, quiz, alice, questions):
    # The reported attack: unlimited attempts, review after each one, no cooldown.
    quiz.attempts_allowed, quiz.cooldown_after_failures = 0, 0
    quiz.save()
    client.force_login(alice)
    seen = set()
    for _ in range(15):
        attempt, taking = start(client, quiz_course)
        assert attempt is not None
        for key in attempt.question_keys:
            question = questions[key]
            fieldset = taking[taking.index(f'id="question-{key}"'):]
            fieldset = fieldset[:fieldset.index("</fieldset>")]
            # Every option is drawn with identical markup: nothing on the attempt page sets the
            # correct one apart (no class or attribute that depends on correctness).
            for option in question.options:
                html = re.escape(option["html"])
                assert re.search(OPTION_RE.format(key=re.escape(key), id=option["id"], html=html), fieldset)
            # The htmx autosave answers the same to a right and a wrong answer.
            said = [re.sub(r"\d\d:\d\d:\d\d", "T", save(client, quiz_course, attempt, key, *answer)
                           .content.decode()).strip() for answer in (right(question), wrong(question))]
            assert said[0] == said[1] == "Saved T"
            save(client, quiz_course, attempt, key)  # cleared again: a blank attempt
        assert "EXPLAIN" not in taking and "Accepted" not in taking
        response = submit(client, quiz_course, attempt)
        assert response.status_code == 302 and response.content == b""
        page = review(client, quiz_course, attempt)
        assert "0 / 4" in page and "Not passed yet" in page
        assert_reveals_nothing(page, attempt, questions)
        home = client.get(reverse("quiz", args=[quiz_course.slug])).content.decode()
        assert "EXPLAIN" not in home
        seen |= set(attempt.question_keys)
    assert seen == set(questions)  # the whole bank was drawn, and none of it leaked
    for attempt in Attempt.objects.filter(user=alice):  # earlier reviews stay guarded too
        assert_reveals_nothing(review(client, quiz_course, attempt), attempt, questions)


def test_a_wrong_answer_shows_only_the_students_own_choice(client, quiz_course, quiz, alice, questions):
    client.force_login(alice)
    attempt, _ = start(client, quiz_course)
    submit(client, quiz_course, attempt, {f"q-{k}": wrong(questions[k]) for k in attempt.question_keys})
    page = review(client, quiz_course, attempt)
    assert_reveals_nothing(page, attempt, questions)
    shown = sections(page)
    for key in attempt.question_keys:
        question = questions[key]
        assert "✗ incorrect" in shown[key]
        if question.kind == "short":
            assert "Your answer: not the answer" in shown[key]
        else:
            chosen = next(o for o in question.options if o["id"] == wrong(question)[0])
            assert f"{chosen['html']} (your answer)" in shown[key]


def test_a_question_answered_right_shows_its_explanation_before_passing(client, quiz_course, quiz, alice,
                                                                        questions):
    client.force_login(alice)
    attempt, _ = start(client, quiz_course)
    first, *others = attempt.question_keys
    submit(client, quiz_course, attempt, {f"q-{first}": right(questions[first])})
    attempt.refresh_from_db()
    assert attempt.score == 1 and not attempt.passed
    shown = sections(review(client, quiz_course, attempt))
    assert "✓ correct" in shown[first] and "EXPLAIN" in shown[first]
    for key in others:
        assert "EXPLAIN" not in shown[key]
        for option in correct_texts(questions[key]):
            assert option not in shown[key]


# --- when the full review is shown --------------------------------------------------------------


def test_passing_shows_the_full_review_of_every_attempt(client, quiz_course, quiz, alice, questions):
    client.force_login(alice)
    failed, _ = start(client, quiz_course)
    submit(client, quiz_course, failed)
    assert_reveals_nothing(review(client, quiz_course, failed), failed, questions)
    passed, _ = start(client, quiz_course)
    submit(client, quiz_course, passed, {f"q-{k}": right(questions[k]) for k in passed.question_keys})
    passed.refresh_from_db()
    assert passed.passed
    assert_full_review(review(client, quiz_course, passed), passed, questions)
    assert_full_review(review(client, quiz_course, failed), failed, questions)


def test_the_last_allowed_attempt_unlocks_the_full_review(client, quiz_course, quiz, alice, questions):
    quiz.attempts_allowed = 2
    quiz.save()
    client.force_login(alice)
    first, _ = start(client, quiz_course)
    submit(client, quiz_course, first)
    assert_reveals_nothing(review(client, quiz_course, first), first, questions)
    last, _ = start(client, quiz_course)
    # The last attempt is still open: the earlier review must not help with it.
    assert_reveals_nothing(review(client, quiz_course, first), first, questions)
    submit(client, quiz_course, last)
    assert_full_review(review(client, quiz_course, first), first, questions)
    assert_full_review(review(client, quiz_course, last), last, questions)


@pytest.mark.parametrize("setting", ["after_passing", "never"])
def test_stricter_review_settings_show_the_score_only_before_passing(client, quiz_course, quiz, alice,
                                                                     questions, setting):
    quiz.show_review = setting
    quiz.save()
    client.force_login(alice)
    attempt, _ = start(client, quiz_course)
    submit(client, quiz_course, attempt)
    page = review(client, quiz_course, attempt)
    assert "0 / 4" in page and not sections(page) and "EXPLAIN" not in page


def test_a_student_cannot_fetch_another_students_review(client, quiz_course, quiz, alice, bob, questions):
    client.force_login(alice)
    attempt, _ = start(client, quiz_course)
    submit(client, quiz_course, attempt, {f"q-{k}": right(questions[k]) for k in attempt.question_keys})
    assert_full_review(review(client, quiz_course, attempt), attempt, questions)
    client.force_login(bob)
    assert client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk])).status_code == 404


# --- cooldown after failed attempts ---------------------------------------------------------------


def when(moment: datetime.datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y, H:i T")


def test_a_third_attempt_on_the_same_day_waits_for_the_cooldown(client, quiz_course, quiz, alice, bob):
    assert (quiz.cooldown_after_failures, quiz.cooldown_hours) == (2, 24)  # the defaults
    client.force_login(alice)
    for _ in range(2):
        attempt, _ = start(client, quiz_course)
        submit(client, quiz_course, attempt)
    last = Attempt.objects.filter(user=alice).latest("submitted_at")
    attempt, page = start(client, quiz_course)
    assert attempt is None and Attempt.objects.filter(user=alice).count() == 2
    message = (f"You have failed 2 attempts within 24 hours: you can try again from "
               f"{when(last.submitted_at + datetime.timedelta(hours=24))}.")
    assert message in page
    home = client.get(reverse("quiz", args=[quiz_course.slug])).content.decode()
    assert message in home and "Start a new attempt" not in home
    assert "2 failed attempts, then a 24 h pause" in home

    client.force_login(bob)  # another student is not affected
    assert start(client, quiz_course)[0] is not None

    client.force_login(alice)
    Attempt.objects.filter(user=alice).update(
        submitted_at=timezone.now() - datetime.timedelta(hours=24, minutes=1))
    attempt, _ = start(client, quiz_course)
    assert attempt is not None and attempt.number == 3


def test_the_cooldown_counts_failures_in_a_sliding_window(quiz, alice):
    t0 = timezone.now() - datetime.timedelta(days=10)
    hour = datetime.timedelta(hours=1)

    def fail_at(moment):
        attempt = quiz_service.attempt_start(quiz=quiz, user=alice, now=moment)
        quiz_service.attempt_submit(attempt=attempt, now=moment)

    fail_at(t0)
    fail_at(t0 + 25 * hour)  # a day apart: one failure in any 24 hours, no cooldown
    fail_at(t0 + 26 * hour)
    with pytest.raises(quiz_service.QuizError, match="failed 2 attempts within 24 hours"):
        quiz_service.attempt_start(quiz=quiz, user=alice, now=t0 + 49 * hour)
    assert quiz_service.attempt_start(quiz=quiz, user=alice, now=t0 + 50 * hour).number == 4


def test_a_passed_attempt_is_not_a_failure(quiz, alice):
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    quiz_service.attempt_submit(attempt=attempt)
    Attempt.objects.filter(pk=attempt.pk).update(passed=True)
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    quiz_service.attempt_submit(attempt=attempt)
    assert quiz_service.attempt_start(quiz=quiz, user=alice).number == 3


# --- per-cohort overrides -------------------------------------------------------------------------


def fail_twice(quiz, user):
    for _ in range(2):
        quiz_service.attempt_submit(attempt=quiz_service.attempt_start(quiz=quiz, user=user))


def test_a_cohort_override_lifts_or_shortens_the_cooldown_for_that_cohort_only(quiz, alice, bob, cohort,
                                                                              other_cohort):
    override = QuizOverride.objects.create(quiz=quiz, cohort=cohort, cooldown_after_failures=0)
    fail_twice(quiz, alice)
    fail_twice(quiz, bob)
    assert quiz_service.attempt_start(quiz=quiz, user=alice).number == 3
    with pytest.raises(quiz_service.QuizError, match="failed 2 attempts"):
        quiz_service.attempt_start(quiz=quiz, user=bob)
    override.cooldown_after_failures, override.cooldown_hours = None, 1
    override.save()
    quiz_service.attempt_submit(attempt=Attempt.objects.get(user=alice, status="open"))
    with pytest.raises(quiz_service.QuizError, match="within 1 hour:"):
        quiz_service.attempt_start(quiz=quiz, user=alice)
    later = timezone.now() + datetime.timedelta(hours=1, minutes=1)
    assert quiz_service.attempt_start(quiz=quiz, user=alice, now=later).number == 4


def test_a_cohort_override_changes_the_review_for_that_cohort_only(client, quiz_course, quiz, alice, bob,
                                                                  cohort, other_cohort, questions):
    QuizOverride.objects.create(quiz=quiz, cohort=cohort, show_review=Quiz.Review.NEVER)
    QuizOverride.objects.create(quiz=quiz, cohort=other_cohort, show_review=Quiz.Review.IMMEDIATELY)
    quiz.show_review = Quiz.Review.AFTER_PASSING
    quiz.save()
    for student, marked in ((alice, False), (bob, True)):
        client.force_login(student)
        attempt, _ = start(client, quiz_course)
        submit(client, quiz_course, attempt)
        page = review(client, quiz_course, attempt)
        if marked:
            assert_reveals_nothing(page, attempt, questions)
        else:
            assert not sections(page) and "This quiz does not show answers." in page


def test_an_invitation_not_yet_accepted_brings_no_cohort_settings(quiz, alice, cohort):
    QuizOverride.objects.create(quiz=quiz, cohort=cohort, cooldown_after_failures=0, attempts_allowed=9)
    Enrollment.objects.filter(student=alice, cohort=cohort).update(status=Enrollment.Status.INVITED)
    rules = quiz_service.rules_for(quiz, alice)
    assert (rules.cooldown_after_failures, rules.attempts_allowed) == (2, 0)


def test_override_cooldown_hours_must_be_sensible(quiz, cohort):
    for hours in (0, 721):
        with pytest.raises(ValidationError, match="between 1 and 720"):
            QuizOverride(quiz=quiz, cohort=cohort, cooldown_hours=hours).full_clean()
    QuizOverride(quiz=quiz, cohort=cohort, cooldown_hours=1).full_clean()


def test_instructors_set_review_and_cooldown_per_cohort_in_the_admin(client, quiz, ivy, cohort):
    client.force_login(ivy)
    url = reverse("admin:courses_cohort_change", args=[cohort.pk])
    form = {"name": "Spring", "course": cohort.course_id, "starts_on": "2026-03-01", "ends_on": "",
            "quiz_overrides-TOTAL_FORMS": "1", "quiz_overrides-INITIAL_FORMS": "0",
            "quiz_overrides-0-quiz": quiz.pk, "quiz_overrides-0-show_review": "never",
            "quiz_overrides-0-cooldown_after_failures": "3", "quiz_overrides-0-cooldown_hours": "0"}
    refused = client.post(url, form)
    assert refused.status_code == 200 and "Must be between 1 and 720 hours." in refused.content.decode()
    assert not QuizOverride.objects.exists()
    response = client.post(url, {**form, "quiz_overrides-0-cooldown_hours": "12"})
    assert response.status_code == 302
    saved = QuizOverride.objects.get(cohort=cohort)
    assert (saved.show_review, saved.cooldown_after_failures, saved.cooldown_hours) == ("never", 3, 12)
    page = client.get(url).content.decode()
    for field in ("show_review", "cooldown_after_failures", "cooldown_hours"):
        assert f'name="quiz_overrides-0-{field}"' in page


# --- quiz.yaml --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_quiz_yaml_cooldown_settings_are_imported(tmp_path):
    course_dir = write_course(tmp_path)
    settings = "  cooldown_minutes: 0\n  cooldown_after_failures: 3\n  cooldown_hours: 48\n"
    (course_dir / "quiz.yaml").write_text(QUIZ_YAML.replace("  cooldown_minutes: 0\n", settings))
    course_import(path=course_dir)
    quiz = Quiz.objects.get()
    assert (quiz.cooldown_after_failures, quiz.cooldown_hours) == (3, 48)


@pytest.mark.django_db
@pytest.mark.parametrize(("setting", "message"), [
    ("cooldown_hours: 0", "[settings.cooldown_hours]: must be between 1 and 720 hours, not 0"),
    ("cooldown_after_failures: -1", "[settings.cooldown_after_failures]: must be 0 or more, not -1"),
    ("cooldown_after_failures: two", "settings.cooldown_after_failures"),
])
def test_quiz_yaml_refuses_a_bad_cooldown_naming_the_setting(tmp_path, setting, message):
    course_dir = write_course(tmp_path)
    (course_dir / "quiz.yaml").write_text(QUIZ_YAML.replace("  cooldown_minutes: 0\n",
                                                            f"  cooldown_minutes: 0\n  {setting}\n"))
    with pytest.raises(ContentErrors) as info:
        course_import(path=course_dir)
    assert message in str(info.value) and "quiz.yaml:" in str(info.value)
