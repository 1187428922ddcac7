"""The ValidatingAdmissionPolicy bound to the sandboxes' applier identity, evaluated for real.

The chart's CEL expressions are run with cel-python (the same language the API server runs;
only standard functions are used, so both evaluate them alike) against hostile objects, which
must each be refused with a message naming the problem, and against every object of the labs'
reference solutions, which must all be admitted exactly as live grading applies them.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import re
from dataclasses import dataclass, field

import celpy
import pytest
import yaml

from deploy.tests.conftest import ROOT, parse, render
from grading.intake import policy, policy_network
from grading.live import sandbox

SUBMISSION = 7
# The chart's default install id for release podium in namespace podium: sha256 of "<ns>/<name>".
INSTALL = sandbox.Install(install_id=hashlib.sha256(b"podium/podium").hexdigest()[:8])
SUFFIX = "0a1b2c3d"
NAMESPACE = sandbox.namespace_name(SUBMISSION, SUFFIX, INSTALL)
APPLIER = sandbox.applier_username(NAMESPACE)
LABS = ROOT / "courses" / "content" / "kubernetes-fundamentals" / "labs"
LAB_DOMAIN = policy.SandboxPolicy().ingress_domain
ENV = celpy.Environment()


class CELError(AssertionError):
    """An expression failed to evaluate: the API server would refuse with no useful message."""


def _program(expression: str):
    return ENV.program(ENV.compile(expression))


def _run(program, activation: dict, what: str):
    try:
        value = program.evaluate(activation)
    except celpy.CELEvalError as exc:
        raise CELError(f"{what}: {exc.args[0] if exc.args else exc}") from None
    if isinstance(value, celpy.CELEvalError):
        raise CELError(f"{what}: {value}")
    return value


@dataclass
class Verdict:
    matched: bool
    refusals: list[tuple[int, str]] = field(default_factory=list)  # (validation index, message)

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self.refusals]


class Policy:
    """A rendered ValidatingAdmissionPolicy, compiled once, evaluated like the API server does:
    matchConditions, then variables in order, then every validation and its messageExpression."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.conditions = [(c["name"], _program(c["expression"])) for c in spec.get("matchConditions", [])]
        self.variables = [(v["name"], _program(v["expression"])) for v in spec.get("variables", [])]
        self.validations = [
            (_program(v["expression"]),
             _program(v["messageExpression"]) if "messageExpression" in v else None,
             v.get("message", ""))
            for v in spec["validations"]
        ]

    def review(self, obj: dict, *, operation: str = "CREATE", old: dict | None = None,
               user: str = APPLIER, namespace: str = NAMESPACE, resource: str = "",
               namespace_object: dict | None = None) -> Verdict:
        if resource == "namespaces":
            namespace_object = None  # a Namespace has none: it is cluster-scoped
        elif namespace_object is None:
            # The sandbox namespace exactly as the grader creates it (its podium.dev/submission
            # label is what the Ingress host rule reads).
            namespace_object = sandbox.namespace_manifest(sandbox.SandboxSpec(
                submission_id=int(namespace.rsplit("-", 2)[1]), lab="lab",
                expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC), install=INSTALL))
            namespace_object["metadata"]["name"] = namespace
        activation = {
            "object": celpy.json_to_cel(obj),
            "oldObject": celpy.json_to_cel(old),
            "namespaceObject": celpy.json_to_cel(namespace_object),
            "request": celpy.json_to_cel({
                "operation": operation, "namespace": "" if resource == "namespaces" else namespace,
                "userInfo": {"username": user, "groups": ["system:serviceaccounts"]},
                "kind": {"kind": obj.get("kind")}, "resource": {"resource": resource},
            }),
        }
        for name, program in self.conditions:
            if not _run(program, activation, f"matchCondition {name}"):
                return Verdict(matched=False)
        variables: dict = {}
        for name, program in self.variables:
            activation["variables"] = celpy.json_to_cel({}) if not variables else celpy.celtypes.MapType(
                {celpy.celtypes.StringType(k): v for k, v in variables.items()})
            variables[name] = _run(program, activation, f"variable {name}")
        activation["variables"] = celpy.celtypes.MapType(
            {celpy.celtypes.StringType(k): v for k, v in variables.items()})
        verdict = Verdict(matched=True)
        for index, (check, message_program, message) in enumerate(self.validations):
            if not _run(check, activation, f"validation {index}"):
                if message_program is not None:
                    message = str(_run(message_program, activation, f"messageExpression {index}"))
                verdict.refusals.append((index, message))
        return verdict


@pytest.fixture(scope="module")
def applier_policy() -> Policy:
    rendered = parse(render().stdout)
    policies = [p for p in rendered.of_kind("ValidatingAdmissionPolicy")
                if p["metadata"]["name"].endswith("-sandbox-objects")]
    assert len(policies) == 1
    return Policy(policies[0]["spec"])


def _values() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "helm" / "podium" / "values.yaml").read_text())


# --- what live grading applies -------------------------------------------------------------

def _as_applied(obj: dict) -> dict:
    """An object as the API server's validating admission sees it when the grader applies it:
    in the sandbox namespace, Ingress hosts and class rewritten (grading/live/sandbox.py
    IngressRewrite), and the defaults the API server fills in before admission."""
    grading = _values()["grading"]
    rewrite = sandbox.IngressRewrite(submission_id=SUBMISSION, lab_domain=LAB_DOMAIN,
                                     sandbox_domain=grading["sandboxDomain"],
                                     ingress_class=grading["sandboxIngressClass"])
    out = copy.deepcopy(rewrite.apply(obj))
    out.setdefault("metadata", {})["namespace"] = NAMESPACE
    found = sandbox.pod_spec(out)
    if found is not None:
        spec = found[1]
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("restartPolicy", "Always" if out["kind"] != "Job" else "Never")
        spec.setdefault("terminationGracePeriodSeconds", 30)
    if out["kind"] == "Service":
        out.setdefault("spec", {}).setdefault("type", "ClusterIP")
    return out


def _reference_objects() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(LABS.glob("*/solution/**/*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind"):
                found.append((f"{path.relative_to(LABS)} {doc['kind']}/{doc['metadata']['name']}", doc))
    return found


REFERENCE = _reference_objects()


def test_the_labs_have_reference_objects_of_every_kind_the_policy_treats():
    kinds = {obj["kind"] for _, obj in REFERENCE}
    assert {"Deployment", "StatefulSet", "Service", "Secret", "ConfigMap", "Ingress",
            "PersistentVolumeClaim", "HorizontalPodAutoscaler", "Pod"} <= kinds
    assert len(REFERENCE) >= 25


@pytest.mark.parametrize(("label", "obj"), REFERENCE, ids=[label for label, _ in REFERENCE])
def test_every_reference_solution_object_is_admitted_as_live_grading_applies_it(applier_policy, label, obj):
    verdict = applier_policy.review(_as_applied(obj))
    assert verdict.matched
    assert verdict.messages == []


def test_a_retry_updating_a_scheduled_pod_and_a_bound_claim_is_admitted(applier_policy):
    """The scheduler sets nodeName and the volume binder volumeName; re-applying the same
    objects on a retry (an UPDATE) must not be refused for what the cluster itself set."""
    pod = _as_applied(next(o for _, o in REFERENCE if o["kind"] == "Pod"))
    scheduled = copy.deepcopy(pod)
    scheduled["spec"]["nodeName"] = "node-1"
    assert applier_policy.review(scheduled, operation="UPDATE", old=scheduled).messages == []
    claim = _as_applied(next(o for _, o in REFERENCE if o["kind"] == "PersistentVolumeClaim"))
    bound = copy.deepcopy(claim)
    bound["spec"]["volumeName"] = "pvc-1234"
    assert applier_policy.review(bound, operation="UPDATE", old=bound).messages == []
    # ... but a CREATE naming them, or an UPDATE choosing another volume, is refused.
    assert applier_policy.review(scheduled).messages
    other = copy.deepcopy(bound)
    other["spec"]["volumeName"] = "someone-elses-volume"
    assert applier_policy.review(other, operation="UPDATE", old=bound).messages


def test_only_the_sandbox_applier_identity_is_matched(applier_policy):
    hostile = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "podium-quota"}}
    assert applier_policy.review(hostile).matched
    assert applier_policy.review(
        hostile, user=sandbox.applier_username(sandbox.namespace_name(123, "ffffffff", INSTALL))).matched
    another_install = sandbox.namespace_name(7, SUFFIX, sandbox.Install(install_id="other"))
    for user in ("system:serviceaccount:podium:podium-grader", "system:serviceaccount:default:podium-applier",
                 f"system:serviceaccount:{NAMESPACE}:default", "alice",
                 sandbox.applier_username(another_install)):
        assert not applier_policy.review(hostile, user=user).matched, user


# --- hostile objects -------------------------------------------------------------------------

def _pod(**spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


def _deployment(**spec) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}}}


def _cronjob(**spec) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}],
                         **spec}}}}}}


def _netpol(**spec) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
            "spec": {"podSelector": {}, **spec}}


def _ingress(annotations=None, **spec) -> dict:
    host = f"api.{SUBMISSION}.{_values()['grading']['sandboxDomain']}"
    base = {"ingressClassName": _values()["grading"]["sandboxIngressClass"],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": "api", "port": {"number": 80}}}}]}}]}
    meta = {"name": "web", **({"annotations": annotations} if annotations is not None else {})}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
            "spec": {**base, **spec}}


def _monitor(kind="ServiceMonitor", spec=None, **endpoint) -> dict:
    key = "endpoints" if kind == "ServiceMonitor" else "podMetricsEndpoints"
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": kind, "metadata": {"name": "m"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, key: [{"port": "metrics", **endpoint}],
                     **(spec or {})}}


def _service(**spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}], **spec}}


def _with_meta(obj: dict, **meta) -> dict:
    out = copy.deepcopy(obj)
    out["metadata"].update(meta)
    return out


PROJECTED_TOKEN = [{"name": "t", "projected": {"sources": [
    {"serviceAccountToken": {"audience": "vault", "path": "token"}}]}}]

HOSTILE = {
    # item 1: Podium's own objects
    "name podium-default-deny": (_with_meta(_netpol(egress=[{"to": [{"podSelector": {}}]}]),
                                            name="podium-default-deny"), "reserved for Podium's guardrails"),
    "generateName podium-": (_with_meta(_pod(), generateName="podium-"), "reserved for Podium's guardrails"),
    "managed-by podium label": (_with_meta(_pod(), labels={"app.kubernetes.io/managed-by": "podium"}),
                                "marks Podium's own objects"),
    "managed-by podium on a pod template": (
        {**_deployment(), "spec": {**_deployment()["spec"], "template": {
            "metadata": {"labels": {"app": "d", "app.kubernetes.io/managed-by": "podium"}},
            "spec": _deployment()["spec"]["template"]["spec"]}}}, "marks Podium's own objects"),
    "podium.dev/ label": (_with_meta(_pod(), labels={"podium.dev/submission": "8"}), "reserved for Podium"),
    "podium.dev/ annotation": (_with_meta(_pod(), annotations={"podium.dev/expires-at": "2099"}),
                               "reserved for Podium"),
    "x.podium.dev/ annotation": (_with_meta(_pod(), annotations={"x.podium.dev/lab": "y"}),
                                 "reserved for Podium"),
    # item 2: NetworkPolicies
    "egress rule without peers": (_netpol(egress=[{}]), "needs from/to peers"),
    "ingress rule with only ports": (_netpol(ingress=[{"ports": [{"port": 80}]}]), "needs from/to peers"),
    "egress to: []": (_netpol(egress=[{"to": []}]), "needs from/to peers"),
    "empty peer": (_netpol(egress=[{"to": [{}]}]), "empty peer"),
    "namespaceSelector peer": (_netpol(ingress=[{"from": [{"namespaceSelector": {}}]}]), "namespaceSelector"),
    "namespaceSelector + podSelector peer": (
        _netpol(egress=[{"to": [{"namespaceSelector": {"matchLabels": {"x": "y"}}, "podSelector": {}}]}]),
        "namespaceSelector"),
    "ipBlock 0.0.0.0/0": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]), "link-local"),
    "ipBlock 0.0.0.0/0 except private ranges only": (
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]),
        "must list them under except"),
    "ipBlock ::/0": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "::/0"}}]}]), "link-local"),
    "ipBlock ::/0 except link-local only": (
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "::/0", "except": ["fe80::/10"]}}]}]), "cloud metadata"),
    "ipBlock 128.0.0.0/1": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "128.0.0.0/1"}}]}]),
                            "link-local"),
    "ipBlock inside link-local, excepted or not": (
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "169.254.0.0/16", "except": ["169.254.0.0/16"]}}]}]),
        "link-local"),
    "ipBlock cloud metadata": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}]}]),
                               "link-local"),
    "ipBlock fe80::/64": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "FE80::/64"}}]}]), "link-local"),
    "ipBlock IPv4-mapped metadata": (
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "::ffff:169.254.169.254/128"}}]}]), "link-local"),
    "ipBlock AWS IPv6 metadata": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "fd00:ec2::254/128"}}]}]),
                                  "cloud metadata"),
    "ipBlock ULA covering AWS metadata": (_netpol(egress=[{"to": [{"ipBlock": {"cidr": "fd00::/16"}}]}]),
                                          "cloud metadata"),
    # item 3: the grader's identity
    "serviceAccountName podium-applier": (_pod(serviceAccountName="podium-applier"),
                                          "default ServiceAccount"),
    "deprecated serviceAccount": (_deployment(serviceAccount="podium-applier"), "default ServiceAccount"),
    "automountServiceAccountToken": (_cronjob(automountServiceAccountToken=True),
                                     "automountServiceAccountToken"),
    "projected token": (_deployment(volumes=PROJECTED_TOKEN), "projected serviceAccountToken"),
    "service-account-token Secret": (
        {"apiVersion": "v1", "kind": "Secret", "metadata": {
            "name": "tok", "annotations": {"kubernetes.io/service-account.name": "podium-applier"}},
         "type": "kubernetes.io/service-account-token"}, "service-account-token"),
    # item 5: pod placement and the node
    "nodeName": (_pod(nodeName="node-1"), "nodeName"),
    "priorityClassName in a template": (_deployment(priorityClassName="system-cluster-critical"),
                                        "priorityClassName"),
    "runtimeClassName": (_cronjob(runtimeClassName="kata"), "runtimeClassName"),
    "schedulerName": (_pod(schedulerName="my-scheduler"), "schedulerName"),
    "hostNetwork": (_deployment(hostNetwork=True), "hostNetwork"),
    "hostPID": (_pod(hostPID=True), "hostNetwork, hostPID"),
    "hostPath": (_deployment(volumes=[{"name": "h", "hostPath": {"path": "/"}}]), "hostPath"),
    "wildcard toleration": (_pod(tolerations=[{"operator": "Exists"}]), "tolerates every taint"),
    "wildcard toleration with empty key": (_deployment(tolerations=[{"key": "", "operator": "Exists"}]),
                                           "tolerates every taint"),
    "dnsConfig nameservers": (_pod(dnsPolicy="None", dnsConfig={"nameservers": ["169.254.169.254"]}),
                              "dnsConfig.nameservers"),
    "PVC volumeName": ({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
                        "spec": {"volumeName": "pv-of-another", "accessModes": ["ReadWriteOnce"],
                                 "resources": {"requests": {"storage": "1Gi"}}}}, "volumeName"),
    "volumeClaimTemplates volumeName": (
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
         "spec": {**_deployment()["spec"], "serviceName": "db", "volumeClaimTemplates": [
             {"metadata": {"name": "data"}, "spec": {"volumeName": "pv-of-another",
                                                     "accessModes": ["ReadWriteOnce"]}}]}},
        "volumeName in a claim template"),
    "ephemeral volume volumeName": (
        _pod(volumes=[{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {
            "volumeName": "pv-of-another", "accessModes": ["ReadWriteOnce"]}}}}]),
        "volumeName in a claim template"),
    # Services (CVE-2020-8554)
    "Service externalIPs": (_service(externalIPs=["10.0.0.1"]), "CVE-2020-8554"),
    "Service NodePort": (_service(type="NodePort"), "ClusterIP"),
    # item 4: Ingress
    "Ingress snippet annotation": (
        _ingress({"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers x;"}),
        "annotation nginx.ingress.kubernetes.io/configuration-snippet is not allowed"),
    "Ingress auth-url annotation": (_ingress({"nginx.ingress.kubernetes.io/auth-url": "http://x"}),
                                    "auth-url is not allowed"),
    "Ingress annotation value with a directive": (
        _ingress({"nginx.ingress.kubernetes.io/rewrite-target": "/; }\nserver { listen 80"}),
        "value of Ingress annotation nginx.ingress.kubernetes.io/rewrite-target"),
    "Ingress on Podium's class": (_ingress(ingressClassName="nginx"), "ingressClassName podium-sandbox"),
    "Ingress without a class": (
        {**_ingress(), "spec": {k: v for k, v in _ingress()["spec"].items() if k != "ingressClassName"}},
        "ingressClassName podium-sandbox"),
    "Ingress defaultBackend": (_ingress(defaultBackend={"service": {"name": "x", "port": {"number": 80}}}),
                               "defaultBackend"),
    "Ingress wildcard host": (_ingress(rules=[{"host": f"*.{SUBMISSION}.sandbox.podium-labs.test"}]),
                              "no wildcard"),
    "Ingress without a host": (_ingress(rules=[{"http": {"paths": []}}]), "no wildcard"),
    "Ingress on Podium's own host": (_ingress(rules=[{"host": "learn.podium.test"}]), "sandbox's own domain"),
    "Ingress on another submission's host": (_ingress(rules=[{"host": "api.8.sandbox.podium-labs.test"}]),
                                             f"*.{SUBMISSION}.sandbox.podium-labs.test"),
    "Ingress TLS for Podium's host": (_ingress(tls=[{"hosts": ["learn.podium.test"], "secretName": "t"}]),
                                      "sandbox's own domain"),
    # item 5: ServiceMonitor / PodMonitor
    "ServiceMonitor bearerTokenFile": (
        _monitor(bearerTokenFile="/var/run/secrets/kubernetes.io/serviceaccount/token"), "bearerTokenFile"),
    "PodMonitor basicAuth": (_monitor("PodMonitor", basicAuth={"username": {"name": "s", "key": "u"}}),
                             "basicAuth"),
    "ServiceMonitor authorization": (_monitor(authorization={"credentials": {"name": "s", "key": "k"}}),
                                     "authorization"),
    "ServiceMonitor oauth2": (_monitor(oauth2={"tokenUrl": "http://x"}), "oauth2"),
    "ServiceMonitor bearerTokenSecret": (_monitor(bearerTokenSecret={"name": "s", "key": "k"}),
                                         "bearerTokenSecret"),
    "ServiceMonitor tlsConfig keyFile": (
        _monitor(scheme="https", tlsConfig={"keyFile": "/etc/prometheus/secrets/etcd/key"}), "tlsConfig"),
    "PodMonitor tlsConfig keySecret": (
        _monitor("PodMonitor", tlsConfig={"keySecret": {"name": "s", "key": "k"}}), "tlsConfig"),
    "relabeling to __address__": (
        _monitor(relabelings=[{"targetLabel": "__address__", "replacement": "kubernetes.default.svc:443"}]),
        "__address__"),
    "metricRelabeling to __name__": (
        _monitor("PodMonitor", metricRelabelings=[{"targetLabel": "__name__", "replacement": "x"}]), "__"),
    "namespaceSelector any": (_monitor(spec={"namespaceSelector": {"any": True}}), "namespaceSelector"),
    "namespaceSelector kube-system": (
        _monitor("PodMonitor", spec={"namespaceSelector": {"matchNames": ["kube-system"]}}),
        "namespaceSelector"),
}


@pytest.mark.parametrize(("case", "hostile", "expected"),
                         [(case, obj, expected) for case, (obj, expected) in HOSTILE.items()],
                         ids=list(HOSTILE))
def test_hostile_object_is_refused_with_a_message_naming_the_problem(applier_policy, case, hostile, expected):
    verdict = applier_policy.review({**hostile, "metadata": {**hostile["metadata"], "namespace": NAMESPACE}})
    assert verdict.matched
    assert verdict.messages, f"{case} was admitted"
    ref = f"{hostile['kind']}/{hostile['metadata'].get('name', '')}"
    assert any(expected in m and m.startswith(ref) for m in verdict.messages), verdict.messages


def test_every_validation_refuses_at_least_one_hostile_object(applier_policy):
    hit = {index for obj, _ in HOSTILE.values()
           for index, _ in applier_policy.review({**obj, "metadata": {**obj["metadata"],
                                                                      "namespace": NAMESPACE}}).refusals}
    assert hit == set(range(len(applier_policy.validations)))


def test_allowed_neighbours_of_the_hostile_objects_are_admitted(applier_policy):
    """The rules are narrow: what a lab may legitimately write passes."""
    fine = [
        _netpol(egress=[{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                         "ports": [{"port": 5432}]}]),
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}]),
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "2001:db8::/32"}}]}]),
        # The course's "internet on 443, internals carved out" (lesson 05), as intake/policy.py admits it.
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [
            "169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}],
            "ports": [{"protocol": "TCP", "port": 443}]}]),
        _netpol(egress=[{"to": [{"ipBlock": {"cidr": "::/0",
                                             "except": ["fe80::/10", "fd00:ec2::254/128"]}}]}]),
        _pod(serviceAccountName="default", automountServiceAccountToken=False,
             tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
             dnsConfig={"options": [{"name": "ndots", "value": "2"}]},
             volumes=[{"name": "cfg", "projected": {"sources": [{"configMap": {"name": "c"}}]}}]),
        _ingress({"nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                  "cert-manager.io/cluster-issuer": "letsencrypt"},
                 tls=[{"hosts": [f"api.{SUBMISSION}.sandbox.podium-labs.test"], "secretName": "t"}]),
        _monitor(path="/metrics", interval="30s", relabelings=[{"targetLabel": "team", "replacement": "ml"}]),
        _monitor("PodMonitor", spec={"namespaceSelector": {"matchNames": [NAMESPACE]}}),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"},
    ]
    for obj in fine:
        assert applier_policy.review(obj).messages == [], obj


# --- the chart's values mirror grading/intake/policy.py -------------------------------------------

def test_the_cel_ingress_annotation_allowlist_is_the_static_policys(applier_policy):
    values = _values()["grading"]["sandboxIngressAnnotations"]
    assert set(values) == set(policy.INGRESS_ANNOTATIONS_ALLOWED)
    rendered = next(v["expression"] for v in applier_policy.spec["variables"]
                    if v["name"] == "ingressAnnotations")
    assert set(_run(_program(rendered), {}, "ingressAnnotations")) == set(policy.INGRESS_ANNOTATIONS_ALLOWED)


def test_the_cel_reserved_names_and_annotation_values_are_the_static_policys(applier_policy):
    variables = {v["name"]: _run(_program(v["expression"]), {}, v["name"])
                 for v in applier_policy.spec["variables"]
                 if v["name"] in ("reservedNamePrefix", "reservedKeyPrefix", "managedByKey", "managedByValue",
                                  "annotationValue")}
    assert variables["reservedNamePrefix"] == policy.RESERVED_NAME_PREFIX
    assert variables["reservedKeyPrefix"] == policy.RESERVED_KEY_PREFIX
    assert (variables["managedByKey"], variables["managedByValue"]) == policy.MANAGED_BY_LABEL
    assert variables["annotationValue"] == f"^{policy_network.INGRESS_ANNOTATION_VALUE.pattern}$"
    assert re.fullmatch(policy_network.INGRESS_ANNOTATION_VALUE, "/$2")


def test_the_chart_denies_at_least_the_ranges_the_grader_denies():
    chart = set(_values()["grading"]["sandboxDeniedCIDRs"])
    assert set(sandbox.DEFAULT_DENIED_CIDRS) <= chart
    assert set(policy.ALWAYS_DENIED_CIDRS) <= chart


# --- issue 19: the grader's own policies (confined to this install's sandboxes, names reserved) --

GRADER = "system:serviceaccount:podium:podium-grader"


def _chart_policy(suffix: str) -> Policy:
    rendered = parse(render().stdout)
    [found] = [p for p in rendered.of_kind("ValidatingAdmissionPolicy")
               if p["metadata"]["name"].endswith(suffix)]
    return Policy(found["spec"])


@pytest.fixture(scope="module")
def grader_policy() -> Policy:
    return _chart_policy("-grader-sandboxes")


@pytest.fixture(scope="module")
def names_policy() -> Policy:
    return _chart_policy("-sandbox-names")


def _namespace(spec: sandbox.SandboxSpec) -> dict:
    return sandbox.namespace_manifest(spec)


def _spec(install: sandbox.Install = INSTALL, submission: int = SUBMISSION) -> sandbox.SandboxSpec:
    expires_at = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    return sandbox.SandboxSpec(submission, "lab", expires_at=expires_at, install=install)


def test_the_grader_may_create_and_write_into_its_own_installs_sandboxes(grader_policy):
    own = _spec()
    assert grader_policy.review(_namespace(own), user=GRADER, resource="namespaces").refusals == []
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": sandbox.GRADER_BINDING, "namespace": own.namespace}}
    verdict = grader_policy.review(binding, user=GRADER, namespace=own.namespace, resource="rolebindings",
                                   namespace_object=_namespace(own))
    assert verdict.matched and verdict.refusals == []


def test_the_grader_may_not_write_into_another_installs_sandbox_or_a_lookalike(grader_policy):
    other = _spec(sandbox.Install(install_id="other"))
    verdict = grader_policy.review(_namespace(other), user=GRADER, resource="namespaces")
    assert "the Podium grader may only write inside sandbox namespaces named " \
           f"{INSTALL.name_prefix}*" in verdict.messages
    assert "the Podium grader may only write inside namespaces labelled as this install's Podium sandboxes" \
        in verdict.messages
    lookalike = _namespace(_spec())
    del lookalike["metadata"]["labels"][sandbox.INSTALL]  # the right name, not our label
    assert grader_policy.review(lookalike, user=GRADER, resource="namespaces").refusals
    kube_system = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}
    assert grader_policy.review(kube_system, operation="DELETE", old=kube_system, user=GRADER,
                                resource="namespaces").refusals


def test_nobody_but_the_grader_may_create_a_namespace_under_its_sandbox_names(names_policy):
    """Before, another tenant could pre-create the next `podium-sub-<id>` with enforce: privileged
    and the grader took it over on 409."""
    trap = _namespace(_spec())
    trap["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    verdict = names_policy.review(trap, user="alice", resource="namespaces")
    assert verdict.matched
    name = trap["metadata"]["name"]
    assert (f"namespace {name}: names starting {INSTALL.name_prefix} are reserved for the "
            "Podium grader's sandboxes") in verdict.messages
    labelled = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "innocent", "labels": {sandbox.INSTALL: INSTALL.install_id}}}
    assert names_policy.review(labelled, user="alice", resource="namespaces").messages == [
        f"namespace innocent: the label {sandbox.INSTALL}={INSTALL.install_id} is reserved for the Podium "
        "grader's sandboxes"]
    relabel = names_policy.review(trap, operation="UPDATE", old=trap, user="alice", resource="namespaces")
    assert relabel.refusals


def test_other_namespaces_and_the_grader_itself_are_not_held_by_the_name_reservation(names_policy):
    plain = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"x": "y"}}}
    assert names_policy.review(plain, user="alice", resource="namespaces").refusals == []
    other_install = _namespace(_spec(sandbox.Install(install_id="other")))
    assert names_policy.review(other_install, user="alice", resource="namespaces").refusals == []
    assert not names_policy.review(_namespace(_spec()), user=GRADER, resource="namespaces").matched
