"""What a sandbox may hold: checked before anything can reach a cluster. Pure: no Django.

Only namespaced kinds from an allow-list are accepted; everything that could reach outside the
student's namespace (the node, other namespaces, the cluster's network edge, its scheduling
priorities, the grader's own identity and objects, the shared ingress controller and Prometheus)
is refused with a reason the student can act on. `--trusted` (instructors grading reference
solutions) skips the policy.

Every rule reads JSON-shaped input defensively: a null, a string where a list belongs or a list
where a mapping belongs is reported as a Problem, never raised (the schema stage normally
catches those first, but the policy must hold on its own: the admission policy mirrors it).
"""

from __future__ import annotations

from dataclasses import dataclass

from grading.checks.objects import WORKLOAD_KINDS
from grading.intake.parsing import ParsedObject, Problem
from grading.intake.pod_security import check_pod_security, containers_of
from grading.intake.policy_network import (
    ALWAYS_DENIED_CIDRS,
    DEFAULT_DENIED_CIDRS,
    INGRESS_ANNOTATIONS_ALLOWED,
    MONITOR_ENDPOINT_FIELDS_ALLOWED,
    MONITOR_SPEC_FIELDS_ALLOWED,
    check_ingress,
    check_monitor,
    check_network_policy,
    denied_networks,
    host_in_domain,
    parse_cidr,
)
from grading.intake.policy_shape import as_mapping, list_at, mapping_at, value_at

# The sandbox policy's public names, policy_network's included: the chart's tests and callers
# import them all from here.
__all__ = [
    "ALLOWED", "ALWAYS_DENIED_CIDRS", "CLUSTER_SCOPED", "DEFAULT_DENIED_CIDRS", "INGRESS_ANNOTATIONS_ALLOWED",
    "MANAGED_BY_LABEL", "MONITOR_ENDPOINT_FIELDS_ALLOWED", "MONITOR_SPEC_FIELDS_ALLOWED", "QUOTAS", "RBAC",
    "RESERVED_KEY_PREFIX", "RESERVED_NAME_PREFIX", "SandboxPolicy", "check_policy", "host_in_domain",
    "pod_spec_path",
]

ALLOWED = {
    ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"), ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("v1", "Pod"),
    ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "PersistentVolumeClaim"),
    ("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "NetworkPolicy"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"), ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PodMonitor"),
}

CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
    "CertificateSigningRequest", "VolumeAttachment", "CSIDriver", "CSINode",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ComponentStatus",
    "FlowSchema", "PriorityLevelConfiguration", "ClusterIssuer",
}
RBAC = {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "ServiceAccount"}
QUOTAS = {"ResourceQuota", "LimitRange"}

# Podium's own objects in a sandbox (guardrail NetworkPolicies, the applier's account...) are
# named and labelled with these; a student object carrying them could replace or impersonate a
# guardrail. The chart's ValidatingAdmissionPolicy mirrors the three in CEL.
RESERVED_NAME_PREFIX = "podium-"
MANAGED_BY_LABEL = ("app.kubernetes.io/managed-by", "podium")
RESERVED_KEY_PREFIX = "podium.dev/"


@dataclass(frozen=True)
class SandboxPolicy:
    ingress_domain: str = "podium.test"
    namespace: str | None = None  # the sandbox's namespace; None: objects must not name one
    pod_security: str = "restricted"  # the Pod Security Standard the sandbox enforces
    # Ranges no NetworkPolicy ipBlock may open (ALWAYS_DENIED_CIDRS are added whatever this says).
    denied_cidrs: tuple[str, ...] = DEFAULT_DENIED_CIDRS

    def __post_init__(self):
        # A setting with a typo must stop grading, not silently open the range it meant to close.
        object.__setattr__(self, "denied_cidrs", tuple(self.denied_cidrs))
        for cidr in self.denied_cidrs:
            if parse_cidr(cidr) is None:
                raise ValueError(f"SandboxPolicy.denied_cidrs: {cidr!r} is not a CIDR (e.g. 10.96.0.0/12)")

    def denied_networks(self) -> list:
        return denied_networks(self.denied_cidrs)


def check_policy(objects: list[ParsedObject], policy: SandboxPolicy) -> list[Problem]:
    problems: list[Problem] = []
    for obj in objects:
        problems += _check_object(obj, policy)
    return problems


def _check_object(obj: ParsedObject, policy: SandboxPolicy) -> list[Problem]:
    kind, api_version = obj.kind, obj.data.get("apiVersion")
    if not isinstance(obj.data.get("metadata"), dict):
        # Parsing refuses this before the policy runs; without metadata there is no name to cite.
        return [obj.problem(["metadata"], f"{kind or 'object'}: metadata must be a mapping with a name")]
    ref = obj.ref
    if kind in RBAC:
        return [obj.problem(["kind"], f"{ref}: RBAC objects are not allowed in a sandbox; the "
                                      "grader runs your workloads with the namespace's default "
                                      "service account")]
    if kind in QUOTAS:
        return [obj.problem(["kind"], f"{ref}: {kind} is set by the sandbox itself, not by "
                                      "submissions")]
    if kind in CLUSTER_SCOPED:
        return [obj.problem(["kind"], f"{ref}: {kind} is cluster-scoped; a sandbox may only hold "
                                      "objects that live in its own namespace")]
    if (api_version, kind) not in ALLOWED:
        allowed = ", ".join(sorted({k for _, k in ALLOWED}))
        return [obj.problem(["kind"], f"{ref}: {kind} ({api_version}) is not allowed in a sandbox "
                                      f"(allowed: {allowed})")]
    problems: list[Problem] = []
    namespace = obj.data["metadata"].get("namespace")
    if namespace is not None and namespace != policy.namespace:
        problems.append(obj.problem(["metadata", "namespace"],
                                    f"{ref}: leave metadata.namespace out (found {namespace!r}); "
                                    "Podium puts every object in your own sandbox namespace"))
    problems += _check_reserved(obj, ["metadata"])
    if kind in WORKLOAD_KINDS:
        problems += _check_workload(obj, policy.pod_security)
    elif kind == "Service":
        problems += _check_service(obj)
    elif kind == "Secret":
        problems += _check_secret(obj)
    elif kind == "PersistentVolumeClaim":
        problems += _check_claim_spec(obj, ["spec"])
    elif kind == "NetworkPolicy":
        problems += check_network_policy(obj, policy.denied_networks())
    elif kind == "Ingress":
        problems += check_ingress(obj, policy.ingress_domain)
    elif kind in ("ServiceMonitor", "PodMonitor"):
        problems += check_monitor(obj, policy.namespace)
    return problems


def pod_spec_path(kind: str) -> list[str]:
    if kind == "Pod":
        return ["spec"]
    if kind == "CronJob":
        return ["spec", "jobTemplate", "spec", "template", "spec"]
    return ["spec", "template", "spec"]


def _is_reserved_key(key: str) -> bool:
    prefix, slash, _ = key.lower().partition("/")
    reserved = RESERVED_KEY_PREFIX.rstrip("/")
    return bool(slash) and (prefix == reserved or prefix.endswith("." + reserved))


def _check_reserved(obj: ParsedObject, meta_path: list) -> list[Problem]:
    """Names, labels and annotations that would pass the object off as one of Podium's own."""
    problems: list[Problem] = []
    meta = mapping_at(obj, meta_path, problems)
    ref = obj.ref
    for key in ("name", "generateName"):
        value = meta.get(key)
        if isinstance(value, str) and value.lower().startswith(RESERVED_NAME_PREFIX):
            problems.append(obj.problem(meta_path + [key],
                                        f"{ref}: {key} {value!r} starts with {RESERVED_NAME_PREFIX!r}, "
                                        "which is reserved for Podium's own guardrails; choose another "
                                        "name"))
    for group in ("labels", "annotations"):
        for key, value in mapping_at(obj, meta_path + [group], problems).items():
            what = group[:-1]
            if _is_reserved_key(str(key)):
                problems.append(obj.problem(meta_path + [group, key],
                                            f"{ref}: {what} {key!r} is under {RESERVED_KEY_PREFIX!r}, "
                                            "which is reserved for Podium; use a prefix of your own "
                                            "(e.g. ml.example.com/)"))
            elif (group == "labels" and str(key).lower() == MANAGED_BY_LABEL[0]
                  and str(value).lower() == MANAGED_BY_LABEL[1]):
                problems.append(obj.problem(meta_path + [group, key],
                                            f"{ref}: label {key}: {value} marks Podium's own objects; "
                                            "leave it out or name your own tool"))
    return problems


# --- workloads -------------------------------------------------------------------------------

_POD_SPEC_REFUSED = {
    "nodeName": "it pins the pod to a node, bypassing the scheduler and the taints that keep "
                "sandbox pods off reserved nodes",
    "runtimeClassName": "sandbox pods use the cluster's default container runtime",
    "schedulerName": "sandbox pods are placed by the cluster's default scheduler",
    "priorityClassName": "sandbox pods must not pre-empt other students' pods",
}


def _check_workload(obj: ParsedObject, pod_security: str) -> list[Problem]:
    problems: list[Problem] = []
    base = pod_spec_path(obj.kind)
    # What the workload creates carries its template's metadata: pods, and a CronJob's Jobs.
    templates = [] if obj.kind == "Pod" else [base[:-1] + ["metadata"]]
    if obj.kind == "CronJob":
        templates.append(["spec", "jobTemplate", "metadata"])
    for meta_path in templates:
        problems += _check_reserved(obj, meta_path)
    if obj.kind == "StatefulSet":
        for i, template in enumerate(list_at(obj, ["spec", "volumeClaimTemplates"], problems)):
            problems += _check_reserved(obj, ["spec", "volumeClaimTemplates", i, "metadata"])
            if isinstance(template, dict):
                problems += _check_claim_spec(obj, ["spec", "volumeClaimTemplates", i, "spec"])
    return problems + _check_pod_spec(obj, base, pod_security)


def _check_pod_spec(obj: ParsedObject, base: list, pod_security: str) -> list[Problem]:
    problems: list[Problem] = []
    spec = mapping_at(obj, base, problems)
    if not spec:
        return problems
    ref = obj.ref
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(obj.problem(base + [flag], f"{ref}: {flag} shares the node's namespaces "
                                                       "with your pod; it is not allowed"))
    for key, why in _POD_SPEC_REFUSED.items():
        if spec.get(key) not in (None, ""):
            problems.append(obj.problem(base + [key], f"{ref}: {key} is not allowed ({why})"))
    problems += _check_identity(obj, base, spec)
    problems += _check_dns_and_tolerations(obj, base, spec)
    for i, volume in enumerate(list_at(obj, base + ["volumes"], problems)):
        if not isinstance(volume, dict):
            continue
        where = base + ["volumes", i]
        if volume.get("hostPath") is not None:
            problems.append(obj.problem(where + ["hostPath"],
                                        f"{ref}: hostPath volumes expose the node's files; use a "
                                        "PersistentVolumeClaim, emptyDir, ConfigMap or Secret"))
        sources = list_at(obj, where + ["projected", "sources"], problems)
        for j, source in enumerate(sources):
            if isinstance(source, dict) and source.get("serviceAccountToken") is not None:
                problems.append(obj.problem(where + ["projected", "sources", j, "serviceAccountToken"],
                                            f"{ref}: volume {volume.get('name', i)!r} projects a "
                                            "service-account token (an API credential, whatever its "
                                            "audience); sandbox pods get none"))
        claim = where + ["ephemeral", "volumeClaimTemplate", "spec"]
        if isinstance(value_at(obj.data, claim), dict):
            problems += _check_claim_spec(obj, claim)
    containers = containers_of(base, spec)
    for path, container in containers:
        security = mapping_at(obj, path + ["securityContext"], problems)
        where = path + ["securityContext"]
        name = container.get("name", path[-1])
        if security.get("privileged"):
            problems.append(obj.problem(where + ["privileged"],
                                        f"{ref}: container {name!r} is privileged; not allowed"))
        # Stricter than the standard's baseline: NET_BIND_SERVICE (ports below 1024, which
        # restricted allows too) is the only capability a sandbox pod may add.
        add = list_at(obj, where + ["capabilities", "add"], problems,
                      value_at(security, ["capabilities", "add"]))
        added = [c for c in add if c != "NET_BIND_SERVICE"]
        if added:
            problems.append(obj.problem(where + ["capabilities", "add"],
                                        f"{ref}: container {name!r} adds capabilities "
                                        f"({', '.join(map(str, added))}); not allowed"))
    return problems + check_pod_security(obj, base, spec, pod_security, containers)


def _check_identity(obj: ParsedObject, base: list, spec: dict) -> list[Problem]:
    """Sandbox pods run as the namespace's `default` account with no API token. RBAC kinds and
    ServiceAccounts are refused, so any other account name is the grader's own or a missing one."""
    problems = []
    for key in ("serviceAccountName", "serviceAccount"):
        account = spec.get(key)
        if account not in (None, "", "default"):
            problems.append(obj.problem(base + [key],
                                        f"{obj.ref}: {key} {account!r} is not allowed; sandbox pods run "
                                        "as the namespace's default service account (leave it out)"))
    if spec.get("automountServiceAccountToken") not in (None, False):
        problems.append(obj.problem(base + ["automountServiceAccountToken"],
                                    f"{obj.ref}: automountServiceAccountToken: true would mount an API "
                                    "token into the pod; leave it out (the sandbox turns it off)"))
    return problems


# Taints that keep workloads off the control plane (node-role.kubernetes.io/control-plane,
# .../master) and other role-dedicated nodes.
NODE_ROLE_TAINT_PREFIX = "node-role.kubernetes.io/"


def _check_dns_and_tolerations(obj: ParsedObject, base: list, spec: dict) -> list[Problem]:
    # hostAliases stay allowed: they only edit the pod's own /etc/hosts.
    problems: list[Problem] = []
    ref = obj.ref
    if spec.get("dnsPolicy") == "None":
        problems.append(obj.problem(base + ["dnsPolicy"],
                                    f"{ref}: dnsPolicy None replaces the cluster's DNS; sandbox pods "
                                    "use ClusterFirst (leave dnsPolicy out)"))
    dns = mapping_at(obj, base + ["dnsConfig"], problems)
    if list_at(obj, base + ["dnsConfig", "nameservers"], problems, dns.get("nameservers")):
        problems.append(obj.problem(base + ["dnsConfig", "nameservers"],
                                    f"{ref}: dnsConfig.nameservers sends the pod's DNS queries past the "
                                    "cluster's DNS; not allowed (searches and options are fine)"))
    for i, toleration in enumerate(list_at(obj, base + ["tolerations"], problems)):
        toleration = as_mapping(toleration)
        key = toleration.get("key")
        if toleration.get("operator") == "Exists" and not key:
            problems.append(obj.problem(base + ["tolerations", i],
                                        f"{ref}: toleration {i + 1} (operator Exists without a key) "
                                        "tolerates every taint, control-plane and reserved nodes "
                                        "included; name the taint's key (e.g. nvidia.com/gpu)"))
        elif isinstance(key, str) and key.startswith(NODE_ROLE_TAINT_PREFIX):
            problems.append(obj.problem(base + ["tolerations", i, "key"],
                                        f"{ref}: toleration {i + 1} tolerates {key!r}, which keeps "
                                        "workloads off the cluster's own (control-plane) nodes; "
                                        "sandbox pods stay off them"))
    return problems


def _check_claim_spec(obj: ParsedObject, path: list) -> list[Problem]:
    problems: list[Problem] = []
    if mapping_at(obj, path, problems).get("volumeName") not in (None, ""):
        problems.append(obj.problem(path + ["volumeName"],
                                    f"{obj.ref}: volumeName binds the claim to an existing "
                                    "PersistentVolume, which may hold someone else's data; leave it "
                                    "out and let the storage class provision a volume"))
    return problems


# --- Services and Secrets --------------------------------------------------------------------

def _check_service(obj: ParsedObject) -> list[Problem]:
    problems: list[Problem] = []
    spec = mapping_at(obj, ["spec"], problems)
    service_type = spec.get("type") or "ClusterIP"
    if service_type != "ClusterIP":
        problems.append(obj.problem(["spec", "type"],
                                    f"{obj.ref}: Services of type {service_type} are not allowed in a "
                                    "sandbox; use ClusterIP (and an Ingress to reach it from outside)"))
    if spec.get("externalIPs"):
        problems.append(obj.problem(["spec", "externalIPs"],
                                    f"{obj.ref}: externalIPs are not allowed in a sandbox"))
    return problems


def _check_secret(obj: ParsedObject) -> list[Problem]:
    if obj.data.get("type") == "kubernetes.io/service-account-token":
        return [obj.problem(["type"], f"{obj.ref}: Secrets of type kubernetes.io/service-account-token "
                                      "make the cluster mint an API token for a service account (in a "
                                      "sandbox, the grader's); use type Opaque")]
    return []


# --- the rules as text -----------------------------------------------------------------------

def describe_rules(policy: SandboxPolicy) -> list[str]:
    """The rules above as sentences for the lab pages, built from the same constants the checks
    use (allowed kinds, refused pod fields, reserved names, denied ranges, Ingress annotations),
    so what a page promises and what the policy refuses cannot drift apart."""
    kinds = sorted({kind for _, kind in ALLOWED})
    refused_fields = "; ".join(f"{key} ({why})" for key, why in _POD_SPEC_REFUSED.items())
    level = policy.pod_security
    rules = [
        f"Only these kinds: {', '.join(kinds)}. RBAC objects ({', '.join(sorted(RBAC))}), "
        f"{' and '.join(sorted(QUOTAS))} (the sandbox sets its own) and cluster-scoped kinds "
        f"({', '.join(sorted(CLUSTER_SCOPED))}) are refused, OpenShift Routes and other "
        "custom resources too.",
        "No metadata.namespace: every object goes into your own sandbox namespace.",
        "Pods run as the namespace's default service account with no API token: no "
        "serviceAccountName or serviceAccount other than default, no "
        "automountServiceAccountToken: true, no projected serviceAccountToken volumes, no Secrets of "
        "type kubernetes.io/service-account-token.",
        f"Pod fields that are refused: {refused_fields}.",
        "No hostNetwork, hostPID, hostIPC, hostPath volumes or privileged containers; the only "
        "capability a container may add is NET_BIND_SERVICE.",
        f"Pods must meet the Pod Security Standard “{level}”." if level != "privileged" else
        "Pod Security is not enforced for this lab.",
        "No dnsPolicy: None and no dnsConfig.nameservers; no toleration of every taint (operator "
        f"Exists without a key) nor of {NODE_ROLE_TAINT_PREFIX}* taints.",
        "PersistentVolumeClaims may not set volumeName (binding to an existing PersistentVolume): "
        "the storage class provisions the volume.",
        "Services are ClusterIP only, without externalIPs.",
        f"Ingress hosts under {policy.ingress_domain}, every rule with a host, no defaultBackend; "
        f"annotations only from: {', '.join(sorted(INGRESS_ANNOTATIONS_ALLOWED))}.",
        "NetworkPolicy ipBlocks may not open " + ", ".join(policy.denied_cidrs) + " (link-local and "
        "cloud metadata addresses, and the cluster's service range).",
        "ServiceMonitors and PodMonitors watch your own namespace only (no namespaceSelector) and "
        "may not send credentials, use a proxy or TLS keys, or honour your labels over the tenant's.",
        f"Names starting with {RESERVED_NAME_PREFIX!r}, labels and annotations under "
        f"{RESERVED_KEY_PREFIX!r} and the label {MANAGED_BY_LABEL[0]}: {MANAGED_BY_LABEL[1]} are "
        "reserved for Podium's own objects.",
    ]
    return rules
