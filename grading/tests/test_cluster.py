"""Contract tests of grading/live/cluster.py: the real `kubernetes` client over HTTP against the
emulator on 127.0.0.1 (grading/tests/k8s_emulator.py)."""

import datetime

import pytest

from grading.live import sandbox
from grading.live.cluster import ApiException, Cluster, ClusterError, ClusterUnavailable
from grading.live.sandbox import SandboxSpec
from grading.tasks import TRANSIENT
from grading.tests.k8s_emulator import GRADER_TOKEN, ApiError, KubernetesEmulator

NOW = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
SPEC = SandboxSpec(submission_id=42, lab="first-deployment", expires_at=NOW + datetime.timedelta(minutes=5))
NS = SPEC.namespace  # podium-sub-dev-42-<random suffix>

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"MODE": "x"}}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "iris", "labels": {"app": "iris"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "iris"}},
        "template": {
            "metadata": {"labels": {"app": "iris"}},
            "spec": {"containers": [{"name": "server", "image": "ghcr.io/podium/iris:1.0"}]},
        },
    },
}
PRIVILEGED_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "root"},
    "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]},
}
PVC = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}},
}


@pytest.fixture
def emu():
    emulator = KubernetesEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def cluster(emu):
    # As the grader's own chart identity: every call authorized by the chart's RBAC.
    c = Cluster.for_url(emu.url, request_timeout=0.5, token=GRADER_TOKEN)
    yield c
    c.close()


@pytest.fixture
def sandboxed(cluster):
    cluster.create_sandbox(SPEC)
    return cluster


def psa_and_quota(verb, obj, namespace):
    """Admission as a real API server would answer: PSA refuses privileged pods, the quota a
    claim bigger than requests.storage."""
    if obj["kind"] == "Pod" and any(
        (c.get("securityContext") or {}).get("privileged") for c in obj["spec"]["containers"]
    ):
        return ApiError(
            403,
            "Forbidden",
            f'pods "{obj["metadata"]["name"]}" is forbidden: violates PodSecurity '
            '"restricted:v1.32": privileged (container "c" must not set '
            "securityContext.privileged=true)",
        )
    if obj["kind"] == "PersistentVolumeClaim":
        return ApiError(
            403,
            "Forbidden",
            f'persistentvolumeclaims "{obj["metadata"]["name"]}" is forbidden: '
            "exceeded quota: podium-quota, requested: requests.storage=50Gi, "
            "used: requests.storage=0, limited: requests.storage=2Gi",
        )
    return None


# --- the sandbox ------------------------------------------------------------------------------


def test_a_sandbox_namespace_is_named_after_the_install_and_submission_and_labelled(emu, cluster):
    assert cluster.create_sandbox(SPEC) is True
    assert NS.startswith("podium-sub-dev-42-") and len(NS) == len("podium-sub-dev-42-") + 8
    ns = emu.get("v1", "Namespace", NS)
    labels = ns["metadata"]["labels"]
    assert labels[sandbox.MANAGED_BY] == "podium" and labels[sandbox.INSTALL] == "dev"
    assert ns["metadata"]["annotations"][sandbox.OWNER] == SPEC.owner
    assert (labels[sandbox.SUBMISSION], labels[sandbox.LAB]) == ("42", "first-deployment")
    assert ns["metadata"]["annotations"][sandbox.EXPIRES_AT] == "2026-11-01T12:05:00+00:00"


def test_a_retried_create_of_the_same_run_finds_its_own_namespace(emu, cluster):
    assert cluster.create_sandbox(SPEC) is True
    assert cluster.create_sandbox(SPEC) is False  # 409: already there, with this run's owner token
    assert [n for n in emu.namespaces() if n.startswith("podium-")] == [NS]
    assert len(emu.objects(NS, kind="ResourceQuota")) == 1


def test_a_namespace_of_that_name_that_is_not_the_submissions_is_refused(emu, cluster):
    emu.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    with pytest.raises(ClusterError, match="not created by this grading run"):
        cluster.create_sandbox(SPEC)


def test_a_sandbox_still_terminating_from_an_earlier_run_is_retried_later(emu, cluster):
    cluster.create_sandbox(SPEC)
    emu.stuck_namespaces.add(NS)
    cluster.delete_sandbox(NS)
    with pytest.raises(ClusterUnavailable, match="terminating"):
        cluster.create_sandbox(SPEC)


def test_the_guardrails_are_created_with_the_sandbox(emu, sandboxed):
    labels = emu.get("v1", "Namespace", NS)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == sandbox.PSA_VERSION
    hard = emu.get("v1", "ResourceQuota", "podium-quota", NS)["spec"]["hard"]
    assert (hard["services.nodeports"], hard["services.loadbalancers"]) == ("0", "0")
    assert {"pods", "requests.cpu", "requests.memory", "requests.storage", "services"} <= set(hard)
    limits = emu.get("v1", "LimitRange", "podium-limits", NS)["spec"]["limits"][0]
    assert limits["default"] and limits["defaultRequest"]
    deny = emu.get("networking.k8s.io/v1", "NetworkPolicy", "podium-default-deny", NS)["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = emu.get("networking.k8s.io/v1", "NetworkPolicy", "podium-allow-dns", NS)["spec"]["egress"][0]
    assert {p["port"] for p in dns["ports"]} == {53}
    assert emu.get("v1", "ServiceAccount", "default", NS)["automountServiceAccountToken"] is False
    binding = emu.get("rbac.authorization.k8s.io/v1", "RoleBinding", sandbox.APPLIER, NS)
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sandbox.APPLIER, "namespace": NS}]


# --- apply ------------------------------------------------------------------------------------


def test_objects_are_applied_server_side_as_the_sandbox_service_account(emu, sandboxed):
    assert sandboxed.apply(NS, [DEPLOYMENT, CONFIGMAP]) == []
    assert emu.get("apps/v1", "Deployment", "iris", NS)["spec"]["replicas"] == 1
    patches = [(path, user) for method, path, user in emu.requests if method == "PATCH" and "iris" in path]
    assert len(patches) == 2  # the dry run, then the real one
    assert {user for _, user in patches} == {f"system:serviceaccount:{NS}:{sandbox.APPLIER}"}


def test_configuration_is_applied_before_the_workloads_that_read_it(emu, sandboxed):
    sandboxed.apply(NS, [DEPLOYMENT, CONFIGMAP], dry_run_first=False)
    order = [
        path.rsplit("/", 1)[1]
        for method, path, _ in emu.requests
        if method == "PATCH" and f"namespaces/{NS}/" in path and path.endswith(("iris", "settings"))
    ]
    assert order == ["settings", "iris"]


def test_applying_again_updates_the_object_in_place(emu, sandboxed):
    sandboxed.apply(NS, [DEPLOYMENT])
    scaled = {**DEPLOYMENT, "spec": {**DEPLOYMENT["spec"], "replicas": 3}}
    assert sandboxed.apply(NS, [scaled]) == []
    assert emu.get("apps/v1", "Deployment", "iris", NS)["spec"]["replicas"] == 3


def test_admission_refusals_in_the_dry_run_are_reported_per_object_and_nothing_is_applied(emu, sandboxed):
    emu.admission.append(psa_and_quota)
    problems = sandboxed.apply(NS, [CONFIGMAP, PRIVILEGED_POD, PVC])
    assert [(p.ref, p.status, p.reason) for p in problems] == [
        ("PersistentVolumeClaim/data", 403, "Forbidden"),
        ("Pod/root", 403, "Forbidden"),
    ]
    assert "exceeded quota" in problems[0].message and 'PodSecurity "restricted' in problems[1].message
    assert emu.objects(NS, kind="ConfigMap") == []  # the dry run stopped everything


def test_schema_refusals_are_reported_like_admission_ones(sandboxed):
    bad = {**CONFIGMAP, "metadata": {"name": "Not_Valid"}}
    [problem] = sandboxed.apply(NS, [bad])
    assert (problem.ref, problem.status, problem.reason) == ("ConfigMap/Not_Valid", 422, "Invalid")


def test_kinds_outside_the_builtin_table_are_found_by_discovery(emu, sandboxed):
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "m"},
        "spec": {"selector": {}, "endpoints": []},
    }
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert sandboxed.apply(NS, [monitor]) == []
    assert emu.get("monitoring.coreos.com/v1", "ServiceMonitor", "m", NS) is not None
    [problem] = sandboxed.apply(NS, [unknown])
    assert (problem.ref, problem.status) == ("Widget/w", 404)


def test_the_sandbox_identity_cannot_write_outside_its_namespace(sandboxed):
    with pytest.raises(ApiException) as caught:
        sandboxed._server_side_apply(
            {**CONFIGMAP, "metadata": {"name": "x", "namespace": "default"}},
            "default",
            as_user=sandbox.applier_username(NS),
        )
    assert caught.value.status == 403


# --- read state -------------------------------------------------------------------------------


def test_read_state_returns_objects_pods_events_and_the_logs_of_restarted_containers(emu, sandboxed):
    sandboxed.apply(NS, [DEPLOYMENT])
    emu.put(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "iris-abc", "namespace": NS},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "server",
                        "restartCount": 3,
                        "ready": False,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    }
                ],
            },
        }
    )
    emu.put(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e1", "namespace": NS},
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
        }
    )
    emu.logs[(NS, "iris-abc", "server")] = "\n".join(f"line {i}" for i in range(50))
    state = sandboxed.read_state(NS, [("apps/v1", "Deployment")], log_lines=3)
    assert sorted(o["kind"] for o in state.objects) == ["Deployment", "Pod"]  # guardrails left out
    assert state.of_kind("Deployment")[0]["apiVersion"] == "apps/v1"
    assert [e["reason"] for e in state.events] == ["BackOff"]
    assert state.logs == {"iris-abc/server": "line 47\nline 48\nline 49"}


def test_the_cluster_version_is_read(cluster):
    assert cluster.version() == "v1.32.0-emulator"


# --- delete and reap --------------------------------------------------------------------------


def test_deleting_a_sandbox_deletes_workloads_first_then_the_namespace_and_all_in_it(emu, sandboxed):
    sandboxed.apply(NS, [DEPLOYMENT, CONFIGMAP])
    emu.requests.clear()
    sandboxed.delete_sandbox(NS)
    deletes = [path for method, path, _ in emu.requests if method == "DELETE"]
    assert deletes[0].endswith(f"/namespaces/{NS}/deployments")
    assert deletes[-1] == f"/api/v1/namespaces/{NS}"
    assert NS not in emu.namespaces() and emu.objects(NS) == []
    sandboxed.delete_sandbox(NS)  # deleting what is gone is fine


def test_a_student_finalizer_keeps_the_namespace_terminating_until_it_is_cleared(emu, sandboxed):
    sandboxed.apply(NS, [{**CONFIGMAP, "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}])
    sandboxed.delete_sandbox(NS)
    [info] = sandboxed.sandboxes()
    assert info.terminating_since is not None
    assert sandboxed.clear_finalizers(NS) == 1
    assert NS not in emu.namespaces()


def test_expired_sandboxes_are_found_by_label_and_expiry(emu, cluster):
    cluster.create_sandbox(SPEC)
    other = SandboxSpec(43, "lab", expires_at=NOW + datetime.timedelta(hours=1))
    cluster.create_sandbox(other)
    emu.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "someone-else"}})
    later = NOW + datetime.timedelta(minutes=10)
    assert [s.name for s in cluster.sandboxes()] == [NS, other.namespace]
    assert [s.name for s in cluster.expired_sandboxes(later)] == [NS]
    assert cluster.expired_sandboxes(NOW) == []


# --- faults -----------------------------------------------------------------------------------


def test_a_server_error_is_an_infrastructure_failure_the_task_retries(emu, cluster):
    emu.fail(status=500, method="POST", path="/namespaces")
    with pytest.raises(ClusterUnavailable, match="500") as caught:
        cluster.create_sandbox(SPEC)
    assert isinstance(caught.value, TRANSIENT)
    assert cluster.create_sandbox(SPEC) is True  # the retry succeeds


def test_a_timeout_is_an_infrastructure_failure(emu, cluster):
    cluster.create_sandbox(SPEC)
    emu.delay(1.5, method="PATCH")
    with pytest.raises(ClusterUnavailable, match="timed out"):
        cluster.apply(NS, [CONFIGMAP])


def test_the_api_going_away_mid_grade_is_an_infrastructure_failure(emu, sandboxed):
    emu.drop(method="GET", path="/pods")
    with pytest.raises(ClusterUnavailable):
        sandboxed.read_state(NS, [("apps/v1", "Deployment")])


def test_a_refusal_of_the_grader_itself_is_a_grader_error_not_a_retry(emu, cluster):
    emu.fail(status=403, method="POST", path="/namespaces")
    with pytest.raises(ClusterError):
        cluster.create_sandbox(SPEC)


def test_the_reaper_deletes_expired_sandboxes_releases_finalizers_and_reports_stuck_ones(emu, cluster):
    from grading.live.grader import reap

    cluster.create_sandbox(SPEC)  # expires at 12:05
    held = SandboxSpec(43, "lab", expires_at=NOW)
    cluster.create_sandbox(held)
    cluster.apply(
        held.namespace, [{**CONFIGMAP, "metadata": {"name": "held", "finalizers": ["example.com/x"]}}]
    )
    emu.stuck_namespaces.add(held.namespace)  # a namespace controller that never finishes
    cluster.delete_sandbox(held.namespace)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    report = reap(cluster, now=later, stuck_after=datetime.timedelta(minutes=5))
    assert report.deleted == [NS]
    assert report.released == {held.namespace: 1}
    assert report.stuck == [held.namespace]
    assert emu.objects(held.namespace, kind="ConfigMap") == []
    assert NS not in emu.namespaces()
