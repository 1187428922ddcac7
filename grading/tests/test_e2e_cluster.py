"""Opt-in end-to-end suite against a real cluster (kind, minikube, k3s, a cloud cluster).

Runs only when KUBECONFIG is set (PODIUM_E2E_CONTEXT picks a context); otherwise every test
is skipped with that reason, printed by pytest's `-ra`. See README "Live grading".
It grades reference solutions and broken variants from the course content live, with the
same code the worker uses, and checks that no sandbox namespace is left behind.

The kubeconfig's identity (an admin) only installs what the chart would: its grader
ServiceAccount, ClusterRoles, ClusterRoleBinding and admission policies, rendered by helm for
release `podium` in PODIUM_E2E_NAMESPACE (default podium-e2e). Everything is then graded AS
that ServiceAccount, with a token from the TokenRequest API: the real API server's RBAC,
escalation checks and admission answer exactly as they would for a deployed worker.
"""

import copy
import datetime
import hashlib
import itertools
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"),
    reason="end-to-end live grading needs a real cluster: set KUBECONFIG (and PODIUM_E2E_CONTEXT) to run it",
)

LABS = Path(__file__).resolve().parents[2] / "courses" / "content" / "kubernetes-fundamentals" / "labs"
# Every lab's reference solution meets 'restricted', the sandboxes' default; a cluster that
# cannot run that level can lower it here.
POD_SECURITY = os.environ.get("PODIUM_E2E_POD_SECURITY", "restricted")
_ids = itertools.count(int(time.time()) % 1_000_000 * 100)
NAMESPACE = os.environ.get("PODIUM_E2E_NAMESPACE", "podium-e2e")
RELEASE = "podium"
CHART_IDENTITY = (
    "templates/rbac.yaml",
    "templates/admission-policy.yaml",
    "templates/applier-admission-policy.yaml",
)


def _chart_identity_objects() -> list[dict]:
    import yaml

    from deploy.tests.conftest import CHART, KUBE_VERSION, helm

    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
    for template in CHART_IDENTITY:
        args += ["--show-only", template]
    return [doc for doc in yaml.safe_load_all(helm(*args).stdout) if doc]


@pytest.fixture(scope="module")
def admin_configuration():
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(
        config_file=os.environ["KUBECONFIG"],
        context=os.environ.get("PODIUM_E2E_CONTEXT") or None,
        client_configuration=configuration,
    )
    return configuration


@pytest.fixture(scope="module")
def cluster(admin_configuration):
    """The grader as deployed: the chart's identity installed by the admin, then a Cluster that
    authenticates as the grader's ServiceAccount (never as the admin)."""
    from grading.live.cluster import ApiException, Cluster
    from grading.live.sandbox import Install

    admin = Cluster.for_configuration(copy.deepcopy(admin_configuration))
    try:
        admin._call("POST", "/api/v1/namespaces",
                    body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    objects = _chart_identity_objects()
    for obj in objects:
        admin._server_side_apply(obj, obj["metadata"].get("namespace") or NAMESPACE, manager="podium-e2e")
    account = next(o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount")
    token = admin._call(
        "POST", f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{account}/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
              "spec": {"expirationSeconds": 7200}},
    )["status"]["token"]
    as_grader = copy.deepcopy(admin_configuration)
    as_grader.cert_file = as_grader.key_file = None  # no client certificate: the token alone
    as_grader.username = as_grader.password = None
    as_grader.refresh_api_key_hook = None
    as_grader.api_key = {"authorization": token}
    as_grader.api_key_prefix = {"authorization": "Bearer"}
    install = Install(install_id=hashlib.sha256(f"{NAMESPACE}/{RELEASE}".encode()).hexdigest()[:8],
                      applier_clusterrole=f"{RELEASE}-{NAMESPACE}-sandbox",
                      grader_clusterrole=f"{RELEASE}-{NAMESPACE}-sandbox-grader")
    c = Cluster.for_configuration(as_grader, install=install)
    assert c.username() == f"system:serviceaccount:{NAMESPACE}:{account}"
    yield c
    c.close()
    admin.close()


def grade(cluster, lab_slug: str, folder: Path):
    from grading import labs
    from grading.labs import read_lab
    from grading.live import grader as live
    from grading.pipeline import grade_static

    lab = read_lab(LABS / lab_slug)
    files = [
        (p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file() and p.name != "expect.yaml"
    ]
    level = lab.pod_security or POD_SECURITY
    report = grade_static(lab, files, registry=labs.checks_registry(), pod_security=level)
    assert not report.invalid, report.errors
    parsed = report.objects
    result = live.grade_live(
        cluster,
        submission_id=next(_ids),
        lab=lab.slug,
        objects=[o.data for o in parsed],
        time_limit=lab.time_limit_seconds,
        ttl_seconds=600,
        pod_security=level,
        poll_seconds=2,
    )
    live.merge_into(report, result, parsed, lambda link: link)
    return report, result


def wait_gone(cluster, namespace: str, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if namespace not in [s.name for s in cluster.sandboxes()]:
            return True
        # What the reaper's next pass does: once the pods have stopped, release the grader's own
        # RoleBinding, the last thing holding a torn-down sandbox (grading/live/cluster.py).
        cluster.clear_finalizers(namespace, students=False)
        time.sleep(2)
    return False


def test_the_first_activity_reference_solution_passes_live(cluster):
    report, result = grade(
        cluster, "activity-1-first-deployment", LABS / "activity-1-first-deployment" / "solution"
    )
    assert not result.problems, result.problems
    assert all(v.passed for v in result.verdicts), [v.message for v in result.verdicts if not v.passed]
    assert report.passed, report.notes
    assert wait_gone(cluster, result.namespace)


def test_a_deployment_whose_selector_misses_its_template_is_refused_by_the_dry_run(cluster):
    # Static validation refuses it first (grading/intake/field_validation.py, issue 13), so the object goes
    # to the cluster directly: the dry run must agree, in the same words.
    import yaml

    from grading.live import grader as live

    solution = LABS / "activity-1-first-deployment" / "solution" / "iris-deployment.yaml"
    deployment = yaml.safe_load(solution.read_text())
    deployment["spec"]["selector"]["matchLabels"] = {"app": "iris"}
    result = live.grade_live(cluster, submission_id=next(_ids), lab="activity-1-first-deployment",
                             time_limit=5, ttl_seconds=600, pod_security=POD_SECURITY, objects=[deployment])
    [problem] = result.problems
    assert problem.ref == "Deployment/iris-classifier" and problem.status == 422
    assert "`selector` does not match template `labels`" in problem.message
    assert wait_gone(cluster, result.namespace)


def test_the_practical_reference_solution_passes_live(cluster):
    report, result = grade(cluster, "practical", LABS / "practical" / "solution")
    assert not result.problems, result.problems
    assert [v.message for v in result.verdicts if not v.passed] == []
    assert report.passed, report.notes
    assert wait_gone(cluster, result.namespace)


def test_no_sandbox_is_left_behind(cluster):
    from grading.live.grader import reap

    reap(
        cluster,
        now=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
        stuck_after=datetime.timedelta(minutes=5),
    )
    for box in cluster.sandboxes():
        assert wait_gone(cluster, box.name), f"{box.name} is still there"


# --- issue 12: a hostile student's objects against the real API server -------------------------
# The same cases as grading/tests/test_sandbox_guardrails.py and test_sandbox_ingress.py run
# there against the emulator; here the real API server, RBAC and admission answer.


@pytest.fixture
def box(cluster):
    from grading.live.sandbox import SandboxSpec

    spec = SandboxSpec(
        submission_id=next(_ids), lab="e2e-hostile", pod_security=POD_SECURITY,
        expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10),
        install=cluster.install,
    )
    cluster.create_sandbox(spec)
    yield spec
    cluster.delete_sandbox(spec.namespace)
    cluster.clear_finalizers(spec.namespace)


def _policy(name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name},
            "spec": spec}


def _pod(name: str, **spec) -> dict:
    container = {"name": "c", "image": "registry.k8s.io/pause:3.10", "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
    pod_context = {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"securityContext": pod_context, "containers": [container], **spec}}


def test_a_fresh_sandbox_reads_back_untampered(cluster, box):
    assert cluster.tampering(box) == []


def test_a_student_policy_cannot_take_the_default_denys_fields(cluster, box):
    hostile = _policy("podium-default-deny", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]})
    [problem] = cluster.apply(box.namespace, [hostile])
    assert problem.status == 409 and problem.reason == "Tampered", problem


def test_rules_added_to_the_default_deny_are_found_as_tampering(cluster, box):
    opened = _policy("podium-default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                             "ingress": [{}], "egress": [{}]})
    assert cluster.apply(box.namespace, [opened]) == []
    assert cluster.tampering(box) == ["NetworkPolicy/podium-default-deny changed: spec"]


def test_a_policy_opening_the_metadata_range_is_found(cluster, box):
    metadata = _policy("metadata", {"podSelector": {}, "policyTypes": ["Egress"],
                                    "egress": [{"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}]}]})
    assert cluster.apply(box.namespace, [metadata]) == []
    assert cluster.tampering(box) == [
        "NetworkPolicy/metadata: spec.egress[0].to[0].ipBlock 169.254.169.254/32 opens 169.254.0.0/16"
    ]


def test_the_api_server_refuses_a_pod_naming_a_missing_service_account(cluster, box):
    [problem] = cluster.apply(box.namespace, [_pod("ghost", serviceAccountName="ghost")])
    assert problem.status == 403 and 'serviceaccount "ghost" not found' in problem.message


def test_the_applier_cannot_write_service_accounts(cluster, box):
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"},
               "automountServiceAccountToken": True}
    [problem] = cluster.apply(box.namespace, [account])
    assert problem.status == 403


def test_the_grader_may_not_write_a_role_of_its_own(cluster, box):
    """Issue 19 item 1: the old per-sandbox Role with verbs ["*"] is what a real API server refused."""
    from grading.live.cluster import ApiException
    from grading.live.sandbox import APPLIER_RULES, GUARDRAIL_MANAGER

    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "podium-applier"}, "rules": APPLIER_RULES}
    with pytest.raises(ApiException) as caught:
        cluster._server_side_apply(role, box.namespace, manager=GUARDRAIL_MANAGER)
    assert caught.value.status == 403


def test_the_grader_impersonates_the_applier_only_inside_a_sandbox(cluster, box):
    """Issue 19 item 2."""
    from grading.live.cluster import ApiException
    from grading.live.sandbox import applier_username

    assert cluster._call("GET", f"/api/v1/namespaces/{box.namespace}/configmaps",
                         as_user=applier_username(box.namespace))["items"] is not None
    with pytest.raises(ApiException) as caught:
        cluster._call("GET", "/api/v1/namespaces/default/configmaps", as_user=applier_username("default"))
    assert caught.value.status == 403


def test_the_grader_cannot_create_a_namespace_outside_its_sandbox_names(cluster):
    """Issue 19 items 3-4: the admission policy, not RBAC, confines the grader's namespaces."""
    from grading.live.cluster import ApiException

    outside = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"not-a-sandbox-{next(_ids)}"}}
    with pytest.raises(ApiException) as caught:
        cluster._call("POST", "/api/v1/namespaces", body=outside)
    assert caught.value.status in (403, 422)


def test_a_pod_as_the_grader_is_refused_before_the_cluster(cluster):
    from grading.live import grader as live

    as_grader = _pod("as-grader", serviceAccountName="podium-applier")
    result = live.grade_live(cluster, submission_id=next(_ids), lab="e2e-hostile", time_limit=5,
                             ttl_seconds=600, objects=[as_grader])
    [problem] = result.problems
    assert "podium-applier" in problem.message


def test_ingress_hosts_are_served_under_the_sandbox_domain(cluster, box):
    from grading import conf
    from grading.live.sandbox import IngressRewrite

    domain, ingress_class = conf.sandbox_domain(), conf.sandbox_ingress_class()
    rewrite = IngressRewrite(box.submission_id, "podium.test", domain, ingress_class)
    backend = {"service": {"name": "api", "port": {"number": 80}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    rule = {"host": "learn.podium.test", "http": {"paths": [path]}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "api"},
               "spec": {"ingressClassName": "nginx", "rules": [rule]}}
    assert cluster.apply(box.namespace, [rewrite.apply(ingress)]) == []
    [stored] = cluster.read_state(box.namespace, [("networking.k8s.io/v1", "Ingress")], logs=False).of_kind(
        "Ingress")
    assert stored["spec"]["rules"][0]["host"] == f"learn.{box.submission_id}.{domain}"
    assert stored["spec"]["ingressClassName"] == ingress_class


def test_the_quota_counts_network_policies(cluster, box):
    allowed = box.quota.network_policies
    policies = [_policy(f"p{i}", {"podSelector": {}}) for i in range(allowed + 1)]
    problems = cluster.apply(box.namespace, policies, dry_run_first=False)
    assert [p.ref for p in problems] == [f"NetworkPolicy/p{allowed}"]
    assert "exceeded quota" in problems[0].message


def test_the_reaper_releases_finalizers_students_set(cluster, box):
    from grading.live.grader import reap

    held = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "finalizers": ["x.io/y"]}},
            _policy("held", {"podSelector": {}}) | {"metadata": {"name": "held", "finalizers": ["x.io/y"]}}]
    assert cluster.apply(box.namespace, held) == []
    cluster.delete_sandbox(box.namespace)
    reap(cluster, now=datetime.datetime.now(datetime.UTC), stuck_after=datetime.timedelta(minutes=5))
    assert wait_gone(cluster, box.namespace)
