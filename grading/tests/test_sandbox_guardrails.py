"""Issue 12, the live half (items 1, 2, 3, 6): a hostile student's objects applied straight
through the cluster adapter and the live stage — no static policy in front — against the
emulator, which models the API server rules the sandbox relies on (server-side apply field
ownership and conflicts, RBAC on the applier, the ServiceAccount admission plugin, quota object
counts, finalizers)."""

import datetime
import json

import pytest

from grading.live import grader as live
from grading.live import sandbox
from grading.live.cluster import ApiException, Cluster, ClusterUnavailable
from grading.live.sandbox import Quota, SandboxSpec
from grading.tests.k8s_emulator import GRADER_TOKEN, GRADER_USER, KubernetesEmulator

NOW = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
SPEC = SandboxSpec(submission_id=42, lab="lab", expires_at=NOW + datetime.timedelta(minutes=5))
NS = SPEC.namespace
APPLIER = sandbox.applier_username(NS)  # writes of student kinds go as the sandbox's applier
NETWORKING = "networking.k8s.io/v1"


def policy(name: str, spec: dict) -> dict:
    return {"apiVersion": NETWORKING, "kind": "NetworkPolicy", "metadata": {"name": name}, "spec": spec}


def configmap(name: str, **meta) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": {"k": "v"}}


def pod(name: str, **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }


OPEN_EVERYTHING = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}


@pytest.fixture
def emu():
    emulator = KubernetesEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def cluster(emu):
    c = Cluster.for_url(emu.url, request_timeout=2, token=GRADER_TOKEN)  # the chart's grader identity
    yield c
    c.close()


@pytest.fixture
def sandboxed(cluster):
    cluster.create_sandbox(SPEC)
    return cluster


def managers(obj: dict) -> set[str]:
    return {m["manager"] for m in obj["metadata"].get("managedFields") or []}


def grade(cluster, objects, **kwargs):
    return live.grade_live(
        cluster, submission_id=42, lab="lab", objects=objects, time_limit=0, ttl_seconds=300,
        poll_seconds=0, now=NOW, sleep=lambda s: None, **kwargs,
    )


# --- 1. guardrails under their own field manager, verified after the apply --------------------


def test_guardrails_and_student_objects_are_applied_under_separate_field_managers(emu, sandboxed):
    assert sandboxed.apply(NS, [configmap("settings")]) == []
    for guard in sandbox.guardrails(SPEC, GRADER_USER):
        stored = emu.get(guard["apiVersion"], guard["kind"], guard["metadata"]["name"], NS)
        assert managers(stored) == {sandbox.GUARDRAIL_MANAGER}, guard["metadata"]["name"]
    assert managers(emu.get("v1", "ConfigMap", "settings", NS)) == {sandbox.STUDENT_MANAGER}


def test_a_student_policy_named_like_the_default_deny_cannot_replace_it(emu, sandboxed):
    hostile = policy("podium-default-deny", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]})
    [problem] = sandboxed.apply(NS, [hostile])
    assert (problem.ref, problem.status) == ("NetworkPolicy/podium-default-deny", 409)
    assert problem.reason == "Tampered"
    assert "guardrail NetworkPolicy/podium-default-deny" in problem.text()
    assert 'conflict with "podium-guardrails": .spec.policyTypes' in problem.message
    stored = emu.get(NETWORKING, "NetworkPolicy", "podium-default-deny", NS)["spec"]
    assert stored == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_the_emulator_hands_a_field_to_another_manager_only_when_forced(emu, sandboxed):
    # The server-side apply rule the guardrails rely on, as the real API server applies it.
    sandboxed._server_side_apply(configmap("shared"), NS, manager="someone", as_user=APPLIER)
    sandboxed._server_side_apply(configmap("shared"), NS, as_user=APPLIER)  # same value: shared, no conflict
    changed = {**configmap("shared"), "data": {"k": "changed"}}
    with pytest.raises(ApiException) as caught:
        sandboxed._server_side_apply(changed, NS, as_user=APPLIER)
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["message"].endswith('conflict with "someone": .data.k')
    sandboxed._server_side_apply(changed, NS, manager=sandbox.GUARDRAIL_MANAGER, as_user=APPLIER)  # forced
    stored = emu.get("v1", "ConfigMap", "shared", NS)
    assert stored["data"] == {"k": "changed"}
    assert managers(stored) == {sandbox.GUARDRAIL_MANAGER}


def test_rules_added_to_a_guardrail_without_a_conflict_are_found_after_the_apply(emu, sandboxed):
    # Same values for the fields the guardrail owns (no conflict), plus allow-all rules.
    assert sandboxed.apply(NS, [policy("podium-default-deny", OPEN_EVERYTHING)]) == []
    assert sandboxed.tampering(SPEC) == ["NetworkPolicy/podium-default-deny changed: spec"]


def test_an_untouched_sandbox_has_no_tampering(sandboxed):
    sandboxed.apply(NS, [configmap("settings"), policy("web", {"podSelector": {}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})])
    assert sandboxed.tampering(SPEC) == []


def test_a_deleted_or_rescoped_guardrail_is_tampering(emu, sandboxed):
    quota = emu.get("v1", "ResourceQuota", "podium-quota", NS)
    quota["spec"]["scopes"] = ["BestEffort"]  # the quota would no longer count ordinary pods
    emu.store.pop(("v1", "limitranges", NS, "podium-limits"))
    assert sandboxed.tampering(SPEC) == [
        "LimitRange/podium-limits is missing",
        "ResourceQuota/podium-quota changed: spec",
    ]


def test_the_live_stage_fails_a_tampering_submission_with_a_tampered_verdict(emu, cluster):
    result = grade(cluster, [configmap("settings"), policy("podium-default-deny", OPEN_EVERYTHING)])
    assert result.problems == []
    [verdict] = result.verdicts
    assert verdict.id == "live-guardrails-intact" and not verdict.passed
    assert verdict.message.startswith("Tampered:")
    assert "NetworkPolicy/podium-default-deny changed: spec" in verdict.message
    assert result.tampered == ["NetworkPolicy/podium-default-deny changed: spec"]
    assert result.namespace not in emu.namespaces()  # torn down all the same


# --- 2. egress: DNS only, no denied range opened ---------------------------------------------


def test_the_dns_guardrail_reaches_only_kube_dns_pods_on_port_53():
    deny, dns = sandbox.network_guardrails(NS)
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    [rule] = dns["spec"]["egress"]
    [peer] = rule["to"]  # ONE peer: the namespace AND the pods, not either
    assert set(peer) == {"namespaceSelector", "podSelector"}
    assert peer["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert "ipBlock" not in str(dns) and "ingress" not in dns["spec"]


def test_a_student_policy_opening_the_api_server_or_metadata_range_is_tampering(emu, sandboxed):
    allow_all = policy("internet", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    metadata = policy("metadata", {"podSelector": {}, "egress": [
        {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}]}]})
    assert sandboxed.apply(NS, [allow_all, metadata]) == []
    assert sandboxed.tampering(SPEC) == [
        "NetworkPolicy/internet: spec.egress[0].to[0].ipBlock 0.0.0.0/0 opens 10.96.0.0/12",
        "NetworkPolicy/internet: spec.egress[0].to[0].ipBlock 0.0.0.0/0 opens 169.254.0.0/16",
        "NetworkPolicy/metadata: spec.egress[0].to[0].ipBlock 169.254.169.254/32 opens 169.254.0.0/16",
    ]


def test_an_ip_block_that_carves_the_denied_ranges_out_is_fine():
    carved = policy("web", {"egress": [{"to": [{"ipBlock": {
        "cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.0.0/16"]}}]}]})
    assert sandbox.denied_egress(carved, sandbox.DEFAULT_DENIED_CIDRS) == []
    v6 = policy("v6", {"ingress": [{"from": [{"ipBlock": {"cidr": "::/0"}}]}]})
    assert sandbox.denied_egress(v6, sandbox.DEFAULT_DENIED_CIDRS) == [
        "spec.ingress[0].from[0].ipBlock ::/0 opens fe80::/10"
    ]


def test_denied_ranges_come_from_the_setting(settings):
    from grading import conf

    assert conf.sandbox_denied_cidrs() == ("10.96.0.0/12", "169.254.0.0/16", "fe80::/10")
    settings.GRADING_SANDBOX_DENIED_CIDRS = "10.43.0.0/16, 192.168.1.10/32"
    assert conf.sandbox_denied_cidrs() == ("10.43.0.0/16", "192.168.1.10/32")
    settings.GRADING_SANDBOX_DENIED_CIDRS = ["10.43.0.0/16", "not-a-range"]
    with pytest.raises(ValueError, match="GRADING_SANDBOX_DENIED_CIDRS: 'not-a-range' is not a CIDR"):
        conf.sandbox_denied_cidrs()


def test_the_configured_denied_ranges_reach_the_live_check(emu, cluster):
    node = policy("node", {"egress": [{"to": [{"ipBlock": {"cidr": "192.168.1.10/32"}}]}]})
    result = grade(cluster, [node], denied_cidrs=("192.168.1.0/24",))
    assert result.tampered == ["NetworkPolicy/node: spec.egress[0].to[0].ipBlock 192.168.1.10/32 opens "
                               "192.168.1.0/24"]


# --- 3. no pod runs with the grader's identity (or any token) --------------------------------


def test_the_emulator_refuses_a_pod_naming_a_missing_service_account(sandboxed):
    [problem] = sandboxed.apply(NS, [pod("ghost", serviceAccountName="ghost")])
    assert (problem.ref, problem.status) == ("Pod/ghost", 403)
    assert f'error looking up service account {NS}/ghost: serviceaccount "ghost" not found' in problem.message


def test_sandbox_pods_run_as_default_without_a_token(emu, sandboxed):
    assert sandboxed.apply(NS, [pod("web")]) == []
    stored = emu.get("v1", "Pod", "web", NS)["spec"]
    assert stored["serviceAccountName"] == "default"
    assert not any(v["name"].startswith("kube-api-access-") for v in stored.get("volumes") or [])


def test_the_emulator_mounts_a_token_when_a_pod_asks_for_it(emu, sandboxed):
    # What the live stage refuses below, and why: automount on the pod overrides the account.
    sandboxed._server_side_apply(pod("leaky", automountServiceAccountToken=True), NS, as_user=APPLIER)
    volumes = emu.get("v1", "Pod", "leaky", NS)["spec"]["volumes"]
    assert volumes[0]["name"].startswith("kube-api-access-")


@pytest.mark.parametrize(
    ("obj", "says"),
    [
        (pod("as-grader", serviceAccountName=sandbox.APPLIER), "serviceAccountName: 'podium-applier'"),
        (pod("automount", automountServiceAccountToken=True), "automountServiceAccountToken: true"),
        (pod("projected", volumes=[{"name": "t", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "anything", "path": "t"}}]}}]),
         "serviceAccountToken source"),
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tok"},
          "type": "kubernetes.io/service-account-token"}, "mints a service-account token"),
        ({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": {"jobTemplate": {
            "spec": {"template": {"spec": {"serviceAccount": sandbox.APPLIER}}}}}},
         "spec.jobTemplate.spec.template.spec.serviceAccount"),
    ],
)
def test_the_live_stage_refuses_pods_with_a_token_before_applying_anything(emu, cluster, obj, says):
    result = grade(cluster, [configmap("settings"), obj])
    [problem] = result.problems
    assert problem.status == 403 and says in problem.message
    assert emu.objects(result.namespace) == []  # nothing created, not even the sandbox
    assert not [n for n in emu.namespaces() if n.startswith("podium-sub-")]


def test_a_default_account_with_automount_switched_on_is_tampering(emu, sandboxed):
    emu.get("v1", "ServiceAccount", "default", NS)["automountServiceAccountToken"] = True
    assert sandboxed.tampering(SPEC) == ["ServiceAccount/default changed: automountServiceAccountToken"]


def test_the_applier_cannot_write_service_accounts_or_roles(sandboxed):
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"},
               "automountServiceAccountToken": True}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "mine"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}
    problems = sandboxed.apply(NS, [account, role])
    assert [(p.ref, p.status) for p in problems] == [("ServiceAccount/default", 403), ("Role/mine", 403)]
    assert 'cannot patch resource "serviceaccounts"' in problems[0].message


# --- 6. quotas and finalizers ----------------------------------------------------------------


def test_the_quota_bounds_ephemeral_storage_and_object_counts(emu, sandboxed):
    hard = emu.get("v1", "ResourceQuota", "podium-quota", NS)["spec"]["hard"]
    assert {"requests.ephemeral-storage", "limits.ephemeral-storage"} <= set(hard)
    for counted in ("configmaps", "secrets", "services", "persistentvolumeclaims",
                    "count/networkpolicies.networking.k8s.io", "count/servicemonitors.monitoring.coreos.com"):
        assert int(hard[counted]) > 0, counted
    # the guardrails' own two policies count: students keep Quota.network_policies of their own
    assert hard["count/networkpolicies.networking.k8s.io"] == str(Quota.network_policies + 2)
    limits = emu.get("v1", "LimitRange", "podium-limits", NS)["spec"]["limits"][0]
    assert "ephemeral-storage" in limits["default"] and "ephemeral-storage" in limits["defaultRequest"]


def test_objects_beyond_the_quota_count_are_refused(emu, cluster):
    small = SandboxSpec(42, "lab", expires_at=SPEC.expires_at, quota=Quota(objects=2, network_policies=1))
    cluster.create_sandbox(small)
    problems = cluster.apply(small.namespace, [configmap("a"), configmap("b"), configmap("c")])
    [problem] = problems
    assert (problem.ref, problem.status) == ("ConfigMap/c", 403)
    assert "exceeded quota: podium-quota" in problem.message and "limited: configmaps=2" in problem.message
    deny_all = {"podSelector": {}}
    [problem] = cluster.apply(small.namespace, [policy("one", deny_all), policy("two", deny_all)])
    assert problem.ref == "NetworkPolicy/two"
    assert "limited: count/networkpolicies.networking.k8s.io=3" in problem.message


def test_the_emulator_refuses_counted_objects_until_the_quota_has_its_status(emu, cluster):
    emu.quota_sync_reads = 10**6  # a quota controller that never gets there
    cluster.quota_wait = 0.2
    with pytest.raises(ClusterUnavailable, match="has not synced ResourceQuota/podium-quota"):
        cluster.create_sandbox(SPEC)
    [problem] = cluster.apply(NS, [configmap("early")])
    assert problem.status == 403
    assert "status unknown for quota: podium-quota, resources: configmaps" in problem.message


def test_a_new_sandbox_is_ready_only_once_its_quota_is_counted(emu, cluster):
    emu.quota_sync_reads = 3  # the controller is a little late
    cluster.create_sandbox(SPEC)
    assert cluster.apply(NS, [configmap("first")]) == []


def test_the_reaper_clears_a_servicemonitor_finalizer_that_holds_the_namespace(emu, cluster):
    held = SandboxSpec(43, "lab", expires_at=NOW)
    cluster.create_sandbox(held)
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
               "metadata": {"name": "metrics", "finalizers": ["example.com/hold"]},
               "spec": {"selector": {}, "endpoints": []}}
    netpol = {**policy("web", {"podSelector": {}}), "metadata": {"name": "web", "finalizers": ["x.io/y"]}}
    assert cluster.apply(held.namespace, [monitor, netpol]) == []
    cluster.delete_sandbox(held.namespace)
    [box] = cluster.sandboxes()
    assert box.terminating_since is not None  # held by the finalizers
    later = datetime.datetime.now(datetime.UTC)
    report = live.reap(cluster, now=later, stuck_after=datetime.timedelta(hours=1))
    assert report.released == {held.namespace: 2}
    assert held.namespace not in emu.namespaces()


def test_the_reaper_skips_kinds_the_cluster_does_not_serve(emu, cluster, monkeypatch):
    from grading.tests import k8s_emulator

    monkeypatch.delitem(k8s_emulator.RESOURCES, "monitoring.coreos.com/v1")
    cluster.create_sandbox(SPEC)
    kinds = cluster.finalizable()
    assert ("networking.k8s.io/v1", "networkpolicies") in kinds
    assert not any(gv.startswith("monitoring.coreos.com") for gv, _ in kinds)
