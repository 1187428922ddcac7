"""Issue 13, report level: one fault one red mark, "Judging …" said once, and a preview of the
checks when the sandbox refuses a submission. Graded through the pipeline from the practical's
reference solution, changed only as far as each case needs."""

from pathlib import Path

import pytest

from grading.labs import read_lab
from grading.pipeline import grade_static

COURSE = Path(__file__).resolve().parents[3] / "courses" / "content" / "kubernetes-fundamentals"
PRACTICAL = COURSE / "labs" / "practical"


@pytest.fixture(scope="module")
def practical():
    return read_lab(PRACTICAL)


def solution(**replace: tuple[bytes, bytes]) -> list[tuple[str, bytes]]:
    """The practical's solution files; `replace={file stem: (old, new)}` edits one file."""
    files = []
    for path in sorted((PRACTICAL / "solution").iterdir()):
        data = path.read_bytes()
        old_new = replace.get(path.stem.replace("-", "_"))
        if old_new:
            assert old_new[0] in data, (path.name, old_new[0])
            data = data.replace(*old_new)
        files.append((path.name, data))
    return files


def grade(lab, files, **kwargs):
    return grade_static(lab, files, isolation=None, **kwargs)


def checks_by_id(report):
    return {c.id: c for c in report.checks}


def test_wrong_service_selector_is_one_red_mark_not_two(practical):
    # The Service of the model server selects a label no pod carries.
    files = solution(**{"20_model_server": (b"  selector:\n    app: model-server\n",
                                            b"  selector:\n    app: model-srv\n")})
    report = grade(practical, files)
    assert not report.invalid, report.errors
    checks = checks_by_id(report)
    assert not checks["service"].passed
    assert checks["ingress-tls"].passed, checks["ingress-tls"].message
    assert "depends on: service" in checks["ingress-tls"].message
    assert [c.id for c in report.checks if not c.passed] == ["service"]


def test_judging_sentence_is_said_once_at_the_top(practical):
    report = grade(practical, solution())
    judging = ("Judging Deployment/model-server: Ingress/model-server routes to it through "
               "Service/model-server.")
    assert report.notes[0] == judging
    assert not any(c.message.startswith("Judging") for c in report.checks)
    assert sum(judging in c.message for c in report.checks) == 0


def test_policy_refusal_keeps_a_preview_of_the_checks_that_does_not_count(practical):
    files = solution(**{"20_model_server": (b"runAsNonRoot: true", b"runAsNonRoot: false")})
    report = grade(practical, files)
    assert report.invalid and report.checks == [] and report.score == 0 and not report.passed
    assert any("runAsNonRoot" in e.message for e in report.errors)
    assert [c.id for c in report.preview] == [c.id for c in practical.checks]
    assert report.preview_score == 100
    assert report.preview[0].message.startswith("Judging Deployment/model-server")
    assert not any(c.message.startswith("Judging") for c in report.preview[1:])
    stored = report.as_dict()
    assert stored["preview_score"] == 100 and len(stored["preview"]) == 10 and stored["checks"] == []


def test_unparseable_or_schema_invalid_input_has_no_preview(practical):
    report = grade(practical, solution(**{"50_hpa": (b"maxReplicas", b"maxReplica")}))
    assert report.invalid and report.preview == [] and "preview" not in report.as_dict()


# --- the policy refuses what can never run (regressions; the rules live in grading/intake/policy.py) ----

def test_service_account_the_sandbox_will_not_create_is_refused_with_the_reason(practical):
    files = solution(**{"20_model_server": (b"      enableServiceLinks: false\n",
                                            b"      enableServiceLinks: false\n"
                                            b"      serviceAccountName: model-server\n")})
    report = grade(practical, files)
    assert report.invalid
    problem = next(e for e in report.errors if "serviceAccountName" in (e.field or ""))
    assert "'model-server' is not allowed" in problem.message and "default service account" in problem.message
    assert problem.file == "20-model-server.yaml"


def test_claim_bound_by_volume_name_to_an_unsubmitted_volume_is_refused(practical):
    files = solution(**{"10_model_store": (b"spec:\n", b"spec:\n  volumeName: pv-model-store\n")})
    report = grade(practical, files)
    assert report.invalid
    problem = next(e for e in report.errors if (e.field or "").endswith("volumeName"))
    assert "binds the claim to an existing PersistentVolume" in problem.message
    assert problem.file == "10-model-store.yaml"


def test_refused_submission_page_shows_the_preview_as_not_counting(client, alice, lab):
    from grading.tests.conftest import ONE_REPLICA, submit

    refused = ONE_REPLICA.replace(b"runAsNonRoot: true", b"runAsNonRoot: false")
    submission = submit(alice, lab, [("d.yaml", refused)])
    submission.refresh_from_db()
    assert submission.status == "invalid" and submission.score is None
    client.force_login(alice)
    html = client.get(submission.get_absolute_url()).content.decode()
    assert "runAsNonRoot" in html
    assert "Preview: not a grade" in html and "would score 1.33 / 3 points</strong> once accepted" in html
    assert "This preview does not count." in html
    assert "Deployment/iris has replicas: 1" in html
