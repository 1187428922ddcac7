"""The quiz: loading quiz.yaml, drawing, autosave, submitting once, integrity, review."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Answer, Attempt, Question, QuizOverride
from courses.quiz import services as quiz_service
from courses.quiz.files import normalise
from courses.services import course_import
from courses.tests.conftest import QUIZ_YAML, write_course
from courses.yaml_lines import ContentErrors

# --- loading -------------------------------------------------------------------------------


def import_with(tmp_path, quiz_text):
    course_dir = write_course(tmp_path)
    (course_dir / "quiz.yaml").write_text(quiz_text)
    return course_import(path=course_dir)


@pytest.mark.django_db
def test_quiz_loads_with_its_questions(quiz):
    assert quiz.questions.count() == 6
    single = quiz.questions.get(key="q-single")
    assert [o["correct"] for o in single.options] == [True, False, False]
    assert single.lesson_url.endswith("/lessons/lesson-1/#first-topic")
    assert quiz.pass_score == 3


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), [
    (("kind: single\n    lesson_link: 01-lesson-1.md#first-topic\n    text: Which one",
      "kind: essay\n    lesson_link: 01-lesson-1.md#first-topic\n    text: Which one"),
     "[questions[0].kind]: must be one of single, multiple, short"),
    (("- {text: Wrong one}", "- {text: Wrong one, correct: true}"),
     "question 'q-single': single choice needs 2+ options and exactly 1 correct, has 2"),
    (("    explanation: EXPLAIN-MULTI.\n", ""), "missing required field 'questions[1].explanation'"),
    (("02-lesson-2.md#first-topic", "02-lesson-2.md#nowhere"),
     "question 'q-short': no heading #nowhere in 02-lesson-2.md"),
    (("accept_regex: '^kubectl get events\\b'", "accept_regex: '(unclosed'"),
     "question 'q-short': does not compile"),
    (("topic: beta\n    difficulty: easy\n    kind: short",
      "topic: gamma\n    difficulty: easy\n    kind: short"),
     "question 'q-beta-3': unknown topic 'gamma'"),
])
def test_loader_names_the_question_and_problem(tmp_path, change, message):
    text = QUIZ_YAML.replace(*change)
    assert text != QUIZ_YAML
    with pytest.raises(ContentErrors) as info:
        import_with(tmp_path, text)
    assert message in str(info.value)
    assert "quiz.yaml:" in str(info.value)


@pytest.mark.django_db
def test_reimport_is_idempotent_and_retires_removed_questions(tmp_path):
    import_with(tmp_path, QUIZ_YAML)
    report = import_with(tmp_path, QUIZ_YAML)
    assert not report.changed
    cut = QUIZ_YAML[:QUIZ_YAML.index("  - id: q-beta-3")]
    report = import_with(tmp_path, cut.replace("min: 2}", "min: 1}"))
    assert "question q-beta-3 (retired)" in report.removed
    assert Question.objects.get(key="q-beta-3").active is False


def test_short_answers_ignore_case_space_and_quotes():
    assert normalise('  "Kubectl   DESCRIBE pod  web" ') == "kubectl describe pod web"
    assert normalise("`nvidia.com/gpu`") == "nvidia.com/gpu"


# --- drawing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_draw_guarantees_topic_minimums_and_is_reproducible(quiz):
    questions = list(quiz.questions.all())
    topic = {q.key: q.topic for q in questions}
    for seed in range(50):
        keys, orders = quiz_service.draw(quiz, questions, seed)
        assert len(keys) == 4 and len(set(keys)) == 4
        assert sum(topic[k] == "alpha" for k in keys) >= 2
        assert sum(topic[k] == "beta" for k in keys) >= 1
        assert quiz_service.draw(quiz, questions, seed) == (keys, orders)
    single = quiz.questions.get(key="q-single")
    orders = {tuple(quiz_service.draw(quiz, questions, s)[1].get("q-single", [])) for s in range(50)}
    assert all(sorted(o) == sorted(opt["id"] for opt in single.options) for o in orders if o)
    assert len(orders - {()}) > 1  # options really are shuffled


# --- taking the quiz -------------------------------------------------------------------------


def start(client, course):
    response = client.post(reverse("quiz-start", args=[course.slug]))
    assert response.status_code == 302
    return Attempt.objects.latest("pk")


def save(client, course, attempt, key, *values):
    return client.post(reverse("quiz-save", args=[course.slug, attempt.pk]),
                       {"question": key, f"q-{key}": list(values)}, headers={"HX-Request": "true"})


def correct_values(question):
    if question.kind == "short":
        return [question.accept[0]]
    return [o["id"] for o in question.options if o["correct"]]


def test_starting_twice_returns_the_same_open_attempt(client, quiz_course, alice):
    client.force_login(alice)
    first = start(client, quiz_course)
    second = start(client, quiz_course)
    assert first.pk == second.pk
    assert Attempt.objects.count() == 1
    assert len(first.question_keys) == 4


def test_answers_are_autosaved_and_shown_again_on_reload(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    key = attempt.question_keys[0]
    question = Question.objects.get(key=key)
    response = save(client, quiz_course, attempt, key, *correct_values(question))
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    assert Answer.objects.filter(attempt=attempt, question=question).exists()
    page = client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk])).content.decode()
    assert "1</span> of 4 answered" in page
    value = correct_values(question)[0]
    assert (f'value="{value}" checked' in page) or (f'value="{value}"' in page and question.kind == "short")


def test_taking_page_never_contains_answers_or_explanations(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    page = client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk])).content.decode()
    assert "EXPLAIN" not in page
    assert "correct" not in page.lower().replace("incorrect", "")
    assert "kubectl describe pod web" not in page and "events\\b" not in page
    saved = save(client, quiz_course, attempt, attempt.question_keys[0], "x").content.decode()
    assert "EXPLAIN" not in saved


def test_answers_to_questions_outside_the_attempt_are_rejected(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    outside = next(q for q in Question.objects.all() if q.key not in attempt.question_keys)
    assert save(client, quiz_course, attempt, outside.key, "x").status_code == 400
    response = client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]),
                           {f"q-{outside.key}": "x"})
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_students_cannot_touch_each_others_attempts(client, quiz_course, alice, bob):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    client.force_login(bob)
    key = attempt.question_keys[0]
    assert client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk])).status_code == 404
    assert save(client, quiz_course, attempt, key, "x").status_code == 404
    assert client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk])).status_code == 404
    assert not Answer.objects.exists()


def test_submit_scores_once_and_shows_review(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    form = {f"q-{k}": correct_values(questions[k]) for k in attempt.question_keys[:3]}
    url = reverse("quiz-submit", args=[quiz_course.slug, attempt.pk])
    assert client.post(url, form).status_code == 302
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.passed) == ("submitted", 3, True)
    # A second click or a second tab: one result, nothing changes.
    wrong = {f"q-{k}": ["nonsense"] for k in attempt.question_keys}
    client.post(url, wrong)
    attempt.refresh_from_db()
    assert attempt.score == 3
    page = client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk])).content.decode()
    assert "3 / 4" in page and "Passed" in page and "EXPLAIN" in page


def test_submit_runs_a_fixed_number_of_queries(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    answers = {k: correct_values(questions[k]) for k in attempt.question_keys}
    with CaptureQueriesContext(connection) as ctx:
        quiz_service.attempt_submit(attempt=attempt, answers=answers)
    # claim, questions, answers, insert new, mark correctness, score (+ savepoints): one query
    # per step, not per question.
    assert len(ctx.captured_queries) <= 10, [q["sql"][:80] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk]))
    assert len(page.captured_queries) <= 10


def test_answers_after_the_deadline_are_not_counted(client, quiz_course, alice, quiz):
    quiz.time_limit_minutes = 10
    quiz.save()
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    first = attempt.question_keys[0]
    save(client, quiz_course, attempt, first, *correct_values(questions[first]))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    late = save(client, quiz_course, attempt, attempt.question_keys[1],
                *correct_values(questions[attempt.question_keys[1]]))
    assert late.status_code == 409 and "Time is up" in late.content.decode()
    form = {f"q-{k}": correct_values(questions[k]) for k in attempt.question_keys}
    client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]), form)
    attempt.refresh_from_db()
    assert attempt.score == 1 and attempt.auto_submitted


def test_expired_attempts_are_submitted_with_what_was_saved(quiz, alice):
    quiz.time_limit_minutes = 5
    quiz.save()
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    question = Question.objects.get(key=attempt.question_keys[0])
    quiz_service.attempt_save_answer(attempt=attempt, question=question, values=correct_values(question))
    later = timezone.now() + datetime.timedelta(minutes=6)
    assert quiz_service.close_expired_attempts(now=later) == 1
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == 1 and attempt.auto_submitted
    assert quiz_service.close_expired_attempts(now=later) == 0


def test_attempt_limit_cooldown_and_cohort_override(quiz, alice, cohort):
    quiz.attempts_allowed, quiz.cooldown_minutes = 1, 30
    quiz.save()
    first = quiz_service.attempt_start(quiz=quiz, user=alice)
    quiz_service.attempt_submit(attempt=first)
    with pytest.raises(quiz_service.QuizError, match="used all 1 attempts"):
        quiz_service.attempt_start(quiz=quiz, user=alice)
    QuizOverride.objects.create(quiz=quiz, cohort=cohort, attempts_allowed=3)
    with pytest.raises(quiz_service.QuizError, match="cooldown"):
        quiz_service.attempt_start(quiz=quiz, user=alice)
    later = timezone.now() + datetime.timedelta(minutes=31)
    assert quiz_service.attempt_start(quiz=quiz, user=alice, now=later).number == 2


@pytest.mark.parametrize(("setting", "passed", "shown"), [
    ("never", True, False), ("after_passing", False, False), ("after_passing", True, True)])
def test_review_follows_the_quiz_setting(client, quiz_course, quiz, alice, setting, passed, shown):
    quiz.show_review = setting
    quiz.save()
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    form = {f"q-{k}": correct_values(questions[k]) for k in attempt.question_keys} if passed else {}
    client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]), form)
    page = client.get(reverse("quiz-attempt", args=[quiz_course.slug, attempt.pk])).content.decode()
    assert ("EXPLAIN" in page) is shown


def test_short_answer_regex_and_accept_list(quiz):
    short = quiz.questions.get(key="q-short")
    assert quiz_service.is_correct(short, {"text": "KUBECTL describe pod   web"})
    assert quiz_service.is_correct(short, {"text": "'kubectl get events -w'"})
    assert not quiz_service.is_correct(short, {"text": "kubectl logs web"})


def test_passing_the_quiz_ticks_criteria_and_dashboard(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]),
                {f"q-{k}": correct_values(questions[k]) for k in attempt.question_keys})
    course_page = client.get(quiz_course.get_absolute_url()).content.decode()
    assert 'id="criterion-pass-quiz" class="checklist-item is-ticked"' in course_page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Best 4/4 — passed" in dashboard


# --- instructors --------------------------------------------------------------------------------


def test_item_analysis_and_results_for_instructors(client, quiz_course, quiz, alice, ivy, cohort):
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    quiz_service.attempt_submit(attempt=attempt, answers={})
    client.force_login(ivy)
    analysis = client.get(reverse("admin:courses_quiz_analysis", args=[quiz.pk]))
    assert analysis.status_code == 200
    assert "Facility" in analysis.content.decode()
    results = reverse("admin:courses_quiz_results", args=[quiz.pk])
    csv = client.get(f"{results}?cohort={cohort.pk}&format=csv")
    rows = csv.content.decode().splitlines()
    assert rows[0] == "email,name,attempts,best_score,max_score,passed"
    assert rows[1] == "alice@example.com,Alice,1,0,4,no"


def test_instructor_sees_only_their_students_attempts_and_can_reset(client, quiz, alice, bob, ivy,
                                                                     cohort, other_cohort):
    quiz_service.attempt_start(quiz=quiz, user=alice)
    quiz_service.attempt_start(quiz=quiz, user=bob)
    client.force_login(ivy)
    listing = client.get(reverse("admin:courses_attempt_changelist")).content.decode()
    assert "alice@example.com" in listing and "bob@example.com" not in listing
    alice_attempt = Attempt.objects.get(user=alice)
    client.post(reverse("admin:courses_attempt_changelist"),
                {"action": "reset_attempts", "_selected_action": [alice_attempt.pk]})
    alice_attempt.refresh_from_db()
    assert alice_attempt.voided and alice_attempt.status == "submitted"


def test_dashboard_says_what_is_left_to_complete_the_course(client, tmp_path, alice):
    course_dir = write_course(tmp_path, quiz=True)
    course_yaml = course_dir / "course.yaml"
    course_yaml.write_text(course_yaml.read_text() + "completion: {quiz: true}\n")
    course_import(path=course_dir)
    client.force_login(alice)
    html = client.get(reverse("dashboard")).content.decode()
    assert "To complete the course: finish 3 lessons; pass the quiz." in html
