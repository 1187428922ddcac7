"""The loader refuses bad content with a message naming file, line and field."""

import pytest

from courses.content_files import read_course
from courses.tests.conftest import lesson_text
from courses.yaml_lines import ContentErrors


def errors_of(course_dir) -> list[str]:
    with pytest.raises(ContentErrors) as info:
        read_course(course_dir)
    return [str(e) for e in info.value.errors]


def test_reads_a_valid_course(course_dir):
    spec = read_course(course_dir)
    assert spec.slug == "test-course"
    assert [lesson.number for lesson in spec.lessons] == [1, 2, 3]
    assert spec.lessons[0].slug == "lesson-1"
    assert spec.lessons[0].objectives == ["Explain lesson 1"]
    assert spec.meta["prerequisites"][1]["optional"] is True
    assert spec.lab_slugs is None


def test_rejects_missing_front_matter(course_dir):
    (course_dir / "02-lesson-2.md").write_text("# No front matter\n")
    [error] = errors_of(course_dir)
    assert "02-lesson-2.md:1" in error
    assert "missing front matter" in error


def test_rejects_unclosed_front_matter(course_dir):
    (course_dir / "02-lesson-2.md").write_text("---\ntitle: x\n")
    [error] = errors_of(course_dir)
    assert "front matter is not closed" in error


def test_reports_yaml_syntax_error_with_file_line(course_dir):
    (course_dir / "02-lesson-2.md").write_text("---\ntitle: x\nnumber: [2\n---\nbody\n")
    [error] = errors_of(course_dir)
    assert "02-lesson-2.md:" in error
    assert "invalid YAML" in error


def test_names_missing_front_matter_field_and_line(course_dir):
    text = lesson_text(2, "Two").replace("duration_hours: 1\n", "")
    (course_dir / "02-lesson-2.md").write_text(text)
    [error] = errors_of(course_dir)
    assert "missing required field 'duration_hours'" in error
    assert "02-lesson-2.md:1" in error  # the front matter's first line


def test_names_field_with_wrong_type(course_dir):
    text = lesson_text(2, "Two").replace("duration_hours: 1", "duration_hours: soon")
    (course_dir / "02-lesson-2.md").write_text(text)
    [error] = errors_of(course_dir)
    assert "02-lesson-2.md:4 [duration_hours]: must be a number" in error


def test_rejects_unknown_field(course_dir):
    text = lesson_text(2, "Two").replace("number: 2", "number: 2\ntitel: typo")
    (course_dir / "02-lesson-2.md").write_text(text)
    [error] = errors_of(course_dir)
    assert "[titel]: unknown field" in error


def test_rejects_duplicate_lesson_number(course_dir):
    (course_dir / "02-other.md").write_text(lesson_text(2, "Other"))
    [error] = errors_of(course_dir)
    assert "duplicate lesson number 2" in error
    assert "[number]" in error


def test_rejects_number_that_disagrees_with_file_name(course_dir):
    (course_dir / "04-four.md").write_text(lesson_text(5, "Four"))
    [error] = errors_of(course_dir)
    assert "04-four.md:3 [number]: is 5 but the file name says 4" in error


def test_rejects_badly_named_lesson_file(course_dir):
    (course_dir / "intro.md").write_text(lesson_text(4, "Intro"))
    [error] = errors_of(course_dir)
    assert "intro.md" in error and "NN-slug.md" in error


def test_unknown_hands_on_lab_is_an_error_once_labs_exist(course_dir):
    (course_dir / "01-lesson-1.md").write_text(lesson_text(1, "One", hands_on="lab-that-is-not-there"))
    read_course(course_dir)  # no labs/ folder yet: nothing to check against
    (course_dir / "labs" / "real-lab").mkdir(parents=True)
    [error] = errors_of(course_dir)
    assert "01-lesson-1.md:7 [hands_on]: unknown lab 'lab-that-is-not-there'" in error


def test_course_yaml_errors_name_the_field_and_line(course_dir):
    path = course_dir / "course.yaml"
    path.write_text(path.read_text().replace("duration_hours: 3", "duration_hours: three"))
    [error] = errors_of(course_dir)
    assert "course.yaml:4 [duration_hours]: must be an integer" in error


def test_course_yaml_missing_is_reported(tmp_path):
    [error] = errors_of(tmp_path)
    assert "course.yaml not found" in error


def test_success_criterion_pointing_at_missing_lesson(course_dir):
    path = course_dir / "course.yaml"
    path.write_text(path.read_text().replace("evidence: {lessons: [1]}", "evidence: {lessons: [9]}"))
    [error] = errors_of(course_dir)
    assert "success_criteria[0].evidence.lessons" in error and "no lesson number 9" in error


def test_duplicate_checklist_keys(course_dir):
    path = course_dir / "course.yaml"
    path.write_text(path.read_text().replace("{key: cloud,", "{key: docker,"))
    [error] = errors_of(course_dir)
    assert "prerequisites[1].key" in error and "duplicate key 'docker'" in error


def test_all_errors_are_reported_together(course_dir):
    (course_dir / "02-lesson-2.md").write_text("no front matter")
    (course_dir / "03-lesson-3.md").write_text("no front matter either")
    assert len(errors_of(course_dir)) == 2
