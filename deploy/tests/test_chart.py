"""The Helm chart: lint, render, validate against Kubernetes 1.36, and the security rules every
container follows."""

import ipaddress
import json
import shutil
import subprocess
import sys

import kubernetes_validate
import pytest

from deploy.tests.conftest import (
    CHART,
    EXTERNAL_VALUES,
    KUBE_VERSION,
    NAMESPACE,
    RELEASE,
    ROOT,
    Rendered,
    helm,
    parse,
    render,
)

KUBERNETES_VERSION = "1.36"
# Kinds that are not in the Kubernetes OpenAPI schema (CRDs), with why they are not validated
# here and what checks them instead.
CRD_KINDS = {
    "ServiceMonitor": "Prometheus Operator CRD, not part of the Kubernetes schema; rendered only "
                      "with serviceMonitor.enabled and checked by "
                      "test_service_monitor_scrapes_the_web_metrics_port",
    "AdminNetworkPolicy": "network-policy-api CRD (policy.networking.k8s.io/v1alpha1), checked by "
                          "test_admin_network_policy_denies_sandbox_egress_to_the_denied_ranges_and_nodes",
}


@pytest.mark.parametrize("values", [[], [EXTERNAL_VALUES]], ids=["default", "external"])
def test_chart_lints_cleanly(values):
    args = ["lint", "--strict", str(CHART), "--namespace", "podium"]
    for path in values:
        args += ["--values", str(path)]
    result = helm(*args, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("chart", ["default_chart", "external_chart"])
def test_every_rendered_object_validates_against_kubernetes_1_31_strict(chart, request):
    rendered = request.getfixturevalue(chart)
    problems, validated = [], 0
    for obj in rendered.objects:
        if obj["kind"] in CRD_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            validated += 1
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} at {list(exc.path)}")
    assert problems == []
    assert validated >= 20


def test_default_values_install_the_whole_platform(default_chart):
    kinds = {o["kind"] for o in default_chart.objects}
    assert {"Deployment", "StatefulSet", "Service", "Ingress", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "ConfigMap", "Secret", "Job", "PersistentVolumeClaim",
            "NetworkPolicy", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
            "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} <= kinds
    assert {o["metadata"]["name"] for o in default_chart.of_kind("Deployment")} == \
        {"podium-web", "podium-worker", "podium-beat", "podium-redis-cache"}
    assert {o["metadata"]["name"] for o in default_chart.of_kind("StatefulSet")} == \
        {"podium-postgresql", "podium-redis"}
    assert "ServiceMonitor" not in kinds


def test_external_values_use_the_existing_secret_and_no_in_chart_datastores(external_chart):
    assert external_chart.of_kind("Secret") == []
    assert external_chart.of_kind("StatefulSet") == []
    for label, spec in external_chart.pod_specs():
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        assert volumes["secrets"]["secret"]["secretName"] == "podium-external", label


def test_external_datastores_without_urls_or_secret_fail_with_a_clear_message():
    result = render(sets=("postgresql.enabled=false",), check=False)
    assert result.returncode != 0
    assert "set external.databaseUrl or secrets.existingSecret" in result.stderr


def test_web_runs_three_replicas_behind_a_service_an_ingress_with_tls_and_an_hpa(default_chart):
    web = default_chart.get("Deployment", "podium-web")
    assert "replicas" not in web["spec"]  # the HPA owns the count (test_chart_ops.py)
    ingress = default_chart.get("Ingress", "podium")
    assert ingress["spec"]["tls"] == [{"hosts": ["learn.podium.test"], "secretName": "podium-tls"}]
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "podium-selfsigned"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "podium-web", "port": {"name": "http"}}
    hpa = default_chart.get("HorizontalPodAutoscaler", "podium-web")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "podium-web"}
    assert hpa["spec"]["minReplicas"] >= 3
    assert default_chart.get("PodDisruptionBudget", "podium-web")["spec"]["minAvailable"] == 2


def test_web_probes_are_healthz_and_readyz_on_the_http_port(default_chart):
    web = default_chart.get("Deployment", "podium-web")["spec"]["template"]
    container = web["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    annotations = web["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    metrics_port = next(p for p in container["ports"] if p["name"] == "metrics")["containerPort"]
    assert annotations["prometheus.io/port"] == str(metrics_port)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["METRICS_PORT"] == str(metrics_port)


def test_worker_has_an_hpa_and_a_grading_service_account(default_chart):
    worker = default_chart.get("Deployment", "podium-worker")["spec"]["template"]["spec"]
    assert worker["serviceAccountName"] == "podium-grader"
    assert worker["containers"][0]["command"][:3] == ["celery", "--app=lms", "worker"]
    env = {e["name"]: e.get("value") for e in worker["containers"][0]["env"]}
    assert env["GRADING_KUBE_IN_CLUSTER"] == "1"  # grading/conf.py: use the pod's ServiceAccount
    hpa = default_chart.get("HorizontalPodAutoscaler", "podium-worker")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "podium-worker"


def test_beat_is_a_single_replica_that_is_recreated_not_rolled(default_chart):
    beat = default_chart.get("Deployment", "podium-beat")["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    assert beat["template"]["spec"]["containers"][0]["command"][:3] == ["celery", "--app=lms", "beat"]
    # The reaper is scheduled only when a cluster is configured (grading/conf.py beat_schedule).
    env = {e["name"]: e.get("value") for e in beat["template"]["spec"]["containers"][0]["env"]}
    assert env["GRADING_KUBE_IN_CLUSTER"] == "1"
    assert beat["template"]["spec"]["automountServiceAccountToken"] is False


def test_migrations_and_course_import_run_as_a_job_of_the_revision(default_chart):
    job = default_chart.of_kind("Job")[0]
    # Not a hook (install order: test_chart_ops.py).
    assert job["metadata"]["name"] == "podium-migrate-1" and "helm.sh/hook" not in (
        job["metadata"].get("annotations") or {})
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "python manage.py migrate --no-input" in script
    assert "python manage.py load_course courses/content/kubernetes-fundamentals" in script
    # The app pods wait for the schema rather than serving errors meanwhile.
    for name in ("podium-web", "podium-worker", "podium-beat"):
        init = default_chart.get("Deployment", name)["spec"]["template"]["spec"]["initContainers"]
        assert "migrate --check" in init[0]["command"][-1]


def test_postgresql_keeps_its_data_on_a_volume_claim_template(default_chart):
    pg = default_chart.get("StatefulSet", "podium-postgresql")["spec"]
    assert pg["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    mounts = pg["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": "/var/lib/postgresql/data"} in mounts


def test_redis_appends_every_write_and_never_evicts_tasks(default_chart):
    redis = default_chart.get("StatefulSet", "podium-redis")["spec"]
    command = default_chart.get("ConfigMap", "podium-redis-config")["data"]["broker.conf"]
    assert "appendonly yes" in command
    assert "maxmemory-policy noeviction" in command
    assert redis["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


@pytest.mark.parametrize("chart", ["default_chart", "external_chart"])
def test_every_container_is_locked_down_and_sized(chart, request):
    rendered = request.getfixturevalue(chart)
    problems = []
    for label, spec in rendered.pod_specs():
        pod_security = spec.get("securityContext") or {}
        for c in (spec.get("initContainers") or []) + spec["containers"]:
            where = f"{label} container {c['name']}"
            sc = c.get("securityContext") or {}
            if not (sc.get("runAsNonRoot") or pod_security.get("runAsNonRoot")):
                problems.append(f"{where}: runAsNonRoot")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation")
            if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: capabilities.drop ALL")
            seccomp = sc.get("seccompProfile") or pod_security.get("seccompProfile") or {}
            if seccomp.get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccomp RuntimeDefault")
            resources = c.get("resources") or {}
            for field in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if not (resources.get(field) or {}).get(resource):
                        problems.append(f"{where}: {field}.{resource}")
    assert problems == []


def test_secrets_reach_the_app_as_mounted_files_never_as_env_values(default_chart):
    secret = default_chart.get("Secret", "podium-secrets")
    values = [v for v in secret["stringData"].values() if len(v) >= 16]
    for label, spec in default_chart.pod_specs():
        for c in (spec.get("initContainers") or []) + spec["containers"]:
            text = json.dumps(c.get("env") or [])
            assert not any(v in text for v in values), f"{label} {c['name']} has a secret value in env"
            assert "secretKeyRef" not in text
    web = default_chart.get("Deployment", "podium-web")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in web["env"]}
    assert env["SECRET_KEY_FILE"] == "/run/secrets/podium/SECRET_KEY"
    assert env["DATABASE_URL_FILE"] == "/run/secrets/podium/DATABASE_URL"
    assert env["REDIS_URL_FILE"] == "/run/secrets/podium/REDIS_URL"
    assert {"name": "secrets", "mountPath": "/run/secrets/podium", "readOnly": True} in web["volumeMounts"]
    assert secret["stringData"]["DATABASE_URL"].endswith("@podium-postgresql:5432/podium")


def test_network_policies_deny_by_default_and_open_only_podiums_paths(default_chart):
    policies = {p["metadata"]["name"]: p["spec"] for p in default_chart.of_kind("NetworkPolicy")}
    deny = policies["podium-default-deny"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    web_in = policies["podium-web-ingress"]["ingress"][0]
    assert web_in["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "ingress-nginx"}}}]
    assert web_in["ports"] == [{"protocol": "TCP", "port": 8000}]
    egress_ports = {p["port"] for rule in policies["podium-app-egress"]["egress"] for p in rule["ports"]}
    assert egress_ports == {5432, 6379}
    assert {p["port"] for p in policies["podium-dns"]["egress"][0]["ports"]} == {53}
    assert policies["podium-worker-kube-api"]["podSelector"]["matchLabels"][
        "app.kubernetes.io/component"] == "worker"
    assert "podium-postgresql-ingress" in policies and "podium-redis-ingress" in policies


def _grader_role(rendered) -> dict:
    return rendered.get("ClusterRole", "podium-podium-grader")


def _sandbox_role(rendered) -> dict:
    return rendered.get("ClusterRole", "podium-podium-sandbox")


def _grader_sandbox_role(rendered) -> dict:
    return rendered.get("ClusterRole", "podium-podium-sandbox-grader")


def test_grader_impersonates_the_applier_only_through_a_role_bound_inside_a_sandbox(default_chart):
    """Issue 19 item 2: no cluster-wide `impersonate`; the -sandbox-grader ClusterRole holds it
    (by name) and is bound by a RoleBinding in each sandbox only, never cluster-wide."""
    assert not any("impersonate" in r["verbs"] for r in _grader_role(default_chart)["rules"])
    impersonation = [r for r in _grader_sandbox_role(default_chart)["rules"] if "impersonate" in r["verbs"]]
    assert impersonation == [{"apiGroups": [""], "resources": ["serviceaccounts"],
                              "resourceNames": ["podium-applier"], "verbs": ["impersonate"]}]
    cluster_bound = {b["roleRef"]["name"] for b in default_chart.of_kind("ClusterRoleBinding")}
    assert not cluster_bound & {"podium-podium-sandbox-grader", "podium-podium-sandbox"}
    for role in (_grader_role(default_chart), _grader_sandbox_role(default_chart)):
        assert not any("*" in r["verbs"] or "*" in r["resources"] for r in role["rules"])
    from grading.live.sandbox import APPLIER

    assert APPLIER == "podium-applier"


def test_grader_cannot_read_secrets_cluster_wide(default_chart):
    """Issue 12 item 7: the workers' ClusterRole (bound cluster-wide) grants nothing on Secrets;
    they read a sandbox's Secrets only through the -sandbox-grader ClusterRole bound inside it."""
    bound = {b["roleRef"]["name"] for b in default_chart.of_kind("ClusterRoleBinding")
             if any(s.get("name") == "podium-grader" for s in b["subjects"])}
    assert bound == {"podium-podium-grader"}
    for name in bound:
        for rule in default_chart.get("ClusterRole", name)["rules"]:
            covers_core = {"", "*"} & set(rule["apiGroups"])
            covers_secrets = {"secrets", "*"} & set(rule["resources"])
            assert not (covers_core and covers_secrets), rule


def test_grader_reads_no_pods_logs_configmaps_or_events_cluster_wide(default_chart):
    """Issue 19 item 5: cluster-wide, namespaces (get, list, create, delete), RoleBindings
    (create, patch) and `bind` on two roles by name; nothing on student kinds, no watch, no
    update, no namespaces/finalize."""
    sandbox_role, grader_sandbox = _sandbox_role(default_chart), _grader_sandbox_role(default_chart)
    assert _grader_role(default_chart)["rules"] == [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create", "delete"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"],
         "verbs": ["create", "patch"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
         "resourceNames": [sandbox_role["metadata"]["name"], grader_sandbox["metadata"]["name"]],
         "verbs": ["bind"]},
    ]


def test_sandbox_roles_are_the_adapters_rules_and_the_grader_may_only_bind_them(default_chart):
    """RBAC forbids granting permissions one does not hold, unless one may `bind` the role: the
    workers may bind exactly the two sandbox ClusterRoles (inside sandboxes: the admission
    policy), so they hold neither the applier's `*` nor the in-sandbox reads themselves."""
    from grading.live.sandbox import APPLIER_RULES, GRADER_SANDBOX_RULES, Install

    sandbox_role, grader_sandbox = _sandbox_role(default_chart), _grader_sandbox_role(default_chart)
    assert sandbox_role["rules"] == APPLIER_RULES
    assert grader_sandbox["rules"] == GRADER_SANDBOX_RULES
    binds = [r for r in _grader_role(default_chart)["rules"] if "bind" in r["verbs"]]
    assert binds == [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                      "resourceNames": [sandbox_role["metadata"]["name"], grader_sandbox["metadata"]["name"]],
                      "verbs": ["bind"]}]
    assert not any(r["verbs"] != ["bind"] and {"escalate", "bind"} & set(r["verbs"])
                   for r in _grader_role(default_chart)["rules"])
    worker = default_chart.get("Deployment", "podium-worker")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in worker["env"]}
    assert env["GRADING_SANDBOX_CLUSTERROLE"] == sandbox_role["metadata"]["name"]
    assert env["GRADING_SANDBOX_GRADER_CLUSTERROLE"] == grader_sandbox["metadata"]["name"]
    # The development defaults (tests, `make run`) are this rendering's names.
    assert (Install().applier_clusterrole, Install().grader_clusterrole) == (
        sandbox_role["metadata"]["name"], grader_sandbox["metadata"]["name"])


def test_grader_rbac_covers_every_kind_the_cluster_adapter_reads_and_grants_nothing_it_never_uses(
        default_chart):
    """Both directions, through the emulator loaded with this chart's RBAC: every call the
    adapter makes (create, retry, apply, tamper check, observe, logs, teardown, reap with a
    finalizer on every kind) is authorized for the grader's ServiceAccount (else it raises), and
    every verb the chart grants it, cluster-wide or in a sandbox, is one of those calls."""
    from grading.live.cluster import KINDS, Cluster
    from grading.tests.k8s_emulator import GRADER_TOKEN, KubernetesEmulator
    from grading.tests.test_sandbox_identity import grader_calls, unused_grants

    def readable(rules):
        return {(g, r) for rule in rules if "list" in rule["verbs"] or "*" in rule["verbs"]
                for g in rule["apiGroups"] for r in rule["resources"]}

    in_sandbox = readable(_grader_sandbox_role(default_chart)["rules"])
    missing = [f"{api_version} {plural}" for (api_version, kind), (plural, namespaced) in KINDS.items()
               if namespaced and (api_version.rpartition("/")[0], plural) not in in_sandbox]
    assert missing == []

    emu = KubernetesEmulator().start()
    grader = Cluster.for_url(emu.url, request_timeout=2, token=GRADER_TOKEN)
    try:
        used = grader_calls(emu, grader)
    finally:
        grader.close()
        emu.stop()
    rules = _grader_role(default_chart)["rules"] + _grader_sandbox_role(default_chart)["rules"]
    assert unused_grants(rules, used) == []


def test_cluster_access_without_the_admission_policy_does_not_render():
    """Issue 19 item 3: the policy is all that keeps the workers from deleting kube-system."""
    result = render(sets=("grading.admissionPolicy=false",), check=False)
    assert result.returncode != 0
    assert "admissionPolicy" in result.stderr
    assert render(sets=("grading.admissionPolicy=false", "grading.clusterAccess=false")).returncode == 0


def test_admission_policy_confines_the_grader_to_labelled_sandbox_namespaces(default_chart):
    from grading.live.sandbox import INSTALL, MANAGED_BY, MANAGER, Install, namespace_name

    policy = default_chart.get("ValidatingAdmissionPolicy", "podium-podium-grader-sandboxes")
    binding = default_chart.get("ValidatingAdmissionPolicyBinding", "podium-podium-grader-sandboxes")
    assert binding["spec"] == {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"]}
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConditions"][0]["expression"] == \
        'request.userInfo.username == "system:serviceaccount:podium:podium-grader"'
    prefix = json.loads(next(v["expression"] for v in spec["variables"] if v["name"] == "prefix"))
    worker = default_chart.get("Deployment", "podium-worker")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in worker["env"]}
    install = Install(install_id=env["GRADING_INSTALL_ID"], prefix=env["GRADING_SANDBOX_PREFIX"])
    assert prefix == install.name_prefix == f"podium-sub-{env['GRADING_INSTALL_ID']}-"
    assert namespace_name(7, "0a1b2c3d", install).startswith(prefix)
    assert env["GRADING_SANDBOX_LABEL"] == f"{MANAGED_BY}={MANAGER}"
    text = json.dumps(spec["validations"])
    assert MANAGED_BY in text and MANAGER in text and INSTALL in text and env["GRADING_INSTALL_ID"] in text
    assert "pod-security.kubernetes.io/enforce" in text
    # The grader asks who it is (a SelfSubjectReview, a CREATE outside any namespace): not confined.
    assert spec["matchConstraints"]["excludeResourceRules"] == [{
        "apiGroups": ["authentication.k8s.io"], "apiVersions": ["*"], "resources": ["selfsubjectreviews"],
        "operations": ["CREATE"]}]
    names = default_chart.get("ValidatingAdmissionPolicy", "podium-podium-sandbox-names")["spec"]
    assert names["matchConditions"][0]["expression"] == \
        'request.userInfo.username != "system:serviceaccount:podium:podium-grader"'
    assert default_chart.get("ValidatingAdmissionPolicyBinding", "podium-podium-sandbox-names")["spec"] == {
        "policyName": "podium-podium-sandbox-names", "validationActions": ["Deny"]}


def test_the_install_id_is_stable_per_release_and_settable(default_chart):
    import hashlib

    def install_id(rendered):
        worker = rendered.get("Deployment", "podium-worker")["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e.get("value") for e in worker["env"]}["GRADING_INSTALL_ID"]

    assert install_id(default_chart) == hashlib.sha256(b"podium/podium").hexdigest()[:8]
    assert install_id(parse(render().stdout)) == install_id(default_chart)  # a re-render agrees
    assert install_id(parse(render(sets=("grading.installId=course-a",)).stdout)) == "course-a"
    bad = render(sets=("grading.installId=Not_An_Id",), check=False)
    assert bad.returncode != 0 and "installId" in bad.stderr


def test_two_releases_on_one_cluster_do_not_collide(default_chart):
    """Issue 19 item 4: a second release (another namespace) gets its own install id, so its
    sandbox names, labels, cluster-scoped objects and admission policies are all apart."""
    other = parse(helm("template", "podium", str(CHART), "--namespace", "podium-b",
                       "--kube-version", KUBE_VERSION).stdout)

    def cluster_scoped(rendered):
        return {(o["kind"], o["metadata"]["name"]) for o in rendered.objects
                if o["kind"] in ("ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy",
                                 "ValidatingAdmissionPolicyBinding", "AdminNetworkPolicy")}

    def prefix(rendered):
        spec = [p for p in rendered.of_kind("ValidatingAdmissionPolicy")
                if p["metadata"]["name"].endswith("-grader-sandboxes")][0]["spec"]
        return json.loads(next(v["expression"] for v in spec["variables"] if v["name"] == "prefix"))

    assert cluster_scoped(default_chart) and not cluster_scoped(default_chart) & cluster_scoped(other)
    a, b = prefix(default_chart), prefix(other)
    assert a != b and not a.startswith(b) and not b.startswith(a)
    from grading.live import sandbox

    a_install = sandbox.Install(install_id=a.removeprefix("podium-sub-").rstrip("-"))
    b_install = sandbox.Install(install_id=b.removeprefix("podium-sub-").rstrip("-"))
    a_name = sandbox.namespace_name(7, "0a1b2c3d", a_install)
    assert a_install.owns(a_name, a_install.labels()) and not b_install.owns(a_name, a_install.labels())
    assert not b_install.owns(sandbox.namespace_name(7, "0a1b2c3d", b_install), a_install.labels())


def test_applier_admission_policy_is_bound_with_deny_and_fails_closed(default_chart):
    """Its rules are evaluated for real in test_applier_admission.py; here, that it is installed."""
    policy = default_chart.get("ValidatingAdmissionPolicy", "podium-podium-sandbox-objects")
    binding = default_chart.get("ValidatingAdmissionPolicyBinding", "podium-podium-sandbox-objects")
    assert binding["spec"] == {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"]}
    assert policy["spec"]["failurePolicy"] == "Fail"
    assert set(policy["spec"]["matchConstraints"]["resourceRules"][0]["operations"]) == {"CREATE", "UPDATE"}


def test_sandbox_isolation_settings_reach_every_podium_container(default_chart):
    from grading.live.sandbox import DEFAULT_DENIED_CIDRS

    data = default_chart.get("ConfigMap", "podium-config")["data"]
    assert data["GRADING_SANDBOX_DOMAIN"] == "sandbox.podium-labs.test"
    assert data["GRADING_SANDBOX_INGRESS_CLASS"] == "podium-sandbox"
    assert set(DEFAULT_DENIED_CIDRS) <= set(data["GRADING_SANDBOX_DENIED_CIDRS"].split(","))
    worker = default_chart.get("Deployment", "podium-worker")["spec"]["template"]["spec"]["containers"][0]
    assert {"configMapRef": {"name": "podium-config"}} in worker["envFrom"]
    custom = parse(render(sets=("grading.sandboxDeniedCIDRs={10.43.0.0/16,169.254.0.0/16}",)).stdout)
    assert custom.get("ConfigMap", "podium-config")["data"]["GRADING_SANDBOX_DENIED_CIDRS"] == \
        "10.43.0.0/16,169.254.0.0/16"


@pytest.mark.parametrize(("sets", "message"), [
    (("grading.sandboxDomain=learn.podium.test",),
     'grading.sandboxDomain "learn.podium.test" equals Podium\'s own host "learn.podium.test"'),
    (("grading.sandboxDomain=podium.test",),
     'grading.sandboxDomain "podium.test" contains Podium\'s own host "learn.podium.test"'),
    (("grading.sandboxDomain=labs.learn.podium.test",),
     'grading.sandboxDomain "labs.learn.podium.test" sits under Podium\'s own host "learn.podium.test"'),
    (("config.extraAllowedHosts=www.school.test\\,.labs.school.test", "grading.sandboxDomain=school.test"),
     'grading.sandboxDomain "school.test" contains Podium\'s own host "www.school.test"'),
    (("config.extraAllowedHosts=.labs.school.test", "grading.sandboxDomain=x.labs.school.test"),
     'sits under Podium\'s own host "labs.school.test"'),
    (("grading.sandboxIngressClass=nginx",),
     'grading.sandboxIngressClass "nginx" is Podium\'s own ingress.className'),
    (("ingress.className=podium-sandbox",),
     'grading.sandboxIngressClass "podium-sandbox" is Podium\'s own ingress.className'),
])
def test_chart_refuses_a_sandbox_domain_or_class_that_shares_podiums(sets, message):
    result = render(sets=sets, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_sandbox_domain_beside_podiums_host_renders():
    rendered = parse(render(sets=("grading.sandboxDomain=labs.podium-sandbox.test",
                                  "grading.sandboxIngressClass=traefik-sandbox")).stdout)
    assert rendered.get("ConfigMap", "podium-config")["data"]["GRADING_SANDBOX_DOMAIN"] == \
        "labs.podium-sandbox.test"


ANP_API = "policy.networking.k8s.io/v1alpha1/AdminNetworkPolicy"


def render_for_a_cluster_serving(api: str, *sets: str) -> Rendered:
    """`helm install` asks the cluster which APIs it serves; --api-versions says it offline."""
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION,
            "--api-versions", api]
    for item in sets:
        args += ["--set", item]
    return parse(helm(*args).stdout)


def test_admin_network_policy_denies_sandbox_egress_to_the_denied_ranges_and_nodes():
    from grading.live.sandbox import DEFAULT_DENIED_CIDRS, MANAGED_BY, MANAGER

    (anp,) = render_for_a_cluster_serving(ANP_API).of_kind("AdminNetworkPolicy")
    assert anp["apiVersion"] == "policy.networking.k8s.io/v1alpha1"
    assert "namespace" not in anp["metadata"]  # cluster-scoped
    spec = anp["spec"]
    assert 0 <= spec["priority"] <= 1000
    assert spec["subject"] == {"namespaces": {"matchLabels": {MANAGED_BY: MANAGER}}}
    assert "ingress" not in spec
    # What the standard-channel CRD (network-policy-api v0.1.x) accepts: each peer exactly one of
    # namespaces/pods/networks, 1-25 valid CIDRs, rule names of at most 100 characters.
    for rule in spec["egress"]:
        assert rule["action"] in ("Allow", "Deny", "Pass") and len(rule["name"]) <= 100
        assert all(len(peer) == 1 and set(peer) <= {"namespaces", "pods", "networks"} for peer in rule["to"])
    *passes, deny = spec["egress"]
    # Only pod peers are passed on to the NetworkPolicies (never an address range), before the Deny.
    assert all(rule["action"] == "Pass" and not any("networks" in p for p in rule["to"]) for rule in passes)
    assert {"namespaces": {"matchLabels": {MANAGED_BY: MANAGER}}} in passes[0]["to"]
    dns = passes[1]
    assert {p["portNumber"]["port"] for p in dns["ports"]} == {53}
    assert deny["action"] == "Deny"
    (networks,) = [peer["networks"] for peer in deny["to"]]
    assert all(ipaddress.ip_network(cidr) for cidr in networks)
    assert set(DEFAULT_DENIED_CIDRS) <= set(networks)
    assert {"169.254.0.0/16", "fe80::/10"} <= set(networks)
    assert 1 <= len(networks) <= 25
    custom = render_for_a_cluster_serving(ANP_API, "grading.sandboxDeniedCIDRs={10.43.0.0/16}")
    assert custom.of_kind("AdminNetworkPolicy")[0]["spec"]["egress"][-1]["to"] == \
        [{"networks": ["10.43.0.0/16"]}]


def test_readme_tells_operators_the_cluster_requirements():
    """Issue 12 item 7: what the chart cannot set itself is documented next to what it does."""
    readme = (ROOT / "deploy" / "README.md").read_text()
    security = readme[readme.index("## Sandbox security"):readme.index("## Checks in CI")]
    for needed in ("DenyServiceExternalIPs", "CVE-2020-8554", "AdminNetworkPolicy", "CNI must implement",
                   "grading.sandboxDeniedCIDRs", "grading.sandboxDomain", "grading.sandboxIngressClass"):
        assert needed in security, needed


@pytest.mark.parametrize(("sets", "served", "expected"), [
    ((), True, 1),                                            # auto, and the cluster serves ANP
    ((), False, 0),                                           # auto: nothing a cluster cannot take
    (("grading.adminNetworkPolicy.enabled=true",), False, 1),  # GitOps: always
    (("grading.adminNetworkPolicy.enabled=false",), True, 0),
    (("grading.clusterAccess=false", "grading.adminNetworkPolicy.enabled=true"), True, 0),
])
def test_admin_network_policy_is_on_with_cluster_access_where_the_cluster_serves_it(sets, served, expected):
    rendered = render_for_a_cluster_serving(ANP_API if served else "v1/Pod", *sets)
    assert len(rendered.of_kind("AdminNetworkPolicy")) == expected


def test_service_monitor_scrapes_the_web_metrics_port(external_chart):
    monitor = external_chart.get("ServiceMonitor", "podium-web")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    service = external_chart.get("Service", "podium-web")
    labels = service["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    port_names = {p["name"] for p in service["spec"]["ports"]}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    assert "metrics" in port_names


@pytest.mark.parametrize(("setting", "message"), [
    ("web.replicas=1", "/web/replicas"),
    ("image.tag=latest", "/image/tag"),
    ("web.resources.limits=null", "limits"),
    ("ingress.host=Not A Host", "/ingress/host"),
    ("surprise=1", "surprise"),
])
def test_values_schema_rejects_bad_values_before_anything_is_rendered(setting, message):
    result = render(sets=(setting,), check=False)
    assert result.returncode != 0
    assert message in result.stderr


def test_every_values_field_is_documented():
    """Every key of the first two levels has a comment line right above it."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        key = line.strip().split(":", 1)[0]
        if indent > 2 or not line.strip() or line.strip().startswith(("#", "-")) or ":" not in line:
            continue
        if not lines[number - 1].strip().startswith("#"):
            undocumented.append(f"line {number + 1}: {key}")
    assert undocumented == []


def test_notes_tell_the_operator_the_url_and_how_to_make_the_first_admin():
    result = helm("install", "podium", str(CHART), "--dry-run=client", "--namespace", "podium")
    assert "https://learn.podium.test/" in result.stdout
    assert "createsuperuser" in result.stdout


def test_notes_warn_when_no_admin_network_policy_protects_the_sandboxes():
    result = helm("install", "podium", str(CHART), "--dry-run=client", "--namespace", "podium")
    assert "does not serve AdminNetworkPolicy" in result.stdout
    assert "DenyServiceExternalIPs" in result.stdout
    forced = helm("install", "podium", str(CHART), "--dry-run=client", "--namespace", "podium",
                  "--set", "grading.adminNetworkPolicy.enabled=true")
    assert "does not serve AdminNetworkPolicy" not in forced.stdout
    assert "kind: AdminNetworkPolicy" in forced.stdout


def test_rendered_chart_passes_podiums_own_practical_ten_out_of_ten(tmp_path):
    # The practical asks for a mounted PersistentVolumeClaim; Podium's media volume is opt-in.
    render(sets=("media.enabled=true", "media.accessModes={ReadWriteMany}"), output_dir=tmp_path)
    # The practical asks for a README with the manifests: the deploy guide is that README.
    shutil.copy(ROOT / "deploy" / "README.md", tmp_path / "README.md")
    result = subprocess.run(
        [sys.executable, "manage.py", "grade", "--lab", "practical", "--trusted", str(tmp_path), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    failed = [(c["id"], c["message"]) for c in report["checks"] if not c["passed"]]
    assert failed == []
    assert len(report["checks"]) == 10
    assert report["score"] == report["max_score"] == 100
    judged = report["notes"][0]  # said once at the top of the report (issue 13), not in every check
    assert "Judging Deployment/podium-web: Ingress/podium routes to it through Service/podium-web." in judged
    assert parse((tmp_path / "podium" / "templates" / "web.yaml").read_text()).of_kind("Deployment")
