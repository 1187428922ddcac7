"""What a sandbox may hold: checked before anything can reach a cluster. Pure: no Django.

Only namespaced kinds from an allow-list are accepted; everything that could reach outside the
student's namespace (the node, other namespaces, the cluster's network edge, its scheduling
priorities) is refused with a reason the student can act on. `--trusted` (instructors grading
reference solutions) skips the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from grading.checks.objects import WORKLOAD_KINDS
from grading.parsing import ParsedObject, Problem
from grading.pod_security import check_pod_security, containers_of

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


@dataclass(frozen=True)
class SandboxPolicy:
    ingress_domain: str = "podium.test"
    namespace: str | None = None  # the sandbox's namespace; None: objects must not name one
    pod_security: str = "restricted"  # the Pod Security Standard the sandbox enforces


def check_policy(objects: list[ParsedObject], policy: SandboxPolicy) -> list[Problem]:
    problems: list[Problem] = []
    for obj in objects:
        problems += _check_object(obj, policy)
    return problems


def _check_object(obj: ParsedObject, policy: SandboxPolicy) -> list[Problem]:
    kind, api_version = obj.kind, obj.data.get("apiVersion")
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
    problems = []
    namespace = (obj.data.get("metadata") or {}).get("namespace")
    if namespace is not None and namespace != policy.namespace:
        problems.append(obj.problem(["metadata", "namespace"],
                                    f"{ref}: leave metadata.namespace out (found {namespace!r}); "
                                    "Podium puts every object in your own sandbox namespace"))
    if kind in WORKLOAD_KINDS:
        problems += _check_pod_spec(obj, policy.pod_security)
    elif kind == "Service":
        problems += _check_service(obj)
    elif kind == "NetworkPolicy":
        problems += _check_network_policy(obj)
    elif kind == "Ingress":
        problems += _check_ingress(obj, policy.ingress_domain)
    return problems


def pod_spec_path(kind: str) -> list[str]:
    if kind == "Pod":
        return ["spec"]
    if kind == "CronJob":
        return ["spec", "jobTemplate", "spec", "template", "spec"]
    return ["spec", "template", "spec"]


def _get(data: object, path: list) -> object:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _check_pod_spec(obj: ParsedObject, pod_security: str) -> list[Problem]:
    base = pod_spec_path(obj.kind)
    spec = _get(obj.data, base)
    if not isinstance(spec, dict):
        return []
    ref, problems = obj.ref, []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(obj.problem(base + [flag], f"{ref}: {flag} shares the node's namespaces "
                                                       "with your pod; it is not allowed"))
    if spec.get("priorityClassName"):
        problems.append(obj.problem(base + ["priorityClassName"],
                                    f"{ref}: priorityClassName is not allowed (sandbox pods must not "
                                    "pre-empt other students' pods)"))
    for i, volume in enumerate(spec.get("volumes") or []):
        if isinstance(volume, dict) and volume.get("hostPath") is not None:
            problems.append(obj.problem(base + ["volumes", i, "hostPath"],
                                        f"{ref}: hostPath volumes expose the node's files; use a "
                                        "PersistentVolumeClaim, emptyDir, ConfigMap or Secret"))
    containers = containers_of(base, spec)
    for path, container in containers:
        security = container.get("securityContext") or {}
        where = path + ["securityContext"]
        name = container.get("name", path[-1])
        if security.get("privileged"):
            problems.append(obj.problem(where + ["privileged"],
                                        f"{ref}: container {name!r} is privileged; not allowed"))
        # Stricter than the standard's baseline: NET_BIND_SERVICE (ports below 1024, which
        # restricted allows too) is the only capability a sandbox pod may add.
        added = [c for c in (security.get("capabilities") or {}).get("add") or []
                 if c != "NET_BIND_SERVICE"]
        if added:
            problems.append(obj.problem(where + ["capabilities", "add"],
                                        f"{ref}: container {name!r} adds capabilities "
                                        f"({', '.join(map(str, added))}); not allowed"))
    return problems + check_pod_security(obj, base, spec, pod_security, containers)


def _check_service(obj: ParsedObject) -> list[Problem]:
    spec = obj.data.get("spec") or {}
    problems = []
    service_type = spec.get("type") or "ClusterIP"
    if service_type != "ClusterIP":
        problems.append(obj.problem(["spec", "type"],
                                    f"{obj.ref}: Services of type {service_type} are not allowed in a "
                                    "sandbox; use ClusterIP (and an Ingress to reach it from outside)"))
    if spec.get("externalIPs"):
        problems.append(obj.problem(["spec", "externalIPs"],
                                    f"{obj.ref}: externalIPs are not allowed in a sandbox"))
    return problems


def _check_network_policy(obj: ParsedObject) -> list[Problem]:
    spec = obj.data.get("spec") or {}
    problems = []
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or []):
            for j, peer in enumerate((rule or {}).get(peers_key) or []):
                for selector in ("ipBlock", "namespaceSelector"):
                    if isinstance(peer, dict) and peer.get(selector) is not None:
                        problems.append(obj.problem(
                            ["spec", direction, i, peers_key, j, selector],
                            f"{obj.ref}: NetworkPolicy peers must stay inside the namespace "
                            f"(use podSelector); {selector} is not allowed"))
    return problems


def host_in_domain(host: str, domain: str) -> bool:
    host = host.lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
    domain = domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def _check_ingress(obj: ParsedObject, domain: str) -> list[Problem]:
    spec = obj.data.get("spec") or {}
    problems = []
    for i, rule in enumerate(spec.get("rules") or []):
        host = (rule or {}).get("host")
        if not host:
            problems.append(obj.problem(["spec", "rules", i],
                                        f"{obj.ref}: every Ingress rule needs a host under {domain} "
                                        f"(e.g. api.{domain}); a rule without one catches every host"))
        elif not host_in_domain(host, domain):
            problems.append(obj.problem(["spec", "rules", i, "host"],
                                        f"{obj.ref}: host {host!r} is outside this lab's domain; use "
                                        f"{domain} or a subdomain of it (e.g. api.{domain})"))
    for i, tls in enumerate(spec.get("tls") or []):
        for j, host in enumerate((tls or {}).get("hosts") or []):
            if isinstance(host, str) and not host_in_domain(host, domain):
                problems.append(obj.problem(["spec", "tls", i, "hosts", j],
                                            f"{obj.ref}: TLS host {host!r} is outside this lab's "
                                            f"domain {domain}"))
    return problems
