import pytest

from grading.intake.parsing import Limits, parse_submission
from grading.intake.policy import SandboxPolicy, check_policy, host_in_domain

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: nginx:1.27
"""


# These tests are about what a sandbox may hold whatever its Pod Security level (privileged
# here); test_pod_security.py covers the levels.
ANY_LEVEL = SandboxPolicy(pod_security="privileged")


def violations(text: str, policy: SandboxPolicy = ANY_LEVEL) -> list[str]:
    parsed = parse_submission([("a.yaml", text.encode())], Limits())
    assert parsed.errors == []
    return [str(p) for p in check_policy(parsed.objects, policy)]


ALLOWED = [
    POD,
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p}\n",
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n",
    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n",
    "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\n",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\n"
    "spec: {ingress: [{from: [{podSelector: {}}]}]}\n",
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
    "spec: {rules: [{host: api.podium.test}], tls: [{hosts: [api.podium.test]}]}\n",
]


@pytest.mark.parametrize("text", ALLOWED)
def test_allows_namespaced_kinds_from_the_allow_list(text):
    assert violations(text) == []


REJECTED = {
    "cluster-scoped": ("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n", "cluster-scoped"),
    "persistent volume": ("apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: n}\n", "cluster-scoped"),
    "rbac": ("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n", "RBAC"),
    "cluster role": (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: r}\n",
        "RBAC",
    ),
    "quota": ("apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\n", "set by the sandbox"),
    "limit range": ("apiVersion: v1\nkind: LimitRange\nmetadata: {name: q}\n", "set by the sandbox"),
    "unlisted kind": ("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: r}\n", "not allowed"),
    "node port": ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort}\n", "NodePort"),
    "load balancer": (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\n",
        "LoadBalancer",
    ),
    "external ips": (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {externalIPs: [1.2.3.4]}\n",
        "externalIPs",
    ),
    "privileged": (POD + "      securityContext: {privileged: true}\n", "privileged"),
    "capabilities": (POD + "      securityContext: {capabilities: {add: [NET_ADMIN]}}\n", "NET_ADMIN"),
    "init container privileged": (
        POD + "  initContainers:\n    - name: i\n      image: busybox:1\n"
        "      securityContext: {privileged: true}\n",
        "privileged",
    ),
    "host path": (POD + "  volumes: [{name: v, hostPath: {path: /}}]\n", "hostPath"),
    "host network": (POD + "  hostNetwork: true\n", "hostNetwork"),
    "host pid": (POD + "  hostPID: true\n", "hostPID"),
    "host ipc": (POD + "  hostIPC: true\n", "hostIPC"),
    "priority class": (POD + "  priorityClassName: high\n", "priorityClassName"),
    "ip block": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\n"
        "spec: {egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}\n",
        "ipBlock",
    ),
    "namespace selector": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\n"
        "spec: {ingress: [{from: [{namespaceSelector: {}}]}]}\n",
        "namespaceSelector",
    ),
    "foreign host": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {rules: [{host: www.google.com}]}\n",
        "outside this lab's domain",
    ),
    "look-alike host": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {rules: [{host: evilpodium.test}]}\n",
        "outside this lab's domain",
    ),
    "hostless rule": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {rules: [{http: {paths: []}}]}\n",
        "needs a host",
    ),
    "foreign tls host": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {tls: [{hosts: [example.com]}]}\n",
        "TLS host",
    ),
    "namespace": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: kube-system}\n",
        "leave metadata.namespace out",
    ),
    "cronjob pod spec": (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n"
        "    spec:\n      template:\n        spec:\n          hostNetwork: true\n",
        "hostNetwork",
    ),
}


@pytest.mark.parametrize(("text", "reason"), REJECTED.values(), ids=REJECTED.keys())
def test_rejects_what_a_sandbox_may_not_hold_with_a_reason(text, reason):
    found = violations(text)
    assert len(found) == 1, found
    assert reason in found[0]
    assert found[0].startswith("a.yaml (document 1):")


def test_the_sandbox_namespace_itself_is_allowed():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: sbx-1}\n"
    assert violations(text, SandboxPolicy(namespace="sbx-1", pod_security="privileged")) == []


def test_ingress_domain_comes_from_the_lab():
    text = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {rules: [{host: api.example.org}]}\n"
    )
    assert violations(text, SandboxPolicy(ingress_domain="example.org", pod_security="privileged")) == []


def test_host_in_domain():
    assert host_in_domain("podium.test", "podium.test")
    assert host_in_domain("a.b.podium.test.", "podium.test")
    assert host_in_domain("*.podium.test", "podium.test")
    assert not host_in_domain("podium.test.evil.com", "podium.test")
