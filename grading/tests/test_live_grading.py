"""Live grading end to end through the Celery task: a kubeconfig points the real client at the
emulator, whose simulated controllers (k8s_controllers.py) make pods ready, fail to pull an
image, crash, fail to schedule, or leave a Service without endpoints."""

from pathlib import Path

import pytest

from courses.services import course_import
from grading import tasks
from grading.live import grader as live
from grading.models import Lab, Submission
from grading.tests.conftest import GOOD, submit
from grading.tests.k8s_controllers import play
from grading.tests.k8s_emulator import KubernetesEmulator

Status = Submission.Status

# The conftest's Deployment without what the 'restricted' Pod Security Standard asks for.
NOT_RESTRICTED = GOOD.replace(
    b"      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n"
    b"        seccompProfile: {type: RuntimeDefault}\n", b"",
).replace(
    b"          securityContext:\n            allowPrivilegeEscalation: false\n"
    b"            capabilities: {drop: [ALL]}\n", b"",
)
assert b"securityContext" not in NOT_RESTRICTED

SERVICE = b"""\
---
apiVersion: v1
kind: Service
metadata:
  name: iris
spec:
  selector: {app: iris}
  ports:
    - port: 80
      targetPort: 8080
"""


@pytest.fixture
def emu():
    emulator = KubernetesEmulator()
    emulator.on_write.append(play)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def live_cluster(emu, settings, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(f"""\
apiVersion: v1
kind: Config
clusters: [{{name: emu, cluster: {{server: "{emu.url}"}}}}]
users: [{{name: grader, user: {{token: test-token}}}}]
contexts: [{{name: emu, context: {{cluster: emu, user: grader}}}}]
current-context: emu
""")
    settings.GRADING_KUBECONFIG = str(kubeconfig)
    settings.GRADING_KUBE_REQUEST_TIMEOUT = 1
    return emu


@pytest.fixture
def quick_lab(lab):
    lab.time_limit_seconds = 2
    lab.save()
    return lab


def sandboxes_left(emu):
    return [n for n in emu.namespaces() if n.startswith("podium-sub-")]


def notes(submission) -> str:
    return "\n".join(submission.notes)


def test_without_a_cluster_every_result_says_live_checks_were_skipped(alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    assert submission.status == Status.PASSED
    assert live.SKIPPED_NOTE in submission.notes
    invalid = submit(alice, lab, [("d.yaml", b"kind: [")])
    assert invalid.status == Status.INVALID and live.SKIPPED_NOTE in invalid.notes


def test_the_result_page_lists_live_verdicts_apart_without_points(client, alice, quick_lab, live_cluster):
    submission = submit(alice, quick_lab, [("d.yaml", GOOD + SERVICE)])
    client.force_login(alice)
    html = client.get(submission.get_absolute_url()).content.decode()
    lab_part, live_part = html.split("In the sandbox")
    assert 'id="check-replicas"' in lab_part and "live-" not in lab_part
    assert 'id="check-live-pods-ready"' in live_part and 'id="check-replicas"' not in live_part
    assert "0 / 0" not in html


def test_a_working_submission_passes_live_and_leaves_no_namespace(alice, quick_lab, live_cluster):
    submission = submit(alice, quick_lab, [("d.yaml", GOOD + SERVICE)])
    assert submission.status == Status.PASSED, notes(submission)
    live_results = {r.check_id: r.passed for r in submission.results.all() if r.check_id.startswith("live-")}
    assert live_results == {"live-deployment-iris": True, "live-pods-ready": True, "live-service-iris": True}
    assert live.SKIPPED_NOTE not in submission.notes
    [stage] = [s for s in submission.stages if s["name"] == "live"]
    assert stage["evidence"]["cluster_version"] == "v1.32.0-emulator"
    assert {"sandbox", "apply", "wait", "teardown"} <= set(stage["timings"])
    assert len(stage["evidence"]["pods"]) == 3
    assert sandboxes_left(live_cluster) == []
    # Graded as the chart's own grader ServiceAccount, authorized by the chart's RBAC alone.
    assert live_cluster.as_admin == []
    assert ("system:serviceaccount:podium:podium-grader", "create", "", "namespaces", "", None) in \
        live_cluster.authorized


def test_an_unpullable_image_fails_with_the_image_pull_diagnosis(alice, quick_lab, live_cluster):
    files = [("d.yaml", GOOD.replace(b"ghcr.io/podium/iris:1.0", b"ghcr.io/podium/does-not-exist:1.0"))]
    submission = submit(alice, quick_lab, files)
    assert submission.status == Status.FAILED
    assert "Diagnosis (ImagePullBackOff)" in notes(submission)
    assert "kubectl describe pod" in notes(submission)
    failed = submission.results.get(check_id="live-deployment-iris")
    assert not failed.passed and "ImagePullBackOff" not in failed.message  # the hint explains
    assert "cannot be pulled" in failed.hint
    assert sandboxes_left(live_cluster) == []


def test_a_crashing_command_fails_with_its_last_log_lines(alice, quick_lab, live_cluster):
    crashing = GOOD.replace(b"          ports:", b'          command: ["false"]\n          ports:')
    submission = submit(alice, quick_lab, [("d.yaml", crashing)])
    assert submission.status == Status.FAILED
    text = notes(submission)
    assert "Diagnosis (CrashLoopBackOff)" in text and "FileNotFoundError: /models/iris.pkl" in text
    assert "--previous" in text
    assert sandboxes_left(live_cluster) == []


def test_requests_no_node_fits_fail_as_pending_for_insufficient_cpu(alice, quick_lab, live_cluster):
    greedy = GOOD.replace(
        b"          ports:", b'          resources:\n            requests: {cpu: "16"}\n          ports:'
    )
    submission = submit(alice, quick_lab, [("d.yaml", greedy)])
    assert submission.status == Status.FAILED
    assert "Diagnosis (InsufficientResources)" in notes(submission)
    assert "Insufficient cpu" in notes(submission)


def test_a_service_whose_selector_matches_nothing_shows_both_label_sets(alice, quick_lab, live_cluster):
    submission = submit(
        alice, quick_lab, [("d.yaml", GOOD + SERVICE.replace(b"{app: iris}", b"{app: iris-api}"))]
    )
    assert submission.status == Status.FAILED
    text = notes(submission)
    assert "Diagnosis (ServiceSelectsNothing)" in text
    assert "selector: {'app': 'iris-api'}" in text and "{'app': 'iris'}" in text
    assert not submission.results.get(check_id="live-service-iris").passed


def test_a_missing_configmap_fails_with_create_container_config_error(alice, quick_lab, live_cluster):
    env = (
        b"          env:\n            - name: MODE\n              valueFrom:\n"
        b"                configMapKeyRef: {name: settings, key: MODE}\n          ports:"
    )
    submission = submit(alice, quick_lab, [("d.yaml", GOOD.replace(b"          ports:", env))])
    assert submission.status == Status.FAILED
    assert "Diagnosis (CreateContainerConfigError)" in notes(submission)
    assert 'configmap "settings" not found' in notes(submission)


def test_pods_the_restricted_standard_refuses_are_rejected_before_the_cluster(
    alice, quick_lab, live_cluster
):
    submission = submit(alice, quick_lab, [("d.yaml", NOT_RESTRICTED)])
    assert submission.status == Status.INVALID
    [error] = submission.errors
    assert error["file"] == "d.yaml" and error["field"] == "spec.template.spec.containers[0]"
    assert "Pod Security 'restricted'" in error["message"] and "runAsNonRoot" in error["message"]
    assert sandboxes_left(live_cluster) == []


def test_pods_the_cluster_refuses_fail_with_the_pod_security_diagnosis(
    alice, quick_lab, live_cluster, monkeypatch
):
    # The static check is a convenience; the cluster's admission is the authority. A rule the
    # static check does not model must still end in a clear diagnosis.
    monkeypatch.setattr("grading.intake.policy.check_pod_security", lambda *args: [])
    submission = submit(alice, quick_lab, [("d.yaml", NOT_RESTRICTED)])
    assert submission.status == Status.FAILED
    text = notes(submission)
    assert "Diagnosis (PodSecurityRejected)" in text and 'violates PodSecurity "restricted:v1.32"' in text
    assert "runAsNonRoot" in text and "kubectl describe replicaset" in text
    assert sandboxes_left(live_cluster) == []


def test_a_lower_pod_security_level_can_be_configured(alice, quick_lab, live_cluster, settings):
    settings.GRADING_SANDBOX_POD_SECURITY = "baseline"
    assert submit(alice, quick_lab, [("d.yaml", NOT_RESTRICTED)]).status == Status.PASSED


def test_an_admission_refusal_in_the_dry_run_makes_the_submission_invalid(alice, quick_lab, live_cluster):
    from grading.tests.k8s_emulator import ApiError

    def quota(verb, obj, namespace):
        if obj["kind"] == "Deployment":
            return ApiError(
                403, "Forbidden", 'deployments.apps "iris" is forbidden: exceeded quota: podium-quota'
            )
        return None

    live_cluster.admission.append(quota)
    submission = submit(alice, quick_lab, [("d.yaml", GOOD)])
    assert submission.status == Status.INVALID
    [error] = submission.errors
    assert error["file"] == "d.yaml" and "exceeded quota" in error["message"]
    assert sandboxes_left(live_cluster) == []


def test_the_api_going_away_mid_grade_is_retried_and_then_graded(alice, quick_lab, live_cluster, monkeypatch):
    submission = submit(alice, quick_lab, [("d.yaml", GOOD)], run=False)
    live_cluster.drop(method="GET", path="/pods", times=1)
    retried = {}

    def fake_retry(**kwargs):
        retried.update(kwargs)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.grade_submission, "retry", fake_retry)
    with pytest.raises(RuntimeError, match="retry"):
        tasks.grade_submission.run(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING  # not graded yet, claim kept for the retry
    assert sandboxes_left(live_cluster) == []  # torn down in finally
    assert tasks.grade_submission.run(**retried["kwargs"]) == Status.PASSED


def test_an_api_outage_outlasting_the_retries_ends_not_graded(alice, quick_lab, live_cluster, monkeypatch):
    submission = submit(alice, quick_lab, [("d.yaml", GOOD)], run=False)
    live_cluster.fail(status=503, method="POST", path="/namespaces", times=10)
    monkeypatch.setattr(tasks.grade_submission, "max_retries", 0)
    assert tasks.grade_submission.run(submission.pk) == "not_graded"
    submission.refresh_from_db()
    assert submission.status == Status.NOT_GRADED and "infrastructure failure" in submission.failure


def test_the_reaper_task_deletes_what_a_killed_worker_left_behind(live_cluster, settings):
    import datetime

    from grading.live.sandbox import SandboxSpec

    cluster = live.cluster_for(tasks.conf.cluster_settings())
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    old = SandboxSpec(7, "lab", expires_at=past, install=cluster.install)
    fresh = SandboxSpec(8, "lab", expires_at=past + datetime.timedelta(hours=1), install=cluster.install)
    cluster.create_sandbox(old)
    cluster.create_sandbox(fresh)
    assert tasks.reap_sandboxes.run() == {"deleted": [old.namespace], "released": {}, "stuck": []}
    assert sandboxes_left(live_cluster) == [fresh.namespace]


def test_the_reaper_does_nothing_without_a_cluster():
    assert tasks.reap_sandboxes.run() == {"skipped": "no cluster configured"}


def test_a_pod_security_refusal_links_to_the_lesson_that_teaches_it(client, alice, settings):
    course_import(path=Path(settings.COURSE_CONTENT_DIR) / "kubernetes-fundamentals")
    lab = Lab.objects.get(slug="activity-1-first-deployment")
    submission = submit(alice, lab, [("d.yaml", NOT_RESTRICTED)])
    assert submission.status == Status.INVALID
    [error] = submission.errors
    assert error["lesson_link"] == "03-core-resources.md#running-as-non-root"
    lesson = "/courses/kubernetes-fundamentals/lessons/core-resources/"
    assert error["lesson_url"] == lesson + "#running-as-non-root"
    client.force_login(alice)
    html = client.get(submission.get_absolute_url()).content.decode()
    assert f'<a href="{error["lesson_url"]}">Read the lesson section</a>' in html


TAMPERING = b"""\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: podium-default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
  egress: [{}]
"""


def test_a_submission_that_opens_the_default_deny_fails_as_tampered(
    alice, quick_lab, live_cluster, monkeypatch
):
    # The static policy refuses podium-* names; the live check must hold on its own.
    monkeypatch.setattr("grading.pipeline.check_policy", lambda *args, **kwargs: [])
    submission = submit(alice, quick_lab, [("d.yaml", GOOD + TAMPERING)])
    assert submission.status == Status.FAILED
    verdict = submission.results.get(check_id="live-guardrails-intact")
    assert not verdict.passed and verdict.message.startswith("Tampered:")
    assert "NetworkPolicy/podium-default-deny changed: spec" in verdict.message
    assert "Tampered: NetworkPolicy/podium-default-deny" in notes(submission)
    assert sandboxes_left(live_cluster) == []


def test_a_pod_running_as_the_grader_is_refused_by_the_live_stage(
    alice, quick_lab, live_cluster, monkeypatch
):
    monkeypatch.setattr("grading.pipeline.check_policy", lambda *args, **kwargs: [])
    as_grader = GOOD.replace(
        b"      containers:", b"      serviceAccountName: podium-applier\n      containers:"
    )
    submission = submit(alice, quick_lab, [("d.yaml", as_grader)])
    assert submission.status == Status.INVALID
    [error] = submission.errors
    assert error["file"] == "d.yaml" and "serviceAccountName: 'podium-applier'" in error["message"]
    assert sandboxes_left(live_cluster) == []
