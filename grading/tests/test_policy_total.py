"""The sandbox policy is total: whatever JSON-shaped object it is given (a null, a string where a
list belongs, a list where a mapping belongs, at any depth) it answers with Problems, never an
exception. Hypothesis mutates hostile and reference manifests at random paths."""

import copy
import json
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.intake.parsing import Limits, ParsedObject, parse_submission
from grading.intake.policy import SandboxPolicy, check_policy

LABS = Path(__file__).resolve().parents[2] / "courses/content/kubernetes-fundamentals/labs"


def as_object(data: dict) -> ParsedObject:
    return ParsedObject(data, "a.yaml", 1, yaml.compose(json.dumps(data, default=str)))


POD_SPEC = {
    "nodeName": "n", "serviceAccountName": "podium-applier", "automountServiceAccountToken": True,
    "dnsPolicy": "None", "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots"}]},
    "tolerations": [{"operator": "Exists"}, {"key": "k", "operator": "Exists"}],
    "securityContext": {"runAsUser": 0, "sysctls": [{"name": "kernel.x"}], "seccompProfile": {"type": "x"}},
    "volumes": [{"name": "h", "hostPath": {"path": "/"}},
                {"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
                {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {"volumeName": "pv"}}}}],
    "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 1, "hostPort": 2}],
                    "securityContext": {"privileged": True, "capabilities": {"add": ["NET_ADMIN"],
                                                                             "drop": ["ALL"]},
                                        "seLinuxOptions": {"type": "spc_t"}}}],
    "initContainers": [{"name": "i", "image": "x"}],
}
META = {"name": "podium-x", "labels": {"podium.dev/a": "b", "app.kubernetes.io/managed-by": "podium"},
        "annotations": {"nginx.ingress.kubernetes.io/server-snippet": "x"}}
HOSTILE = [
    {"apiVersion": "v1", "kind": "Pod", "metadata": META, "spec": POD_SPEC},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": META,
     "spec": {"template": {"metadata": META, "spec": POD_SPEC},
              "volumeClaimTemplates": [{"metadata": META, "spec": {"volumeName": "pv"}}]}},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": META,
     "spec": {"jobTemplate": {"metadata": META, "spec": {"template": {"metadata": META, "spec": POD_SPEC}}}}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": META,
     "spec": {"ingress": [{}, {"from": [{}, {"namespaceSelector": {}}]}],
              "egress": [{"ports": [{"port": 1}]}, {"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                                         "except": ["169.254.0.0/16"]}}]}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": META,
     "spec": {"defaultBackend": {}, "rules": [{"host": "*.podium.test"}, {"host": "podium.test"}, {}],
              "tls": [{"hosts": ["evil.com"]}]}},
    {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": META,
     "spec": {"namespaceSelector": {"any": True, "matchNames": ["a"]}, "scrapeClass": "x",
              "endpoints": [{"port": "m", "bearerTokenFile": "/t", "scheme": "https",
                             "tlsConfig": {"keyFile": "/k", "insecureSkipVerify": True},
                             "relabelings": [{"targetLabel": "__address__"},
                                             {"action": "labelmap", "replacement": "__x"}]}]}},
    {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": META,
     "spec": {"podMetricsEndpoints": [{"port": "m", "metricRelabelings": [{"targetLabel": "namespace"}]}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": META,
     "spec": {"type": "NodePort", "externalIPs": ["1"]}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": META, "type": "kubernetes.io/service-account-token"},
    {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": META, "spec": {"volumeName": "pv"}},
]


def lab_objects() -> list[dict]:
    files = [(f.name, f.read_bytes()) for f in sorted(LABS.glob("*/solution/*.yaml"))]
    return [o.data for o in parse_submission(files, Limits()).objects]


BASES = HOSTILE + lab_objects()
KEYS = sorted({"spec", "metadata", "template", "containers", "volumes", "projected", "sources", "rules",
               "host", "tls", "hosts", "egress", "ingress", "to", "from", "ipBlock", "cidr", "except",
               "endpoints", "relabelings", "tlsConfig", "labels", "annotations", "name", "tolerations",
               "dnsConfig", "nameservers", "securityContext", "capabilities", "add", "namespaceSelector",
               "matchNames", "podSelector", "ports", "sysctls", "seLinuxOptions", "type"})
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4)
           | st.sampled_from(["Exists", "None", "__address__", "0.0.0.0/0", "::/0", "podium-x", "labelmap",
                              "default", "*.podium.test", "10.0.0.0/33"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner, max_size=3),
                    max_leaves=8)


def paths_of(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths_of(item, prefix + (i,))


@st.composite
def mutated(draw) -> dict:
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        # kind and apiVersion stay: the point is to reach each kind's rules with broken shapes.
        paths = [p for p in paths_of(data) if p and p[0] not in ("kind", "apiVersion")]
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(JSON)
    return data


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated(), level=st.sampled_from(["restricted", "baseline", "privileged"]))
def test_policy_never_raises_on_json_shaped_input(data, level):
    problems = check_policy([as_object(data)], SandboxPolicy(pod_security=level))
    assert all(p.message for p in problems)


def test_hostile_objects_are_each_refused_and_quickly():
    objects = [as_object(data) for data in HOSTILE]
    start = time.perf_counter()
    for obj in objects:
        assert check_policy([obj], SandboxPolicy()), obj.kind
    assert time.perf_counter() - start < 1


def test_an_ip_block_with_thousands_of_excepts_costs_little():
    # except entries are collapsed, not subtracted one by one (which grows with every entry).
    excepts = [f"fe80::{i:x}/128" for i in range(5000)]
    data = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
            "spec": {"egress": [{"to": [{"ipBlock": {"cidr": "::/0", "except": excepts}}]}]}}
    obj = as_object(data)
    start = time.perf_counter()
    [problem] = check_policy([obj], SandboxPolicy())
    assert "fe80::/10" in problem.message
    assert time.perf_counter() - start < 1
