"""Issue 19 items 1-5: a cluster identity the real API server accepts.

The grader runs here as the chart's own ServiceAccount (bearer token GRADER_TOKEN), authorized
by the chart's rendered ClusterRoles and ClusterRoleBindings alone, against an emulator that
models what the API server enforces and hid the problem before: RBAC authorization, escalation
prevention (a Role or binding granting what its creator does not hold is refused) and
impersonation rights per namespace."""

import datetime
import json

import pytest

from grading.live import grader as live
from grading.live import sandbox
from grading.live.cluster import ApiException, Cluster, ClusterError
from grading.live.sandbox import Install, SandboxSpec
from grading.tests.k8s_emulator import GRADER_TOKEN, GRADER_USER, KubernetesEmulator

NOW = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
RBAC = "rbac.authorization.k8s.io/v1"


def message(caught) -> str:
    return json.loads(caught.value.body)["message"]


CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"k": "v"}}


def spec(
    submission: int = 42, *, expires: datetime.datetime = NOW, install: Install | None = None
) -> SandboxSpec:
    return SandboxSpec(submission, "lab", expires_at=expires, install=install or Install())


@pytest.fixture
def emu():
    emulator = KubernetesEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def grader(emu):
    c = Cluster.for_url(emu.url, request_timeout=2, token=GRADER_TOKEN)
    yield c
    c.close()


# --- 1. RBAC escalation prevention: the grader binds chart roles, it writes none --------------


def test_the_grader_is_told_who_it_is_by_the_api_server(grader):
    assert grader.username() == GRADER_USER


def test_the_old_star_verbs_role_in_a_sandbox_is_refused_as_an_escalation(emu, grader):
    """What grading/live/sandbox.py created before: a Role with verbs ["*"] on the student kinds. Even
    with the old chart's right to create Roles, the grader holds no such rules, nor `escalate`:
    the API server answers 403, so every live grade ended "not graded"."""
    emu.put(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRole",
            "metadata": {"name": "old-grader-roles"},
            "rules": [
                {
                    "apiGroups": ["rbac.authorization.k8s.io"],
                    "resources": ["roles"],
                    "verbs": ["get", "list", "create", "patch", "update", "delete"],
                }
            ],
        }
    )
    emu.put(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "old-grader-roles"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "old-grader-roles",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "podium-grader", "namespace": "podium"}],
        }
    )
    box = spec()
    grader.create_sandbox(box)
    old_role = {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": {"name": sandbox.APPLIER, "namespace": box.namespace},
        "rules": sandbox.APPLIER_RULES,
    }
    with pytest.raises(ApiException) as caught:
        grader._server_side_apply(old_role, box.namespace, manager=sandbox.GUARDRAIL_MANAGER)
    assert caught.value.status == 403
    text = message(caught)
    assert text.startswith(
        f'roles.rbac.authorization.k8s.io "podium-applier" is forbidden: user "{GRADER_USER}"'
    )
    assert "is attempting to grant RBAC permissions not currently held:\n" in text
    assert (
        '{APIGroups:[""], Resources:["pods" "services" "configmaps" "secrets" "persistentvolumeclaims"], '
        'Verbs:["*"]}' in text
    )
    assert emu.objects(box.namespace, kind="Role") == []


def test_without_the_old_rights_the_grader_may_write_no_role_at_all(grader):
    box = spec()
    grader.create_sandbox(box)
    role = {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "x"}, "rules": []}
    with pytest.raises(ApiException) as caught:
        grader._server_side_apply(role, box.namespace, manager=sandbox.GUARDRAIL_MANAGER)
    assert caught.value.status == 403 and 'cannot patch resource "roles"' in message(caught)


def test_a_binding_to_a_role_the_grader_may_not_bind_is_refused(emu, grader):
    emu.put(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRole",
            "metadata": {"name": "cluster-admin"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        }
    )
    box = spec()
    grader.create_sandbox(box)
    binding = {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {"name": "mine", "namespace": box.namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": sandbox.APPLIER, "namespace": box.namespace}],
    }
    with pytest.raises(ApiException) as caught:
        grader._server_side_apply(binding, box.namespace, manager=sandbox.GUARDRAIL_MANAGER)
    assert caught.value.status == 403 and "not currently held" in message(caught)
    assert emu.get(RBAC, "RoleBinding", "mine", box.namespace) is None


def test_the_sandbox_binds_the_charts_cluster_roles_and_creates_no_role(emu, grader):
    box = spec()
    grader.create_sandbox(box)
    assert emu.objects(box.namespace, kind="Role") == []
    applier = emu.get(RBAC, "RoleBinding", sandbox.APPLIER, box.namespace)
    assert applier["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "podium-podium-sandbox",
    }
    own = emu.get(RBAC, "RoleBinding", sandbox.GRADER_BINDING, box.namespace)
    assert own["roleRef"]["name"] == "podium-podium-sandbox-grader"
    assert own["subjects"] == [{"kind": "ServiceAccount", "name": "podium-grader", "namespace": "podium"}]
    assert own["metadata"]["finalizers"] == [sandbox.GRADER_ACCESS_FINALIZER]


def test_bindings_the_authorizer_has_not_seen_yet_are_waited_for(emu, grader):
    """A real API server's RBAC authorizer reads bindings from a watch cache: the request right
    after a RoleBinding is created may still be refused. Not the student's fault, nor "not
    graded": the grader tries again for a few seconds."""
    emu.fail(status=403, times=2, method="PATCH", path="/limitranges/")
    emu.fail(status=403, times=1, method="GET", path="/configmaps")  # the applier's rights
    assert grader.create_sandbox(spec()) is True
    grader.rbac_wait = 0.2
    emu.fail(status=403, times=1000, method="PATCH", path="/limitranges/")
    with pytest.raises(ClusterError, match="guardrail LimitRange/podium-limits"):
        grader.create_sandbox(spec(43))


def test_the_grader_cannot_write_student_kinds_itself(grader):
    box = spec()
    grader.create_sandbox(box)
    with pytest.raises(ApiException) as caught:
        grader._server_side_apply({**CONFIGMAP, "metadata": {"name": "x"}}, box.namespace)
    assert caught.value.status == 403
    assert 'cannot create resource "configmaps"' in message(caught)


def test_grading_runs_end_to_end_as_the_charts_grader_identity(emu, grader):
    result = live.grade_live(
        grader,
        submission_id=42,
        lab="lab",
        objects=[CONFIGMAP],
        time_limit=0,
        ttl_seconds=300,
        poll_seconds=0,
        now=NOW,
        sleep=lambda s: None,
    )
    assert result.problems == [] and result.tampered == []
    assert emu.as_admin == []  # nothing done with credentials other than the grader's
    assert emu.get("v1", "ConfigMap", "settings", result.namespace) is None  # torn down
    assert result.namespace not in emu.namespaces()  # the grader's own binding released too


# --- 2. impersonation only inside the sandbox ----------------------------------------------------


def test_impersonating_an_applier_outside_a_sandbox_is_refused(emu, grader):
    """Before, the chart granted `impersonate` on serviceaccounts/podium-applier cluster-wide: any
    namespace's account of that name, with whatever it is bound to there, was the grader's."""
    emu.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant"}})
    emu.put(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": sandbox.APPLIER, "namespace": "tenant"},
        }
    )
    emu.put(
        {
            "apiVersion": RBAC,
            "kind": "Role",
            "metadata": {"name": "all", "namespace": "tenant"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        }
    )
    emu.put(
        {
            "apiVersion": RBAC,
            "kind": "RoleBinding",
            "metadata": {"name": "all", "namespace": "tenant"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "all"},
            "subjects": [{"kind": "ServiceAccount", "name": sandbox.APPLIER, "namespace": "tenant"}],
        }
    )
    grader.create_sandbox(spec())  # the grader may impersonate in its sandbox...
    with pytest.raises(ApiException) as caught:  # ...and nowhere else
        grader._call("GET", "/api/v1/namespaces/tenant/secrets", as_user=sandbox.applier_username("tenant"))
    assert caught.value.status == 403
    assert (
        'cannot impersonate resource "serviceaccounts" in API group "" in the namespace "tenant"'
        in message(caught)
    )


def test_one_sandboxs_applier_cannot_be_impersonated_into_another(emu, grader):
    first, second = spec(1), spec(2)
    grader.create_sandbox(first)
    grader.create_sandbox(second)
    with pytest.raises(ApiException) as caught:
        grader._server_side_apply(
            CONFIGMAP, second.namespace, as_user=sandbox.applier_username(first.namespace)
        )
    assert caught.value.status == 403


# --- 3. the reaper: prefix AND label, never a guessed expiry -----------------------------------


def test_the_reaper_deletes_only_this_installs_sandboxes_with_a_readable_expiry(emu, grader):
    mine = spec(1)
    grader.create_sandbox(mine)
    unreadable = spec(2)
    grader.create_sandbox(unreadable)
    emu.get("v1", "Namespace", unreadable.namespace)["metadata"]["annotations"][sandbox.EXPIRES_AT] = "soon"
    missing = spec(3)
    grader.create_sandbox(missing)
    del emu.get("v1", "Namespace", missing.namespace)["metadata"]["annotations"][sandbox.EXPIRES_AT]
    labels = Install().labels()
    lookalikes = {
        "labelled-not-prefixed": labels,  # the label alone (another tenant can set it)
        f"{Install().name_prefix}9-aaaaaaaa": {sandbox.MANAGED_BY: sandbox.MANAGER},  # no install label
    }
    for name, namespace_labels in lookalikes.items():
        emu.put(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "labels": dict(namespace_labels),
                    "annotations": {sandbox.EXPIRES_AT: "2000-01-01T00:00:00+00:00"},
                },
            }
        )
    report = live.reap(
        grader, now=NOW + datetime.timedelta(days=365), stuck_after=datetime.timedelta(hours=1)
    )
    assert report.deleted == [mine.namespace]
    left = set(emu.namespaces())
    assert {unreadable.namespace, missing.namespace, *lookalikes} <= left


# --- 4. unpredictable names, never taken over, installs apart ------------------------------------


def test_sandbox_names_are_unpredictable_per_run(emu, grader):
    runs = {spec(42).namespace for _ in range(20)}
    assert len(runs) == 20
    assert all(name.startswith("podium-sub-dev-42-") for name in runs)


def test_a_precreated_namespace_with_matching_labels_is_never_taken_over(emu, grader):
    """Before, a 409 on a namespace labelled with the right submission id was taken for the
    grader's own: another tenant could pre-create the next sandbox with `enforce: privileged`."""
    box = spec()
    trap = sandbox.namespace_manifest(box)
    trap["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    trap["metadata"]["annotations"][sandbox.OWNER] = "someone-elses-token"
    emu.put(trap)
    with pytest.raises(ClusterError, match="was not created by this grading run"):
        grader.create_sandbox(box)
    assert emu.objects(box.namespace) == []  # no guardrail, no binding written into it


def test_two_installs_on_one_cluster_never_see_each_others_sandboxes(emu):
    a_install = Install(
        install_id="aaaa1111",
        applier_clusterrole="podium-podium-sandbox",
        grader_clusterrole="podium-podium-sandbox-grader",
    )
    b_install = Install(
        install_id="bbbb2222",
        applier_clusterrole="podium-podium-sandbox",
        grader_clusterrole="podium-podium-sandbox-grader",
    )
    a = Cluster.for_url(emu.url, token=GRADER_TOKEN, install=a_install)
    b = Cluster.for_url(emu.url, token=GRADER_TOKEN, install=b_install)
    try:
        a_box, b_box = spec(7, install=a_install), spec(7, install=b_install)
        a.create_sandbox(a_box)
        b.create_sandbox(b_box)
        assert a_box.namespace != b_box.namespace
        assert [s.name for s in a.sandboxes()] == [a_box.namespace]
        assert [s.name for s in b.sandboxes()] == [b_box.namespace]
        report = live.reap(a, now=NOW + datetime.timedelta(days=1), stuck_after=datetime.timedelta(hours=1))
        assert report.deleted == [a_box.namespace]
        assert b_box.namespace in emu.namespaces()
        with pytest.raises(ClusterError, match="not of this grader's install"):
            a.create_sandbox(spec(8, install=b_install))
    finally:
        a.close()
        b.close()


# --- 5. every right the chart gives the grader is one the adapter uses ---------------------------


def grader_calls(emu: KubernetesEmulator, grader: Cluster) -> set[tuple[str, str, str, str | None]]:
    """Drive every call grading/live/cluster.py makes (create, retry, apply, tamper check, observe with
    logs, teardown, reap of a sandbox whose every kind holds a finalizer) as the grader, and
    return what RBAC let through for it: (verb, API group, resource, name)."""
    box = spec(expires=NOW)
    grader.create_sandbox(box)
    grader.create_sandbox(box)  # a retried create: 409, the namespace read back
    ns = box.namespace
    assert grader.apply(ns, [CONFIGMAP]) == []
    assert grader.tampering(box) == []
    emu.put(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
            "status": {"containerStatuses": [{"name": "c", "restartCount": 1}]},
        }
    )
    kinds = [(gv, kind) for (gv, kind) in emu._kinds if gv not in (RBAC, "authentication.k8s.io/v1")]
    grader.read_state(ns, [k for k in kinds if emu._kinds[k][1]])
    for api_version, plural in grader.finalizable():
        kind = emu._plurals[(api_version, plural)][0]
        emu.put(
            {
                "apiVersion": api_version,
                "kind": kind,
                "metadata": {"name": f"held-{plural}", "namespace": ns, "finalizers": ["example.com/hold"]},
            }
        )
    grader.delete_sandbox(ns)
    live.reap(grader, now=NOW + datetime.timedelta(days=1), stuck_after=datetime.timedelta(hours=1))
    assert ns not in emu.namespaces()
    return {
        (verb, group, resource, name)
        for user, verb, group, resource, _, name in emu.authorized
        if user == GRADER_USER
    }


def unused_grants(rules: list[dict], used: set[tuple[str, str, str, str | None]]) -> list[str]:
    """Every (verb, group, resource[, name]) a list of PolicyRules grants that no call used."""
    found = []
    for rule in rules:
        for verb in rule["verbs"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for name in rule.get("resourceNames") or [None]:
                        if not any(u[:3] == (verb, group, resource) and name in (None, u[3]) for u in used):
                            found.append(f"{verb} {resource}{'/' + name if name else ''} ({group or 'core'})")
    return found


def test_every_grant_in_the_graders_sandbox_rules_is_used(emu, grader):
    used = grader_calls(emu, grader)
    assert unused_grants(sandbox.GRADER_SANDBOX_RULES, used) == []


# --- 4. the chart's values reach the worker ------------------------------------------------------


def test_the_install_comes_from_the_workers_environment(settings):
    from grading import conf

    settings.GRADING_KUBECONFIG = "/nonexistent/kubeconfig"
    settings.GRADING_INSTALL_ID = "77cc0654"
    settings.GRADING_SANDBOX_PREFIX = "labs-"
    settings.GRADING_SANDBOX_LABEL = "podium.example/sandbox=yes"
    settings.GRADING_SANDBOX_CLUSTERROLE = "p-ns-sandbox"
    settings.GRADING_SANDBOX_GRADER_CLUSTERROLE = "p-ns-sandbox-grader"
    assert conf.cluster_settings().install == Install(
        install_id="77cc0654",
        prefix="labs-",
        label_key="podium.example/sandbox",
        label_value="yes",
        applier_clusterrole="p-ns-sandbox",
        grader_clusterrole="p-ns-sandbox-grader",
    )
    settings.GRADING_SANDBOX_LABEL = "no-value-here"
    with pytest.raises(ValueError, match='GRADING_SANDBOX_LABEL must look like "key=value"'):
        conf.sandbox_install()
    settings.GRADING_SANDBOX_LABEL = "a=b"
    settings.GRADING_INSTALL_ID = "Not An Id"
    with pytest.raises(ValueError, match="GRADING_INSTALL_ID"):
        conf.sandbox_install()


def test_a_configured_prefix_and_label_are_what_grading_uses(emu):
    """Before, `podium-sub-<id>` and the managed-by label were hard-coded: changing the chart's
    namespacePrefix/sandboxLabel broke every grade with the admission policy's 403."""
    install = Install(install_id="x1", prefix="labs-", label_key="podium.example/sandbox", label_value="yes")
    cluster = Cluster.for_url(emu.url, token=GRADER_TOKEN, install=install)
    seen = []
    emu.on_write.append(lambda e, obj: seen.append(obj) if obj.get("kind") == "Namespace" else None)
    try:
        result = live.grade_live(
            cluster,
            submission_id=5,
            lab="lab",
            objects=[CONFIGMAP],
            time_limit=0,
            ttl_seconds=300,
            poll_seconds=0,
            now=NOW,
            sleep=lambda s: None,
        )
    finally:
        cluster.close()
    assert result.problems == [] and result.namespace.startswith("labs-x1-5-")
    labels = seen[0]["metadata"]["labels"]
    assert labels["podium.example/sandbox"] == "yes" and labels[sandbox.INSTALL] == "x1"
    assert sandbox.MANAGED_BY not in labels


def test_a_bad_install_setting_stops_the_worker_at_start(settings):
    from grading.apps import check_sandbox_settings

    settings.GRADING_SANDBOX_PREFIX = "Podium_Sub_"
    [error] = check_sandbox_settings()
    assert error.id == "grading.E002" and "sandbox prefix 'Podium_Sub_'" in error.msg
