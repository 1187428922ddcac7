import pytest

from grading.labs import CheckSpec, LabSpec
from grading.pipeline import GraderError, grade_static
from grading.tests.conftest import FAKE_CHECKS, GOOD, ONE_REPLICA

LAB = LabSpec(
    slug="lab",
    title="Lab",
    checks=[
        CheckSpec(
            id="deployment",
            title="A Deployment",
            check="has-kind",
            params={"kind": "Deployment"},
            points=1,
            hint="Write one.",
            lesson_url="/lesson#a",
        ),
        CheckSpec(
            id="replicas",
            title="Three replicas",
            check="min-replicas",
            params={"min": 3},
            points=2,
            hint="Set replicas.",
            lesson_url="/lesson#b",
        ),
    ],
)


def grade(files, lab=LAB, **kwargs):
    return grade_static(lab, files, registry=FAKE_CHECKS, **kwargs)


def test_a_good_submission_passes_every_check():
    report = grade([("d.yaml", GOOD)])
    assert (report.score, report.max_score, report.passed) == (3, 3, True)
    assert [c.passed for c in report.checks] == [True, True]
    assert [s["name"] for s in report.stages] == ["parse", "validate", "policy", "checks"]
    assert all(s["started"] and s["finished"] for s in report.stages)


def test_failed_check_carries_evidence_hint_and_lesson_link_and_partial_credit():
    report = grade([("d.yaml", ONE_REPLICA)])
    replicas = report.checks[1]
    assert (replicas.passed, replicas.points, replicas.max_points) == (False, pytest.approx(1 / 3), 2)
    assert replicas.expected == "replicas >= 3"
    assert replicas.observed == "Deployment/iris has replicas: 1"
    assert (replicas.hint, replicas.lesson_url) == ("Set replicas.", "/lesson#b")
    assert report.passed is False
    assert report.as_dict()["checks"][1]["observed"] == "Deployment/iris has replicas: 1"


def test_pass_percent_decides():
    lab = LabSpec(slug="lab", title="Lab", pass_percent=30, checks=LAB.checks)
    assert grade([("d.yaml", ONE_REPLICA)], lab=lab).passed is True


def test_invalid_input_stops_before_the_checks():
    report = grade([("d.yaml", GOOD.replace(b"containerPort", b"containerPorts"))])
    assert report.invalid and report.checks == [] and not report.passed
    assert [s["name"] for s in report.stages] == ["parse", "validate"]
    fields = {e["field"] for e in report.as_dict()["errors"]}
    assert "spec.template.spec.containers[0].ports[0].containerPorts" in fields  # unknown field
    assert "spec.template.spec.containers[0].ports[0]" in fields  # containerPort is required


def test_policy_violations_stop_before_the_checks_unless_trusted():
    hostile = GOOD.replace(b"      containers:", b"      hostNetwork: true\n      containers:")
    assert "hostNetwork" in grade([("d.yaml", hostile)]).errors[0].message
    trusted = grade([("d.yaml", hostile)], trusted=True)
    assert trusted.passed and [s["name"] for s in trusted.stages] == ["parse", "validate", "checks"]


def test_readme_required_by_the_lab():
    lab = LabSpec(slug="lab", title="Lab", require_readme=True, checks=LAB.checks)
    assert "needs a README.md" in grade([("d.yaml", GOOD)], lab=lab).errors[0].message
    assert grade([("d.yaml", GOOD), ("README.md", b"# How")], lab=lab).passed


def test_no_objects_is_invalid():
    assert "no Kubernetes objects" in grade([("d.yaml", b"# empty\n")]).errors[0].message


def test_a_crashing_check_is_a_grader_error():
    lab = LabSpec(
        slug="lab",
        title="Lab",
        checks=[CheckSpec(id="x", title="X", check="crashes", params={}, points=1, hint="")],
    )
    with pytest.raises(GraderError, match="crashed"):
        grade([("d.yaml", GOOD)], lab=lab)


def test_reports_each_stage_to_a_callback():
    seen = []
    grade([("d.yaml", GOOD)], on_stage=seen.append)
    assert seen == ["parse", "validate", "policy", "checks"]
