"""Write a validated quiz spec into the database (called by course_import)."""


from django.urls import reverse

from courses.import_report import ImportReport, update_if_changed
from courses.markdown import render_markdown
from courses.models import Course, Question, Quiz
from courses.quiz.files import QuizSpec
from lms import page_cache


def quiz_write(*, course: Course, spec: QuizSpec, report: ImportReport) -> Quiz:
    s = spec.settings
    values = {
        "title": spec.title,
        "description_html": render_markdown(spec.description).html,
        "questions_per_attempt": s["questions_per_attempt"],
        "pass_percent": s["pass_percent"],
        "attempts_allowed": s["attempts_allowed"],
        "cooldown_minutes": s["cooldown_minutes"],
        "cooldown_after_failures": s["cooldown_after_failures"],
        "cooldown_hours": s["cooldown_hours"],
        "time_limit_minutes": s["time_limit_minutes"],
        "shuffle_questions": s["shuffle_questions"],
        "shuffle_options": s["shuffle_options"],
        "show_review": s["show_review"],
        "topics": spec.topics,
    }
    quiz = Quiz.objects.filter(course=course).first()
    if quiz is None:
        quiz = Quiz.objects.create(course=course, **values)
        report.created.append("quiz")
    else:
        update_if_changed(quiz, values, "quiz", report)

    lessons = {(lesson.number, lesson.slug): lesson for lesson in course.lessons.all()}
    existing = {q.key: q for q in quiz.questions.all()}
    created = 0
    for q in spec.questions:
        number, slug, anchor = q.lesson
        lesson = lessons[(number, slug)]
        values = {
            "position": q.position, "topic": q.topic, "difficulty": q.difficulty, "kind": q.kind,
            "text_html": render_markdown(q.text).html,
            "options": [{"id": o["id"], "html": _inline(o["text"]), "correct": o["correct"]}
                        for o in q.options],
            "accept": q.accept, "accept_regex": q.accept_regex, "command": q.command,
            "explanation_html": render_markdown(q.explanation).html,
            "lesson_url": reverse("lesson", args=[course.slug, slug]) + f"#{anchor}",
            "lesson_label": f"Lesson {number:02d}: {lesson.title}", "active": True,
        }
        question = existing.pop(q.key, None)
        if question is None:
            Question.objects.create(quiz=quiz, key=q.key, **values)
            created += 1
        else:
            update_if_changed(question, values, f"question {q.key}", report)
    if created:
        report.created.append(f"{created} quiz question(s)")
    retired = [q for q in existing.values() if q.active]
    if retired:
        # Attempts refer to old questions: retire them rather than delete them.
        Question.objects.filter(pk__in=[q.pk for q in retired]).update(active=False)
        page_cache.changed_for_all()  # update() sends no signal (lms/page_cache.py)
        report.removed += [f"question {q.key} (retired)" for q in retired]
    return quiz


def _inline(text: str) -> str:
    html = render_markdown(text).html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
