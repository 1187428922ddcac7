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

import ipaddress
import re
from dataclasses import dataclass

from grading.checks.objects import WORKLOAD_KINDS
from grading.parsing import ParsedObject, Problem, field_name
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

# Podium's own objects in a sandbox (guardrail NetworkPolicies, the applier's account...) are
# named and labelled with these; a student object carrying them could replace or impersonate a
# guardrail. The chart's ValidatingAdmissionPolicy mirrors the three in CEL.
RESERVED_NAME_PREFIX = "podium-"
MANAGED_BY_LABEL = ("app.kubernetes.io/managed-by", "podium")
RESERVED_KEY_PREFIX = "podium.dev/"

# Where no sandbox NetworkPolicy may open traffic to (or from). NetworkPolicies are additive,
# so a student's ipBlock that covers these would undo the guardrail egress policy:
# - 169.254.0.0/16 and fe80::/10, link-local: the cloud metadata service (169.254.169.254,
#   credentials of the node's cloud identity) and node-local agents;
# - fd00:ec2::254/128: AWS's IPv6 metadata endpoint (not link-local, so named on its own);
# - 10.96.0.0/12: the Service CIDR of kubeadm, kind and k3d, where the API server's ClusterIP
#   (10.96.0.1) lives. Clusters with another range set GRADING_SANDBOX_DENIED_CIDRS (and may add
#   their pod and node ranges there too).
ALWAYS_DENIED_CIDRS = ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")
DEFAULT_DENIED_CIDRS = ALWAYS_DENIED_CIDRS + ("10.96.0.0/12",)

# The Ingress annotations the course teaches (lessons 05 and activity 4): cert-manager issuers,
# and the everyday Ingress-NGINX routing knobs; Traefik (the sandbox controller) only for TLS.
# Everything else is refused: snippets, auth-url/auth-signin, mirror-*, server-alias and the
# like write into the shared controller's configuration (IngressNightmare, CVE-2025-1974), and
# Traefik's router.middlewares/entrypoints reach other namespaces' middlewares and the
# controller's internal entry points.
INGRESS_ANNOTATIONS_ALLOWED: frozenset[str] = frozenset({
    "cert-manager.io/cluster-issuer", "cert-manager.io/issuer",
    "nginx.ingress.kubernetes.io/rewrite-target", "nginx.ingress.kubernetes.io/use-regex",
    "nginx.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/force-ssl-redirect",
    "nginx.ingress.kubernetes.io/proxy-body-size", "nginx.ingress.kubernetes.io/proxy-read-timeout",
    "nginx.ingress.kubernetes.io/proxy-send-timeout",
    "nginx.ingress.kubernetes.io/proxy-connect-timeout",
    "traefik.ingress.kubernetes.io/router.tls",
})
# Even an allowed annotation's value is written into the controller's configuration: plain
# tokens only (rewrite-target's "/$2", "8m", "true", an issuer's name), no quotes, braces,
# semicolons, comments or newlines that could close a directive and open another.
INGRESS_ANNOTATION_VALUE = re.compile(r"[A-Za-z0-9._~/:$@=,+-]{0,253}")

# Prometheus Operator monitors: what a sandbox ServiceMonitor/PodMonitor may say. Prometheus is
# shared and privileged (its own service-account token, Secrets it can read, the network it can
# reach), so a monitor may say which port and path to scrape and how often, nothing about
# credentials, proxies, TLS key material or the labels that identify a series' tenant.
MONITOR_SPEC_FIELDS_ALLOWED: frozenset[str] = frozenset({
    "selector", "endpoints", "podMetricsEndpoints", "namespaceSelector", "jobLabel", "targetLabels",
    "podTargetLabels", "sampleLimit", "targetLimit", "labelLimit", "labelNameLengthLimit",
    "labelValueLengthLimit",
})
MONITOR_ENDPOINT_FIELDS_ALLOWED: frozenset[str] = frozenset({
    "port", "portNumber", "targetPort", "path", "scheme", "params", "interval", "scrapeTimeout",
    "honorTimestamps", "trackTimestampsStaleness", "relabelings", "metricRelabelings", "tlsConfig",
    "followRedirects", "enableHttp2", "filterRunning",
})
MONITOR_TLS_FIELDS_ALLOWED = frozenset({"insecureSkipVerify", "serverName", "minVersion", "maxVersion"})
MONITOR_SCHEMES = {"http", "https"}
_MONITOR_WHY = {
    "bearerTokenFile": "it sends a file from Prometheus's own disk (its service-account token) to "
                       "your pod",
    "bearerTokenSecret": "it sends a Secret's token with every scrape",
    "authorization": "it sends credentials with every scrape",
    "basicAuth": "it sends credentials with every scrape",
    "oauth2": "it sends credentials with every scrape",
    "proxyUrl": "it sends Prometheus's requests through a proxy of your choice",
    "proxyURL": "it sends Prometheus's requests through a proxy of your choice",
    "honorLabels": "your pod's metrics would overwrite the namespace and job labels that say whose "
                   "series they are",
    "scrapeClass": "scrape classes carry the platform's TLS and authorization settings",
    "attachMetadata": "it makes Prometheus read node objects for your targets",
}


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
            if _network(cidr) is None:
                raise ValueError(f"SandboxPolicy.denied_cidrs: {cidr!r} is not a CIDR (e.g. 10.96.0.0/12)")

    def denied_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        nets = [_network(c) for c in dict.fromkeys(ALWAYS_DENIED_CIDRS + self.denied_cidrs)]
        # An IPv6 ipBlock of IPv4-mapped addresses (::ffff:169.254.0.0/112) names the same hosts.
        mapped = [ipaddress.ip_network(f"::ffff:{n.network_address}/{96 + n.prefixlen}")
                  for n in nets if n.version == 4]
        return nets + mapped


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
        problems += _check_network_policy(obj, policy)
    elif kind == "Ingress":
        problems += _check_ingress(obj, policy.ingress_domain)
    elif kind in ("ServiceMonitor", "PodMonitor"):
        problems += _check_monitor(obj, policy)
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


def _kind_of_value(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _mapping(obj: ParsedObject, path: list, problems: list[Problem], value: object = ...) -> dict:
    """The mapping at `path` (or `value`); {} when absent, and a Problem when something else is there."""
    value = _get(obj.data, path) if value is ... else value
    if isinstance(value, dict):
        return value
    if value is not None:
        problems.append(obj.problem(path, f"{obj.ref}: {field_name(path)} must be a mapping "
                                          f"(found {_kind_of_value(value)})"))
    return {}


def _items(obj: ParsedObject, path: list, problems: list[Problem], value: object = ...) -> list:
    """The list at `path` (or `value`); [] when absent, and a Problem when something else is there."""
    value = _get(obj.data, path) if value is ... else value
    if isinstance(value, list):
        return value
    if value is not None:
        problems.append(obj.problem(path, f"{obj.ref}: {field_name(path)} must be a list "
                                          f"(found {_kind_of_value(value)})"))
    return []


def _is_reserved_key(key: str) -> bool:
    prefix, slash, _ = key.lower().partition("/")
    reserved = RESERVED_KEY_PREFIX.rstrip("/")
    return bool(slash) and (prefix == reserved or prefix.endswith("." + reserved))


def _check_reserved(obj: ParsedObject, meta_path: list) -> list[Problem]:
    """Names, labels and annotations that would pass the object off as one of Podium's own."""
    problems: list[Problem] = []
    meta = _mapping(obj, meta_path, problems)
    ref = obj.ref
    for key in ("name", "generateName"):
        value = meta.get(key)
        if isinstance(value, str) and value.lower().startswith(RESERVED_NAME_PREFIX):
            problems.append(obj.problem(meta_path + [key],
                                        f"{ref}: {key} {value!r} starts with {RESERVED_NAME_PREFIX!r}, "
                                        "which is reserved for Podium's own guardrails; choose another "
                                        "name"))
    for group in ("labels", "annotations"):
        for key, value in _mapping(obj, meta_path + [group], problems).items():
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
        for i, template in enumerate(_items(obj, ["spec", "volumeClaimTemplates"], problems)):
            problems += _check_reserved(obj, ["spec", "volumeClaimTemplates", i, "metadata"])
            if isinstance(template, dict):
                problems += _check_claim_spec(obj, ["spec", "volumeClaimTemplates", i, "spec"])
    return problems + _check_pod_spec(obj, base, pod_security)


def _check_pod_spec(obj: ParsedObject, base: list, pod_security: str) -> list[Problem]:
    problems: list[Problem] = []
    spec = _mapping(obj, base, problems)
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
    for i, volume in enumerate(_items(obj, base + ["volumes"], problems)):
        if not isinstance(volume, dict):
            continue
        where = base + ["volumes", i]
        if volume.get("hostPath") is not None:
            problems.append(obj.problem(where + ["hostPath"],
                                        f"{ref}: hostPath volumes expose the node's files; use a "
                                        "PersistentVolumeClaim, emptyDir, ConfigMap or Secret"))
        sources = _items(obj, where + ["projected", "sources"], problems)
        for j, source in enumerate(sources):
            if isinstance(source, dict) and source.get("serviceAccountToken") is not None:
                problems.append(obj.problem(where + ["projected", "sources", j, "serviceAccountToken"],
                                            f"{ref}: volume {volume.get('name', i)!r} projects a "
                                            "service-account token (an API credential, whatever its "
                                            "audience); sandbox pods get none"))
        claim = where + ["ephemeral", "volumeClaimTemplate", "spec"]
        if isinstance(_get(obj.data, claim), dict):
            problems += _check_claim_spec(obj, claim)
    containers = containers_of(base, spec)
    for path, container in containers:
        security = _mapping(obj, path + ["securityContext"], problems)
        where = path + ["securityContext"]
        name = container.get("name", path[-1])
        if security.get("privileged"):
            problems.append(obj.problem(where + ["privileged"],
                                        f"{ref}: container {name!r} is privileged; not allowed"))
        # Stricter than the standard's baseline: NET_BIND_SERVICE (ports below 1024, which
        # restricted allows too) is the only capability a sandbox pod may add.
        add = _items(obj, where + ["capabilities", "add"], problems,
                     _get(security, ["capabilities", "add"]))
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


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _check_dns_and_tolerations(obj: ParsedObject, base: list, spec: dict) -> list[Problem]:
    # hostAliases stay allowed: they only edit the pod's own /etc/hosts.
    problems: list[Problem] = []
    ref = obj.ref
    if spec.get("dnsPolicy") == "None":
        problems.append(obj.problem(base + ["dnsPolicy"],
                                    f"{ref}: dnsPolicy None replaces the cluster's DNS; sandbox pods "
                                    "use ClusterFirst (leave dnsPolicy out)"))
    dns = _mapping(obj, base + ["dnsConfig"], problems)
    if _items(obj, base + ["dnsConfig", "nameservers"], problems, dns.get("nameservers")):
        problems.append(obj.problem(base + ["dnsConfig", "nameservers"],
                                    f"{ref}: dnsConfig.nameservers sends the pod's DNS queries past the "
                                    "cluster's DNS; not allowed (searches and options are fine)"))
    for i, toleration in enumerate(_items(obj, base + ["tolerations"], problems)):
        toleration = _dict(toleration)
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
    if _mapping(obj, path, problems).get("volumeName") not in (None, ""):
        problems.append(obj.problem(path + ["volumeName"],
                                    f"{obj.ref}: volumeName binds the claim to an existing "
                                    "PersistentVolume, which may hold someone else's data; leave it "
                                    "out and let the storage class provision a volume"))
    return problems


# --- Services and Secrets --------------------------------------------------------------------

def _check_service(obj: ParsedObject) -> list[Problem]:
    problems: list[Problem] = []
    spec = _mapping(obj, ["spec"], problems)
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


# --- NetworkPolicy ---------------------------------------------------------------------------

def _network(cidr: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(cidr, str) or "/" not in cidr:
        return None
    try:
        # Kubernetes accepts host bits in ipBlock.cidr (10.0.0.1/8 means 10.0.0.0/8).
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


def _check_network_policy(obj: ParsedObject, policy: SandboxPolicy) -> list[Problem]:
    problems: list[Problem] = []
    _mapping(obj, ["spec"], problems)
    denied = policy.denied_networks()
    for direction, peers_key, whom in (("ingress", "from", "source"), ("egress", "to", "destination")):
        for i, rule in enumerate(_items(obj, ["spec", direction], problems)):
            path = ["spec", direction, i]
            rule = _mapping(obj, path, problems, rule)
            peers = _items(obj, path + [peers_key], problems, rule.get(peers_key))
            if not peers:
                # No peers (absent, null, [] or a rule with only ports) means every peer: other
                # students' namespaces, the API server, the cloud metadata service.
                problems.append(obj.problem(path, f"{obj.ref}: {direction} rule {i + 1} lists no "
                                                  f"'{peers_key}' peers, so it allows every {whom} "
                                                  "(other sandboxes, the API server, cloud metadata); "
                                                  f"name them in '{peers_key}' with podSelector (or "
                                                  "ipBlock for addresses outside the cluster)"))
            for j, peer in enumerate(peers):
                problems += _check_peer(obj, path + [peers_key, j], peer, denied)
    return problems


def _check_peer(obj: ParsedObject, path: list, peer: object, denied: list) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(peer, dict):
        return [obj.problem(path, f"{obj.ref}: a NetworkPolicy peer must be a mapping (found "
                                  f"{_kind_of_value(peer)})")]
    if all(peer.get(k) is None for k in ("podSelector", "namespaceSelector", "ipBlock")):
        problems.append(obj.problem(path, f"{obj.ref}: an empty peer matches every pod and address; "
                                          "give it a podSelector (or an ipBlock)"))
    if peer.get("namespaceSelector") is not None:
        problems.append(obj.problem(path + ["namespaceSelector"],
                                    f"{obj.ref}: NetworkPolicy peers must stay inside the namespace "
                                    "(use podSelector); namespaceSelector is not allowed"))
    if peer.get("ipBlock") is not None:
        problems += _check_ip_block(obj, path + ["ipBlock"], denied)
    return problems


def _check_ip_block(obj: ParsedObject, path: list, denied: list) -> list[Problem]:
    problems: list[Problem] = []
    block = _mapping(obj, path, problems)
    cidr = block.get("cidr")
    network = _network(cidr)
    if network is None:
        problems.append(obj.problem(path + ["cidr"], f"{obj.ref}: ipBlock.cidr {cidr!r} is not a CIDR "
                                                     "(e.g. 203.0.113.0/24)"))
    excepts = []
    for k, value in enumerate(_items(obj, path + ["except"], problems, block.get("except"))):
        carved = _network(value)
        if carved is None:
            problems.append(obj.problem(path + ["except", k], f"{obj.ref}: ipBlock.except entry "
                                                              f"{value!r} is not a CIDR"))
        else:
            excepts.append(carved)
    if network is None:
        return problems
    # An `except` that carves a denied range out is fine: that traffic stays denied.
    reachable = [str(d) for d in denied if _still_open(network, excepts, d)]
    if reachable:
        problems.append(obj.problem(path + ["cidr"],
                                    f"{obj.ref}: ipBlock {cidr} includes {', '.join(reachable)}, which "
                                    "no sandbox may open (cloud metadata, link-local, the cluster's "
                                    "Services and API server); narrow the CIDR or list those ranges "
                                    "under ipBlock.except"))
    return problems


def _still_open(network, excepts: list, denied) -> bool:
    """Whether `network` minus `excepts` still holds part of `denied`."""
    if network.version != denied.version or not network.overlaps(denied):
        return False
    # Two CIDRs that overlap are nested: their intersection is the smaller one.
    inside = denied if denied.subnet_of(network) else network
    carved = [e for e in excepts if e.version == inside.version and e.overlaps(inside)]
    if any(inside.subnet_of(e) for e in carved):
        return False
    # The rest are subnets of `inside`; collapsed, they are exactly `inside` iff they cover it.
    return list(ipaddress.collapse_addresses(carved)) != [inside]


# --- Ingress ---------------------------------------------------------------------------------

def host_in_domain(host: str, domain: str) -> bool:
    host = host.lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
    domain = domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def _allowed_annotations_brief() -> str:
    groups: dict[str, list[str]] = {}
    for key in sorted(INGRESS_ANNOTATIONS_ALLOWED):
        prefix, _, name = key.partition("/")
        groups.setdefault(prefix, []).append(name)
    return "; ".join(f"{prefix}/ {', '.join(names)}" for prefix, names in groups.items())


def _check_host(obj: ParsedObject, path: list, host: object, domain: str, what: str) -> list[Problem]:
    ref = obj.ref
    if not isinstance(host, str):
        return [obj.problem(path, f"{ref}: {what} must be a string (found {_kind_of_value(host)})")]
    if "*" in host:
        return [obj.problem(path, f"{ref}: wildcard {what} {host!r} would catch other sandboxes' "
                                  f"hosts; name one host, e.g. api.{domain}")]
    if not host_in_domain(host, domain):
        if what == "host":
            return [obj.problem(path, f"{ref}: host {host!r} is outside this lab's domain; use a "
                                      f"subdomain of {domain} (e.g. api.{domain})")]
        return [obj.problem(path, f"{ref}: TLS host {host!r} is outside this lab's domain {domain}")]
    if host.lower().rstrip(".") == domain.lower().rstrip("."):
        return [obj.problem(path, f"{ref}: {what} {host!r} is the lab's bare domain, shared by every "
                                  f"sandbox; use a subdomain of it (e.g. api.{domain})")]
    return []


def _check_ingress(obj: ParsedObject, domain: str) -> list[Problem]:
    problems: list[Problem] = []
    spec = _mapping(obj, ["spec"], problems)
    for key in ("defaultBackend", "backend"):
        if spec.get(key) is not None:
            problems.append(obj.problem(["spec", key],
                                        f"{obj.ref}: spec.{key} catches requests for every host; give "
                                        f"each rule a host under {domain} and its own paths instead"))
    for i, rule in enumerate(_items(obj, ["spec", "rules"], problems)):
        host = _mapping(obj, ["spec", "rules", i], problems, rule).get("host")
        if not host:
            problems.append(obj.problem(["spec", "rules", i],
                                        f"{obj.ref}: every Ingress rule needs a host under {domain} "
                                        f"(e.g. api.{domain}); a rule without one catches every host"))
        else:
            problems += _check_host(obj, ["spec", "rules", i, "host"], host, domain, "host")
    for i, tls in enumerate(_items(obj, ["spec", "tls"], problems)):
        hosts = _mapping(obj, ["spec", "tls", i], problems, tls).get("hosts")
        for j, host in enumerate(_items(obj, ["spec", "tls", i, "hosts"], problems, hosts)):
            problems += _check_host(obj, ["spec", "tls", i, "hosts", j], host, domain, "TLS host")
    for key, value in _mapping(obj, ["metadata", "annotations"], []).items():
        path = ["metadata", "annotations", key]
        if key not in INGRESS_ANNOTATIONS_ALLOWED:
            problems.append(obj.problem(path, f"{obj.ref}: annotation {key!r} is not allowed on a sandbox "
                                              "Ingress (controller annotations can rewrite the shared "
                                              "ingress controller's configuration); allowed: "
                                              f"{_allowed_annotations_brief()}"))
        elif not isinstance(value, str) or not INGRESS_ANNOTATION_VALUE.fullmatch(value):
            problems.append(obj.problem(path, f"{obj.ref}: annotation {key!r} has the value {value!r}; "
                                              "use a plain value (letters, digits and . _ ~ / : $ @ = , "
                                              "+ -, at most 253 characters)"))
    return problems


# --- ServiceMonitor / PodMonitor -------------------------------------------------------------

def _check_monitor(obj: ParsedObject, policy: SandboxPolicy) -> list[Problem]:
    problems: list[Problem] = []
    spec = _mapping(obj, ["spec"], problems)
    for key in spec:
        if key not in MONITOR_SPEC_FIELDS_ALLOWED:
            problems.append(_monitor_field(obj, ["spec", key], key, MONITOR_SPEC_FIELDS_ALLOWED))
    selector = _mapping(obj, ["spec", "namespaceSelector"], problems)
    names = _items(obj, ["spec", "namespaceSelector", "matchNames"], problems, selector.get("matchNames"))
    if selector.get("any") not in (None, False) or any(n != policy.namespace for n in names):
        problems.append(obj.problem(["spec", "namespaceSelector"],
                                    f"{obj.ref}: namespaceSelector reaches other namespaces; leave it "
                                    "out (a sandbox monitor watches its own namespace)"))
    group = "podMetricsEndpoints" if obj.kind == "PodMonitor" else "endpoints"
    for i, endpoint in enumerate(_items(obj, ["spec", group], problems)):
        path = ["spec", group, i]
        endpoint = _mapping(obj, path, problems, endpoint)
        for key in endpoint:
            if key not in MONITOR_ENDPOINT_FIELDS_ALLOWED:
                problems.append(_monitor_field(obj, path + [key], key, MONITOR_ENDPOINT_FIELDS_ALLOWED))
        scheme = endpoint.get("scheme")
        if scheme is not None and str(scheme).lower() not in MONITOR_SCHEMES:
            problems.append(obj.problem(path + ["scheme"], f"{obj.ref}: scheme {scheme!r} is not "
                                                           "allowed; use http or https"))
        tls = _mapping(obj, path + ["tlsConfig"], problems, endpoint.get("tlsConfig"))
        for key in tls:
            if key not in MONITOR_TLS_FIELDS_ALLOWED:
                problems.append(obj.problem(path + ["tlsConfig", key],
                                            f"{obj.ref}: tlsConfig.{key} is not allowed (certificates and "
                                            "keys, as files or Secrets, are Prometheus's, not the "
                                            "sandbox's); allowed: "
                                            f"{', '.join(sorted(MONITOR_TLS_FIELDS_ALLOWED))}"))
        for relabel in ("relabelings", "metricRelabelings"):
            problems += _check_relabelings(obj, path + [relabel], endpoint.get(relabel))
    return problems


def _monitor_field(obj: ParsedObject, path: list, key: object, allowed: frozenset[str]) -> Problem:
    why = _MONITOR_WHY.get(str(key), "it is not on the sandbox's list")
    return obj.problem(path, f"{obj.ref}: {key} is not allowed in a sandbox {obj.kind} ({why}); "
                             f"allowed: {', '.join(sorted(allowed))}")


def _check_relabelings(obj: ParsedObject, path: list, value: object) -> list[Problem]:
    """Labels starting with __ steer the scrape itself (__address__ is where Prometheus connects,
    __scheme__, __metrics_path__, __param_*); `namespace` says whose series it is."""
    problems: list[Problem] = []
    for i, rule in enumerate(_items(obj, path, problems, value)):
        rule = _mapping(obj, path + [i], problems, rule)
        targets = [("targetLabel", rule.get("targetLabel"))]
        if str(rule.get("action", "")).lower() == "labelmap":
            targets.append(("replacement", rule.get("replacement")))
        for key, label in targets:
            if isinstance(label, str) and (label.startswith("__") or label == "namespace"):
                problems.append(obj.problem(path + [i, key],
                                            f"{obj.ref}: {field_name(path)} rule {i + 1} writes the label "
                                            f"{label!r}, which steers Prometheus itself (or names "
                                            "another tenant); write ordinary labels only"))
    return problems
