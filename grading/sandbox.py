"""What a grading sandbox is made of: its name, labels and guardrail objects. Pure: no client.

grading/cluster.py creates these in the cluster; tests and the reaper read the same names here.
One namespace per submission (`podium-sub-<id>`), so a retry finds its own namespace.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "podium"
SUBMISSION = "podium.dev/submission"
LAB = "podium.dev/lab"
EXPIRES_AT = "podium.dev/expires-at"
FIELD_MANAGER = "podium-grader"
APPLIER = "podium-applier"  # the in-namespace identity student objects are applied as
PSA_VERSION = "v1.32"  # pinned: a newer cluster does not tighten (or loosen) a graded lab
SELECTOR = f"{MANAGED_BY}={MANAGER}"


def namespace_name(submission_id: int | str) -> str:
    return f"podium-sub-{submission_id}"


def applier_username(namespace: str) -> str:
    return f"system:serviceaccount:{namespace}:{APPLIER}"


@dataclass(frozen=True)
class Quota:
    pods: int = 10
    requests_cpu: str = "2"
    requests_memory: str = "2Gi"
    limits_cpu: str = "4"
    limits_memory: str = "4Gi"
    requests_storage: str = "2Gi"
    pvcs: int = 2
    gpus: int = 1
    objects: int = 20  # per counted kind (services, configmaps, secrets, workloads…)

    def hard(self) -> dict[str, str]:
        counted = [
            "services",
            "configmaps",
            "secrets",
            "count/deployments.apps",
            "count/statefulsets.apps",
            "count/jobs.batch",
            "count/cronjobs.batch",
            "count/ingresses.networking.k8s.io",
            "count/horizontalpodautoscalers.autoscaling",
        ]
        return {
            "pods": str(self.pods),
            "requests.cpu": self.requests_cpu,
            "requests.memory": self.requests_memory,
            "limits.cpu": self.limits_cpu,
            "limits.memory": self.limits_memory,
            "requests.storage": self.requests_storage,
            "persistentvolumeclaims": str(self.pvcs),
            "requests.nvidia.com/gpu": str(self.gpus),
            "services.nodeports": "0",
            "services.loadbalancers": "0",
            **{name: str(self.objects) for name in counted},
        }


@dataclass(frozen=True)
class SandboxSpec:
    submission_id: int
    lab: str
    expires_at: datetime.datetime
    pod_security: str = "restricted"  # a lab that needs less states it
    quota: Quota = field(default_factory=Quota)

    @property
    def namespace(self) -> str:
        return namespace_name(self.submission_id)


def namespace_manifest(spec: SandboxSpec) -> dict:
    psa = {f"pod-security.kubernetes.io/{mode}": spec.pod_security for mode in ("enforce", "warn", "audit")}
    psa |= {
        f"pod-security.kubernetes.io/{mode}-version": PSA_VERSION for mode in ("enforce", "warn", "audit")
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": spec.namespace,
            "labels": {MANAGED_BY: MANAGER, SUBMISSION: str(spec.submission_id), LAB: spec.lab[:63], **psa},
            "annotations": {
                EXPIRES_AT: spec.expires_at.astimezone(datetime.UTC).isoformat(timespec="seconds")
            },
        },
    }


def _meta(name: str, namespace: str) -> dict:
    return {"name": name, "namespace": namespace, "labels": {MANAGED_BY: MANAGER}}


APPLIER_RULES = [
    {
        "apiGroups": [""],
        "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
        "verbs": ["*"],
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
        "verbs": ["*"],
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["*"]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": ["*"]},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": ["*"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["*"]},
    {"apiGroups": ["monitoring.coreos.com"], "resources": ["servicemonitors", "podmonitors"], "verbs": ["*"]},
]


def guardrails(spec: SandboxSpec) -> list[dict]:
    """The objects created with the namespace, in order, before any student object."""
    ns = spec.namespace
    return [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": _meta("podium-quota", ns),
            "spec": {"hard": spec.quota.hard()},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": _meta("podium-limits", ns),
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m", "memory": "256Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        "max": {"cpu": "2", "memory": "2Gi"},
                    }
                ]
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("podium-default-deny", ns),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("podium-allow-dns", ns),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": ns},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(APPLIER, ns),
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(APPLIER, ns),
            "rules": APPLIER_RULES,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(APPLIER, ns),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": APPLIER},
            "subjects": [{"kind": "ServiceAccount", "name": APPLIER, "namespace": ns}],
        },
    ]
