"""Reading lab.yaml (pure) and importing labs with load_course."""

from pathlib import Path

import pytest

from courses.services import course_import
from courses.yaml_lines import ContentErrors
from grading.labs import read_lab
from grading.models import Lab, LabCheck, ManualGrade, ManualItem
from grading.tests.conftest import FAKE_CHECKS, LAB_YAML, PRACTICAL_YAML, write_lab


def lab_at(tmp_path: Path, text: str, **kwargs):
    return read_lab(write_lab(tmp_path, "my-lab", text), registry=FAKE_CHECKS, **kwargs)


def errors_of(tmp_path: Path, text: str, **kwargs) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        lab_at(tmp_path, text, **kwargs)
    return [str(e) for e in caught.value.errors]


def test_reads_a_lab(tmp_path):
    spec = lab_at(tmp_path, LAB_YAML.format(attempts=3))
    assert (spec.slug, spec.kind, spec.lesson, spec.attempts_allowed) == ("my-lab", "activity", 1, 3)
    assert spec.pass_percent == 100 and spec.ingress_domain == "podium.test"
    assert [c.id for c in spec.checks] == ["deployment", "replicas"]
    assert spec.checks[1].params == {"min": 3}
    assert spec.max_points == 3


def test_practical_defaults(tmp_path):
    spec = lab_at(tmp_path, PRACTICAL_YAML)
    assert spec.pass_percent == 70
    assert spec.require_readme is True
    assert [(m.id, m.points) for m in spec.manual] == [("demo", 10.0)]


def test_missing_field_names_file_line_and_field(tmp_path):
    [error] = errors_of(tmp_path, LAB_YAML.format(attempts=0).replace("    hint: Write a Deployment.\n", ""))
    assert error.endswith("lab.yaml:11 [checks[0]]: missing required field 'checks[0].hint'")


def test_unknown_check_function(tmp_path):
    [error] = errors_of(tmp_path, LAB_YAML.format(attempts=0).replace("check: has-kind", "check: has-knd"))
    assert "[checks[0].check]: check 'deployment': unknown check function 'has-knd'" in error


def test_unknown_check_parameter_names_the_check(tmp_path):
    [error] = errors_of(tmp_path, LAB_YAML.format(attempts=0).replace("{min: 3}", "{minimum: 3}"))
    assert "lab.yaml:21 [checks[1].params]: check 'replicas' (min-replicas):" in error
    assert "minimum" in error


def test_bad_kind_lesson_and_link(tmp_path):
    text = (
        LAB_YAML.format(attempts=0)
        .replace("kind: activity", "kind: exam")
        .replace("lesson: 1", "lesson: 9")
        .replace("01-lesson-1.md#first-topic", "lesson-1#x", 1)
    )
    errors = errors_of(tmp_path, text, lesson_numbers={1, 2, 3})
    assert any("[kind]: must be one of activity, practical, lesson" in e for e in errors)
    assert any("[lesson]: no lesson number 9" in e for e in errors)


def test_lesson_links_are_resolved(tmp_path):
    spec = lab_at(tmp_path, LAB_YAML.format(attempts=0), resolve_link=lambda link: ("/url/" + link, None))
    assert spec.checks[0].lesson_url == "/url/01-lesson-1.md#first-topic"


def test_bad_lesson_link_is_an_error(tmp_path):
    [error] = errors_of(
        tmp_path,
        LAB_YAML.format(attempts=0),
        resolve_link=lambda link: (None, "no heading") if "summary" in link else ("/u", None),
    )
    assert "[checks[1].lesson_link]: no heading" in error


def test_duplicate_ids(tmp_path):
    [error] = errors_of(tmp_path, LAB_YAML.format(attempts=0).replace("id: replicas", "id: deployment"))
    assert "[checks[1].id]: duplicate id 'deployment'" in error


def test_live_check_ids_are_reserved(tmp_path):
    [error] = errors_of(tmp_path, LAB_YAML.format(attempts=0).replace("id: replicas", "id: live-pods"))
    assert "[checks[1].id]: ids starting with 'live-' are kept for the live checks" in error


# --- import through load_course -------------------------------------------------------------


def test_load_course_imports_labs_with_checks_and_rubric(course):
    lab = Lab.objects.get(course=course, slug="first-deployment")
    assert lab.lesson.number == 1
    assert [(c.check_id, c.function, c.params) for c in lab.checks.all()] == [
        ("deployment", "has-kind", {"kind": "Deployment"}),
        ("replicas", "min-replicas", {"min": 3}),
    ]
    assert lab.checks.first().lesson_url == "/courses/test-course/lessons/lesson-1/#first-topic"
    assert 'href="/courses/test-course/lessons/lesson-1/#first-topic"' in lab.instructions_html
    practical = Lab.objects.get(course=course, slug="practical")
    assert practical.manual_items.get().item_id == "demo"


def test_import_reports_labs_and_is_idempotent(course_dir, db):
    first = course_import(path=course_dir)
    assert "lab first-deployment" in first.created and "lab practical" in first.created
    second = course_import(path=course_dir)
    assert not second.changed
    assert "lab first-deployment" in second.unchanged


def test_changed_lab_is_updated_and_rubric_grades_survive(course_dir, course, alice):
    from grading.tests.conftest import submit

    practical = Lab.objects.get(slug="practical")
    submission = submit(
        alice, practical, [("a.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")]
    )
    ManualGrade.objects.create(submission=submission, item=practical.manual_items.get(), points=5)
    write_lab(course_dir, "practical", PRACTICAL_YAML.replace("title: Demo", "title: Live demo"))
    report = course_import(path=course_dir)
    assert any(line.startswith("lab practical") for line in report.updated)
    assert ManualItem.objects.get(lab=practical).title == "Live demo"
    assert ManualGrade.objects.get(submission=submission).points == 5


def test_bad_lab_rolls_back_the_whole_import(course_dir, course):
    write_lab(course_dir, "first-deployment", LAB_YAML.format(attempts=0).replace("points: 2", "points: -1"))
    with pytest.raises(ContentErrors) as caught:
        course_import(path=course_dir)
    assert "[checks[1].points]: must be more than 0" in str(caught.value)
    assert LabCheck.objects.get(lab__slug="first-deployment", check_id="replicas").points == 2


def test_lab_link_to_missing_heading_is_refused(course_dir, db):
    write_lab(
        course_dir,
        "first-deployment",
        LAB_YAML.format(attempts=0).replace("02-lesson-2.md#summary", "02-lesson-2.md#nope"),
    )
    with pytest.raises(ContentErrors) as caught:
        course_import(path=course_dir)
    assert "[checks[1].lesson_link]: no heading #nope in 02-lesson-2.md" in str(caught.value)


def test_removed_lab_is_deleted_unless_it_has_submissions(course_dir, course, alice):
    import shutil

    from grading.tests.conftest import submit

    shutil.rmtree(course_dir / "labs" / "practical")
    report = course_import(path=course_dir)
    assert report.removed == ["lab practical"]
    submit(alice, Lab.objects.get(slug="first-deployment"), [("a.yaml", b"x: 1\n")], run=False)
    shutil.rmtree(course_dir / "labs" / "first-deployment")
    with pytest.raises(ContentErrors, match="has 1 submission"):
        course_import(path=course_dir)


def test_a_lab_can_ask_for_a_less_strict_sandbox(tmp_path):
    assert lab_at(tmp_path, LAB_YAML.format(attempts=0)).pod_security == ""  # platform default
    relaxed = LAB_YAML.format(attempts=0).replace(
        "\nchecks:", "\nnamespace_policy:\n  pod_security: baseline\nchecks:", 1)
    assert lab_at(tmp_path, relaxed).pod_security == "baseline"
    [error] = errors_of(tmp_path, relaxed.replace("baseline", "privileged"))
    assert "[namespace_policy.pod_security]: must be one of restricted, baseline" in error


@pytest.mark.django_db
def test_the_pod_security_level_reaches_the_graded_spec(course_dir):
    from grading.services import lab_spec

    relaxed = LAB_YAML.format(attempts=0).replace(
        "\nchecks:", "\nnamespace_policy:\n  pod_security: baseline\nchecks:", 1)
    write_lab(course_dir, "first-deployment", relaxed)
    course_import(path=course_dir)
    assert lab_spec(Lab.objects.get(slug="first-deployment")).pod_security == "baseline"
    assert lab_spec(Lab.objects.get(slug="practical")).pod_security == ""  # the platform's
