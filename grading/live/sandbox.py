"""What a grading sandbox is made of: its name, labels and guardrail objects. Pure: no client.

grading/live/cluster.py creates these in the cluster; tests and the reaper read the same names here.
One namespace per grading run, `<prefix><install id>-<submission id>-<random suffix>`: the install
id keeps two Podium installs on one cluster apart (names, labels, the reaper's selection), the
random suffix makes the next name unguessable, so nobody can pre-create it; a namespace found
under our name without this run's owner token is never taken over (grading/live/cluster.py).

Identity (issue 19): the grader never grants rules itself. Each sandbox gets two RoleBindings to
ClusterRoles the chart ships (deploy/helm/podium/templates/rbac.yaml), which the grader may only
`bind` by name: the applier's (APPLIER_RULES, the student's kinds) and the grader's own in-sandbox
rights (GRADER_SANDBOX_RULES: observe, clean up, impersonate the applier), so the grader holds no
rights on student kinds, pods, logs or events outside sandboxes.

Guardrails and student objects are applied under two field managers: the guardrails' own
(GUARDRAIL_MANAGER, with force: it owns them) and the students' (STUDENT_MANAGER, without force,
so a student object touching a field a guardrail owns is a 409 conflict, not a silent takeover).
Fields a student could add without a conflict (an `ingress: [{}]` rule on the default deny) are
caught afterwards: `guardrail_drift` compares each guardrail read back with what it should be.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import re
import secrets
from dataclasses import dataclass, field

from grading.checks.objects import WORKLOAD_KINDS
from grading.intake.policy import pod_spec_path
from grading.intake.policy_network import parse_cidr, still_open

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "podium"
SUBMISSION = "podium.dev/submission"
LAB = "podium.dev/lab"
EXPIRES_AT = "podium.dev/expires-at"
INSTALL = "podium.dev/install"  # label: which Podium install made the sandbox
OWNER = "podium.dev/owner"  # annotation: the token of the grading run that created the namespace
GUARDRAIL_MANAGER = "podium-guardrails"  # owns the guardrails; applies with force
STUDENT_MANAGER = "podium-student"  # student objects; never forces over another manager's fields
APPLIER = "podium-applier"  # the in-namespace identity student objects are applied as
GRADER_BINDING = "podium-grader"  # the RoleBinding that gives the grader its rights in a sandbox
# Keeps the grader's own RoleBinding while its namespace terminates: without it the grader could
# no longer list and release the finalizers a student left (grading/live/cluster.py clear_finalizers
# removes it last).
GRADER_ACCESS_FINALIZER = "podium.dev/grader-access"
PSA_VERSION = "v1.32"  # pinned: a newer cluster does not tighten (or loosen) a graded lab
# The Kubernetes service range (the API server's ClusterIP) and link-local v4/v6 (cloud metadata).
DEFAULT_DENIED_CIDRS = ("10.96.0.0/12", "169.254.0.0/16", "fe80::/10")


_INSTALL_ID = re.compile(r"^[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?$")


@dataclass(frozen=True)
class Install:
    """Which Podium install sandboxes belong to, and the chart ClusterRoles bound in them.

    The defaults are a development install's and match the chart rendered as release `podium` in
    namespace `podium` (the tests' rendering); a deployed worker gets every value from the chart
    (grading/conf.py sandbox_install)."""

    install_id: str = "dev"
    prefix: str = "podium-sub-"
    label_key: str = MANAGED_BY
    label_value: str = MANAGER
    applier_clusterrole: str = "podium-podium-sandbox"
    grader_clusterrole: str = "podium-podium-sandbox-grader"

    def __post_init__(self):
        if not _INSTALL_ID.match(self.install_id):
            raise ValueError(f"install id {self.install_id!r}: 1-16 lowercase letters, digits or '-'")
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,20})?", self.prefix):
            raise ValueError(f"sandbox prefix {self.prefix!r}: up to 21 lowercase letters, digits or '-'")

    @property
    def name_prefix(self) -> str:
        """Every sandbox of this install, and only them, has a name starting with this."""
        return f"{self.prefix}{self.install_id}-"

    @property
    def selector(self) -> str:
        return f"{self.label_key}={self.label_value},{INSTALL}={self.install_id}"

    def labels(self) -> dict[str, str]:
        return {self.label_key: self.label_value, INSTALL: self.install_id}

    def owns(self, name: str, labels: dict) -> bool:
        """A namespace is this install's sandbox only with the name prefix AND both labels."""
        return name.startswith(self.name_prefix) and all(
            (labels or {}).get(k) == v for k, v in self.labels().items()
        )


def namespace_name(submission_id: int | str, suffix: str, install: Install | None = None) -> str:
    name = f"{(install or Install()).name_prefix}{submission_id}-{suffix}"
    if len(name) > 63:  # a DNS label; a longer prefix or install id leaves less for the id
        raise ValueError(
            f"sandbox name {name!r} is longer than 63 characters: shorten the prefix or install id"
        )
    return name


def applier_username(namespace: str) -> str:
    return f"system:serviceaccount:{namespace}:{APPLIER}"


def subject_for(username: str) -> dict:
    """The RBAC subject for an authenticated user name (a ServiceAccount's when it is one)."""
    match = re.fullmatch(r"system:serviceaccount:([^:]+):([^:]+)", username)
    if match:
        return {"kind": "ServiceAccount", "name": match[2], "namespace": match[1]}
    return {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": username}


@dataclass(frozen=True)
class Quota:
    pods: int = 10
    requests_cpu: str = "2"
    requests_memory: str = "2Gi"
    limits_cpu: str = "4"
    limits_memory: str = "4Gi"
    requests_storage: str = "2Gi"
    # Node disk (emptyDir, logs, writable layers): without it one pod can fill a node's disk.
    # Room for `pods` containers at the LimitRange's defaults (128Mi request, 512Mi limit).
    requests_ephemeral_storage: str = "4Gi"
    limits_ephemeral_storage: str = "8Gi"
    pvcs: int = 2
    gpus: int = 1
    objects: int = 20  # per counted kind (services, configmaps, secrets, workloads…)
    network_policies: int = 10  # on top of the guardrails' own (GUARDRAIL_NETWORK_POLICIES)

    def hard(self) -> dict[str, str]:
        counted = [
            "services",
            "configmaps",
            "secrets",
            "count/deployments.apps",
            "count/daemonsets.apps",
            "count/statefulsets.apps",
            "count/jobs.batch",
            "count/cronjobs.batch",
            "count/ingresses.networking.k8s.io",
            "count/horizontalpodautoscalers.autoscaling",
            "count/poddisruptionbudgets.policy",
            "count/servicemonitors.monitoring.coreos.com",
            "count/podmonitors.monitoring.coreos.com",
        ]
        return {
            "pods": str(self.pods),
            "requests.cpu": self.requests_cpu,
            "requests.memory": self.requests_memory,
            "limits.cpu": self.limits_cpu,
            "limits.memory": self.limits_memory,
            "requests.storage": self.requests_storage,
            "requests.ephemeral-storage": self.requests_ephemeral_storage,
            "limits.ephemeral-storage": self.limits_ephemeral_storage,
            "persistentvolumeclaims": str(self.pvcs),
            "count/networkpolicies.networking.k8s.io": str(
                # the guardrails' own policies count too: students keep `network_policies`
                self.network_policies + len(network_guardrails(""))
            ),
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
    # Ranges no student NetworkPolicy may open (grading/conf.py GRADING_SANDBOX_DENIED_CIDRS).
    denied_cidrs: tuple[str, ...] = DEFAULT_DENIED_CIDRS
    install: Install = field(default_factory=Install)
    # Random per run: the name cannot be guessed ahead, and the owner token tells this run's
    # namespace from one somebody else created under the same name.
    suffix: str = field(default_factory=lambda: secrets.token_hex(4))
    owner: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def namespace(self) -> str:
        return namespace_name(self.submission_id, self.suffix, self.install)


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
            "labels": {
                **spec.install.labels(),
                SUBMISSION: str(spec.submission_id),
                LAB: spec.lab[:63],
                **psa,
            },
            "annotations": {
                EXPIRES_AT: spec.expires_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
                OWNER: spec.owner,
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

# The grader's rights inside one sandbox (the chart's "-sandbox-grader" ClusterRole, bound there by
# the GRADER_BINDING RoleBinding): exactly what grading/live/cluster.py sends into a sandbox. Guardrails
# applied server-side (create + patch), read back (get, list), student kinds listed to observe and
# patched only to release finalizers, workloads deleted by collection at teardown, the previous
# logs of restarted containers, events, and impersonating the sandbox's own applier (never
# another namespace's: the grant exists only where the binding is). deploy/tests/test_chart.py
# checks the chart holds exactly these; test_sandbox_identity.py that each one is used.
GRADER_SANDBOX_RULES = [
    {
        "apiGroups": [""],
        "resources": ["limitranges", "resourcequotas", "serviceaccounts"],
        "verbs": ["get", "list", "create", "patch"],
    },
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["networkpolicies"],
        "verbs": ["get", "list", "create", "patch"],
    },
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["get", "list"]},
    {
        "apiGroups": [""],
        "resources": ["services", "configmaps", "secrets", "persistentvolumeclaims"],
        "verbs": ["list", "patch"],
    },
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "patch", "deletecollection"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
        "verbs": ["list", "patch", "deletecollection"],
    },
    {
        "apiGroups": ["batch"],
        "resources": ["jobs", "cronjobs"],
        "verbs": ["list", "patch", "deletecollection"],
    },
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["list", "patch"]},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": ["list", "patch"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["list", "patch"]},
    {
        "apiGroups": ["monitoring.coreos.com"],
        "resources": ["servicemonitors", "podmonitors"],
        "verbs": ["list", "patch"],
    },
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "patch"]},
    {
        "apiGroups": [""],
        "resources": ["serviceaccounts"],
        "resourceNames": [APPLIER],
        "verbs": ["impersonate"],
    },
]


def network_guardrails(ns: str) -> list[dict]:
    """Default deny both ways, DNS the only way out. NetworkPolicies can only allow, so the
    denied ranges (SandboxSpec.denied_cidrs) are enforced by reading every policy back after
    the apply (`denied_egress`) and cluster-wide by the chart's AdminNetworkPolicy."""
    return [
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
            # DNS only: one peer that is BOTH the kube-system namespace AND the kube-dns pods
            # (two peers would be OR: all of kube-system), ports 53 only, and no ipBlock, so
            # the rule opens neither the API server nor link-local (cloud metadata).
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
    ]


def grader_binding(spec: SandboxSpec, grader: str) -> dict:
    """The grader's own rights in the sandbox, first of all guardrails: the only one it creates
    with its cluster-wide grant (RoleBindings, admitted only inside sandboxes, to ClusterRoles it
    may `bind` by name); every later guardrail is written with the rights this binding gives."""
    ns = spec.namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {**_meta(GRADER_BINDING, ns), "finalizers": [GRADER_ACCESS_FINALIZER]},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": spec.install.grader_clusterrole,
        },
        "subjects": [subject_for(grader)],
    }


def guardrails(spec: SandboxSpec, grader: str) -> list[dict]:
    """The objects created with the namespace, in order, before any student object. Data:
    what they are made of lives here; the cluster adapter applies and verifies the list.
    `grader` is the grader's own user name (grading/live/cluster.py asks the API server)."""
    ns = spec.namespace
    return [
        grader_binding(spec, grader),
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": _meta("podium-limits", ns),
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        # ephemeral-storage defaults: the quota counts it, so a container
                        # that states none must still get a request and a limit.
                        "default": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "512Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "128Mi"},
                        "max": {"cpu": "2", "memory": "2Gi", "ephemeral-storage": "2Gi"},
                    }
                ]
            },
        },
        *network_guardrails(ns),
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
            # The applier's rules are the chart's ClusterRole (the grader may only bind it):
            # a Role the grader wrote itself would grant what it does not hold, which the API
            # server's RBAC escalation check refuses.
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(APPLIER, ns),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": spec.install.applier_clusterrole,
            },
            "subjects": [{"kind": "ServiceAccount", "name": APPLIER, "namespace": ns}],
        },
        # Last: until the quota controller has computed its status the API server refuses
        # every object it counts (the guardrails' NetworkPolicies too), and the grader waits
        # for that status before any student object (Cluster.create_sandbox).
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": _meta("podium-quota", ns),
            "spec": {"hard": spec.quota.hard()},
        },
    ]


# What is compared when a guardrail is read back after the student's objects were applied: the
# fields that make it a guardrail (a quota's `spec` whole, so added `scopes` count too).
GUARDED_FIELDS: dict[str, tuple[str, ...]] = {
    "ResourceQuota": ("spec",),
    "LimitRange": ("spec",),
    "NetworkPolicy": ("spec",),
    "ServiceAccount": ("automountServiceAccountToken", "secrets", "imagePullSecrets"),
    "RoleBinding": ("roleRef", "subjects"),
}


def guardrail_drift(expected: dict, observed: dict | None) -> str | None:
    """How a guardrail read back from the cluster differs from what it must be, or None.

    `observed` None: the guardrail is gone. Every field in GUARDED_FIELDS[kind] must be equal
    (absent on one side counts as a difference, so an added `ingress` rule is one)."""
    if observed is None:
        return "is missing"
    changed = [
        name
        for name in GUARDED_FIELDS.get(expected["kind"], ())
        if _normal(expected.get(name)) != _normal(observed.get(name))
    ]
    return f"changed: {', '.join(changed)}" if changed else None


def _normal(value):
    """Empty containers and None are one thing (the API server drops empty lists)."""
    if isinstance(value, dict):
        cleaned = {k: _normal(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, {}, [])} or None
    if isinstance(value, list):
        return [_normal(v) for v in value] or None
    return value


# --- egress: ranges no NetworkPolicy in a sandbox may open -----------------------------------


def parse_cidrs(values) -> tuple[str, ...]:
    """Validated, normalised CIDRs (ValueError naming the bad one)."""
    found = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            found.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ValueError(f"{text!r} is not a CIDR (like 10.96.0.0/12 or fe80::/10)") from None
    return tuple(found)


def denied_egress(policy: dict, denied: tuple[str, ...]) -> list[str]:
    """The ipBlock peers of a NetworkPolicy that open a denied range, as readable lines.

    NetworkPolicies only allow, so the guardrails cannot deny a range a student policy opens:
    the cluster-wide AdminNetworkPolicy (chart) does, and this reads every policy in the
    sandbox back after the apply so a submission that tries is failed, not graded. The range
    arithmetic is the static policy's own (`policy_network`), so both stages agree."""
    ranges = [n for n in map(parse_cidr, denied) if n is not None]
    found = []
    spec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
    for direction, side in (("egress", "to"), ("ingress", "from")):
        for i, rule in enumerate(spec.get(direction) or []):
            peers = rule.get(side) if isinstance(rule, dict) else None
            for j, peer in enumerate(peers or []):
                block = peer.get("ipBlock") if isinstance(peer, dict) else None
                if not isinstance(block, dict):
                    continue
                opened = parse_cidr(block.get("cidr"))
                carved = [parse_cidr(e) for e in block.get("except") or []]
                if opened is None or None in carved:
                    continue  # the API server refuses a malformed CIDR itself
                found += [f"spec.{direction}[{i}].{side}[{j}].ipBlock {opened} opens {deny}"
                          for deny in ranges if still_open(opened, carved, deny)]
    return found


# --- identity: student pods never run as the grader ------------------------------------------

def pod_spec(obj: dict) -> tuple[str, dict] | None:
    """(dotted path, pod spec) of a workload, or None (the static policy's paths)."""
    kind = str(obj.get("kind"))
    if kind not in WORKLOAD_KINDS:
        return None
    path = pod_spec_path(kind)
    node = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return (".".join(path), node) if isinstance(node, dict) else None


def identity_problems(obj: dict) -> list[str]:
    """Why a student object would run with a token (the grader's or any): every pod runs as
    `default`, whose token is not mounted; none names another account (the applier's), asks
    for automount or a projected service-account token; no Secret mints one."""
    if obj.get("kind") == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return ["type: kubernetes.io/service-account-token mints a service-account token"]
    found = pod_spec(obj)
    if not found:
        return []
    path, spec = found
    problems = []
    for key in ("serviceAccountName", "serviceAccount"):
        if spec.get(key) not in (None, "", "default"):
            problems.append(f"{path}.{key}: {spec.get(key)!r}: pods run as the 'default' account")
    if spec.get("automountServiceAccountToken") is True:
        problems.append(f"{path}.automountServiceAccountToken: true mounts an API token")
    for i, volume in enumerate(spec.get("volumes") or []):
        sources = ((volume or {}).get("projected") or {}).get("sources") or []
        if any(isinstance(s, dict) and "serviceAccountToken" in s for s in sources):
            problems.append(
                f"{path}.volumes[{i}].projected: a serviceAccountToken source mounts an API token"
            )
    return problems


# --- ingress: every host under the submission's own sandbox domain ---------------------------

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


@dataclass(frozen=True)
class IngressRewrite:
    """Ingress hosts as the sandbox serves them: `<x>.<lab domain>` (what the lab asks for) ->
    `<x>.<submission id>.<sandbox domain>`, a domain that never holds Podium's own host, on the
    sandboxes' own ingress class. A host outside the lab domain keeps its whole name as the
    prefix, so no host a sandbox serves is outside its own subdomain. Pure; `restore` maps
    what the cluster observed back to the student's names for verdicts and feedback."""

    submission_id: int
    lab_domain: str
    sandbox_domain: str
    ingress_class: str

    @property
    def suffix(self) -> str:
        return f"{self.submission_id}.{self.sandbox_domain}"

    def host(self, host: str) -> str:
        name = str(host).strip().lower().rstrip(".")
        lab = self.lab_domain.lower().strip(".")
        prefix = name[: -len(lab) - 1] if name.endswith("." + lab) else name
        return f"{prefix}.{self.suffix}"

    def hosts(self, obj: dict) -> dict[str, str]:
        """student host -> sandbox host, for every host the Ingress names."""
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        rules = spec.get("rules") if isinstance(spec.get("rules"), list) else []
        tls = spec.get("tls") if isinstance(spec.get("tls"), list) else []
        names = [r.get("host") for r in rules if isinstance(r, dict)]
        for entry in tls:
            if isinstance(entry, dict) and isinstance(entry.get("hosts"), list):
                names += entry["hosts"]
        return {h: self.host(h) for h in names if isinstance(h, str) and h}

    def apply(self, obj: dict) -> dict:
        """A copy of `obj` as the sandbox applies it (non-Ingress objects unchanged)."""
        if obj.get("kind") != "Ingress":
            return obj
        out = copy.deepcopy(obj)
        if not isinstance(out.get("spec"), dict):
            out["spec"] = {}
        _map_hosts(out["spec"], self.hosts(obj))
        out["spec"]["ingressClassName"] = self.ingress_class
        annotations = (out.get("metadata") or {}).get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(INGRESS_CLASS_ANNOTATION, None)
        return out

    def restore(self, observed: dict, original: dict) -> dict:
        """The observed Ingress in the student's own words: hosts and class as submitted."""
        out = copy.deepcopy(observed)
        if not isinstance(out.get("spec"), dict):
            out["spec"] = {}
        spec = out["spec"]
        _map_hosts(spec, {v: k for k, v in self.hosts(original).items()})
        written = (original.get("spec") or {}).get("ingressClassName")
        if written is None:
            spec.pop("ingressClassName", None)
        else:
            spec["ingressClassName"] = written
        annotations = (original.get("metadata") or {}).get("annotations") or {}
        if INGRESS_CLASS_ANNOTATION in annotations:
            out.setdefault("metadata", {}).setdefault("annotations", {})[INGRESS_CLASS_ANNOTATION] = (
                annotations[INGRESS_CLASS_ANNOTATION]
            )
        return out

    def words(self, text: str, originals: list[dict]) -> str:
        """`text` (a message from the cluster) with sandbox hosts put back as the student wrote them."""
        for obj in originals:
            for student, sandboxed in self.hosts(obj).items():
                text = text.replace(sandboxed, student)
        return text


def _map_hosts(spec: dict, mapping: dict[str, str]) -> None:
    """Replace, in place, the hosts of an Ingress spec's rules and TLS entries found in `mapping`."""
    for rule in spec.get("rules") if isinstance(spec.get("rules"), list) else []:
        if isinstance(rule, dict) and isinstance(rule.get("host"), str):
            rule["host"] = mapping.get(rule["host"], rule["host"])
    for tls in spec.get("tls") if isinstance(spec.get("tls"), list) else []:
        if isinstance(tls, dict) and isinstance(tls.get("hosts"), list):
            tls["hosts"] = [mapping.get(h, h) if isinstance(h, str) else h for h in tls["hosts"]]


def domain_overlap(a: str, b: str) -> bool:
    """Whether one DNS name equals or sits under the other (case and trailing dots ignored;
    a leading dot, ALLOWED_HOSTS' "this domain and its subdomains", is the domain itself)."""
    x, y = (str(n).strip().lower().strip(".") for n in (a, b))
    return bool(x and y) and (x == y or x.endswith("." + y) or y.endswith("." + x))
