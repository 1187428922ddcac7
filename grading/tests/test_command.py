"""`manage.py grade`: grades files without a database row."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from grading.tests.conftest import GOOD, ONE_REPLICA


@pytest.fixture
def content(course_dir, settings):
    settings.COURSE_CONTENT_DIR = course_dir.parent
    return course_dir


def grade(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        call_command("grade", *args)
    return exit_info.value.code, capsys.readouterr().out


def test_passing_files_exit_0(content, tmp_path, capsys):
    (tmp_path / "d.yaml").write_bytes(GOOD)
    code, out = grade(capsys, "--lab", "first-deployment", str(tmp_path / "d.yaml"))
    assert code == 0
    assert "3/3 points (100%) — PASSED" in out and "✓ replicas" in out
    assert "note: live checks not run: this command grades statically" in out


def test_pods_that_break_pod_security_are_refused_with_file_line_and_field(content, tmp_path, capsys):
    root = GOOD.replace(b"        runAsNonRoot: true\n", b"")
    (tmp_path / "d.yaml").write_bytes(root)
    code, out = grade(capsys, "--lab", "first-deployment", str(tmp_path / "d.yaml"))
    assert code == 2
    assert ("d.yaml (document 1):21 [spec.template.spec.containers[0].securityContext]: "
            "Deployment/iris: container 'server' does not meet Pod Security 'restricted', which "
            "the sandbox enforces: set securityContext.runAsNonRoot: true (pod or container)") in out
    assert "      lesson: 03-core-resources.md#running-as-non-root" in out


def test_failing_directory_exit_1_with_evidence(content, tmp_path, capsys):
    project = tmp_path / "project"
    (project / "k8s").mkdir(parents=True)
    (project / "k8s" / "d.yaml").write_bytes(ONE_REPLICA)
    code, out = grade(capsys, "--lab", "first-deployment", str(project))
    assert code == 1
    assert "✗ replicas" in out and "observed: Deployment/iris has replicas: 1" in out
    assert "hint: Set spec.replicas to 3." in out


def test_json_output(content, tmp_path, capsys):
    (tmp_path / "d.yaml").write_bytes(ONE_REPLICA)
    code, out = grade(capsys, "--lab", "first-deployment", str(tmp_path / "d.yaml"), "--json")
    report = json.loads(out)
    assert code == 1
    assert set(report) >= {"lab", "score", "max_score", "passed", "checks", "errors"}
    assert report["checks"][1]["id"] == "replicas" and report["checks"][1]["hint"]


def test_invalid_input_exit_2(content, tmp_path, capsys):
    (tmp_path / "d.yaml").write_bytes(b"a: &x 1\nb: *x\n")
    code, out = grade(capsys, "--lab", "first-deployment", str(tmp_path / "d.yaml"))
    assert code == 2 and "INVALID" in out and "anchors and aliases" in out


def test_trusted_skips_the_policy(content, tmp_path, capsys):
    (tmp_path / "d.yaml").write_bytes(
        GOOD.replace(b"      containers:", b"      hostNetwork: true\n      containers:")
    )
    assert grade(capsys, "--lab", "first-deployment", str(tmp_path / "d.yaml"))[0] == 2
    assert grade(capsys, "--lab", "first-deployment", str(tmp_path / "d.yaml"), "--trusted")[0] == 0


def test_unknown_lab(content, tmp_path):
    with pytest.raises(CommandError, match="no lab 'nope'") as caught:
        call_command("grade", "--lab", "nope", str(tmp_path))
    assert caught.value.returncode == 2
