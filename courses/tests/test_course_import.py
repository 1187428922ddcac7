import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.models import Course, Lesson
from courses.services import course_import
from courses.tests.conftest import lesson_text, write_course
from courses.yaml_lines import ContentErrors


@pytest.mark.django_db
def test_import_creates_course_and_lessons(course_dir):
    report = course_import(path=course_dir)
    assert report.created == ["course test-course", "lesson 01-lesson-1", "lesson 02-lesson-2",
                              "lesson 03-lesson-3"]
    course = Course.objects.get(slug="test-course")
    assert course.code == "Module 99"
    assert "<em>small</em>" in course.summary_html
    assert course.details["tools"]["required"][0]["name"] == "kubectl"
    lesson = course.lessons.get(number=1)
    assert '<h2 id="first-topic">' in lesson.body_html
    assert lesson.toc[0]["id"] == "first-topic"


@pytest.mark.django_db
def test_second_import_changes_nothing_and_says_so(course_dir, capsys):
    course_import(path=course_dir)
    before = list(Lesson.objects.values_list("pk", "body_html"))
    call_command("load_course", str(course_dir))
    out = capsys.readouterr().out
    assert "up to date, nothing changed" in out
    assert list(Lesson.objects.values_list("pk", "body_html")) == before


@pytest.mark.django_db
def test_import_reports_updates_and_removals(course_dir):
    course_import(path=course_dir)
    body = (course_dir / "02-lesson-2.md").read_text().split("---\n", 2)[2]
    (course_dir / "02-lesson-2.md").write_text(lesson_text(2, "Lesson 2, revised", body=body))
    (course_dir / "03-lesson-3.md").unlink()
    report = course_import(path=course_dir)
    assert report.updated == ["lesson 02-lesson-2 (title, objectives)"]
    assert report.removed == ["lesson 03-lesson-3"]
    assert Lesson.objects.count() == 2


@pytest.mark.django_db
def test_lessons_can_swap_numbers(course_dir):
    course_import(path=course_dir)
    (course_dir / "01-lesson-1.md").rename(course_dir / "02-lesson-1.md")
    (course_dir / "02-lesson-2.md").rename(course_dir / "01-lesson-2.md")
    (course_dir / "02-lesson-1.md").write_text(lesson_text(2, "Lesson 1"))
    (course_dir / "01-lesson-2.md").write_text(lesson_text(1, "Lesson 2"))
    course_import(path=course_dir)
    assert dict(Lesson.objects.values_list("slug", "number")) == {
        "lesson-1": 2, "lesson-2": 1, "lesson-3": 3}


@pytest.mark.django_db
def test_bad_content_changes_nothing(course_dir):
    course_import(path=course_dir)
    (course_dir / "02-lesson-2.md").write_text(lesson_text(2, "Changed", body="## A\n\n[x](#nowhere)\n"))
    with pytest.raises(ContentErrors) as info:
        course_import(path=course_dir)
    assert "no heading #nowhere in this lesson" in str(info.value)
    assert Lesson.objects.get(number=2).title == "Lesson 2"


@pytest.mark.django_db
def test_links_between_lessons_are_checked(tmp_path):
    course_dir = write_course(tmp_path)
    (course_dir / "01-lesson-1.md").write_text(lesson_text(
        1, "One", body="## Intro\n\nSee [two](02-lesson-2.md#first-topic) and [x](02-lesson-2.md#missing)"
                       " and [y](07-nothing.md).\n"))
    with pytest.raises(ContentErrors) as info:
        course_import(path=course_dir)
    messages = [str(e) for e in info.value.errors]
    assert any("01-lesson-1.md:11 [link]: no heading #missing in 02-lesson-2.md" in m for m in messages)
    assert any("no lesson file 07-nothing.md" in m for m in messages)
    assert len(messages) == 2


@pytest.mark.django_db
def test_missing_diagram_is_an_error(course_dir):
    (course_dir / "01-lesson-1.md").write_text(lesson_text(1, "One", body="![x](diagrams/nope.svg)\n"))
    with pytest.raises(ContentErrors, match="no static file 'diagrams/nope.svg'"):
        course_import(path=course_dir)


@pytest.mark.django_db
def test_command_reports_errors_and_fails(course_dir):
    (course_dir / "02-lesson-2.md").write_text("oops")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("load_course", str(course_dir))


def test_command_rejects_missing_directory(tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("load_course", str(tmp_path / "nope"))
