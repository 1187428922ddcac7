"""A Kubernetes API emulator for tests: the subset grading/live/cluster.py uses, over real HTTP.

No cluster can run on our machines (see docs/cluster-testing.md), so contract tests drive the
real `kubernetes` client against this server on 127.0.0.1. It keeps objects in memory and
implements: /version and discovery; namespaces (create, 409, delete → Terminating → cascade,
stuck while an object inside has finalizers); create / get / list (labelSelector) /
merge-patch / server-side apply (create-or-merge, `dryRun=All`, fieldManager required) /
delete / deletecollection; the status subresource; pod logs; Status bodies for 400/401/403/404/
409/422; SelfSubjectReview; admission hooks (PSA, quota) and fault injection (HTTP errors,
delays, dropped connections). There is no scheduler or controller: tests play them through
`on_write` hooks or by writing status directly.

Identity and RBAC, as the API server enforces them (issue 19: what hid a grader the real API
server refused):
- authentication: a bearer token in `tokens` is that user (the grader's chart ServiceAccount by
  default, GRADER_TOKEN); an unknown token is 401; no token at all is a cluster admin
  (system:masters: the tests' own setup writes, `kubectl proxy`);
- authorization (RBAC): every request of a user who is not an admin needs a rule granting its
  verb on the resource (subresource: `pods/log`), in the request's namespace (RoleBindings
  there, to a Role or a ClusterRole) or cluster-wide (ClusterRoleBindings), matched by
  apiGroups, resources, verbs and resourceNames, subjects by ServiceAccount, User or Group
  (system:serviceaccounts[:<ns>], system:authenticated). A server-side apply that creates needs
  `create` too. The chart's ClusterRoles and ClusterRoleBindings are loaded from `helm template`
  (`chart_rbac`), so the grader is authorized exactly as the chart's RBAC says;
- RBAC escalation prevention: a Role/ClusterRole is written only by a user who holds every rule
  it grants (or `escalate`), a RoleBinding/ClusterRoleBinding only by one who holds every rule
  of the role it references (or `bind` on that role, by resourceNames); else 403 with the API
  server's "attempting to grant RBAC permissions not currently held" message;
- impersonation (Impersonate-User): the caller needs `impersonate` on serviceaccounts/<name>
  in that account's namespace (users: on `users`), then the request is authorized as the
  impersonated account (groups system:serviceaccounts, system:serviceaccounts:<ns>);
- a binding being deleted (deletionTimestamp, held by a finalizer) still grants.
Not modelled: ValidatingAdmissionPolicies (evaluated with cel-python in deploy/tests), aggregated
ClusterRoles, nonResourceURLs, Impersonate-Group/-Extra, watch, PUT (update) requests.

Other rules of the real API server the grader's safety relies on, modelled here:
- server-side apply field ownership: each field manager owns the fields it applied
  (metadata.managedFields); an apply without force that changes a field another manager owns
  is a 409 Conflict naming the manager and the field; with force the field changes hands;
- ResourceQuota object counts (`count/<resource>.<group>`, `configmaps`, `secrets`,
  `services`, `persistentvolumeclaims`, `pods`) refuse a create beyond the limit (403), and
  until the quota controller has computed a new quota's status, anything it counts is refused
  ("status unknown for quota"; `quota_sync_reads` delays the controller);
- the ServiceAccount admission plugin: a pod naming a missing service account is refused
  (403), and a pod whose token is automounted (the pod's automountServiceAccountToken, else
  its account's) gets the `kube-api-access-*` projected token volume;
- finalizers: an object with finalizers is only marked deleted (deletionTimestamp), and its
  namespace stays Terminating until the finalizers are cleared.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The grader as the chart makes it (deploy/tests/conftest.py renders release podium into
# namespace podium): its ServiceAccount's user name and the token tests give the client.
GRADER_USER = "system:serviceaccount:podium:podium-grader"
GRADER_TOKEN = "test-token"
ADMIN = "system:admin"
RBAC = "rbac.authorization.k8s.io/v1"

RESOURCES: dict[str, list[tuple[str, str, bool]]] = {  # groupVersion -> (plural, kind, namespaced)
    "v1": [
        ("namespaces", "Namespace", False),
        ("pods", "Pod", True),
        ("services", "Service", True),
        ("configmaps", "ConfigMap", True),
        ("secrets", "Secret", True),
        ("persistentvolumeclaims", "PersistentVolumeClaim", True),
        ("serviceaccounts", "ServiceAccount", True),
        ("events", "Event", True),
        ("resourcequotas", "ResourceQuota", True),
        ("limitranges", "LimitRange", True),
        ("endpoints", "Endpoints", True),
    ],
    "apps/v1": [
        ("deployments", "Deployment", True),
        ("statefulsets", "StatefulSet", True),
        ("daemonsets", "DaemonSet", True),
        ("replicasets", "ReplicaSet", True),
    ],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "networking.k8s.io/v1": [("ingresses", "Ingress", True), ("networkpolicies", "NetworkPolicy", True)],
    "autoscaling/v2": [("horizontalpodautoscalers", "HorizontalPodAutoscaler", True)],
    "autoscaling/v1": [("horizontalpodautoscalers", "HorizontalPodAutoscaler", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "discovery.k8s.io/v1": [("endpointslices", "EndpointSlice", True)],
    "rbac.authorization.k8s.io/v1": [
        ("roles", "Role", True),
        ("rolebindings", "RoleBinding", True),
        ("clusterroles", "ClusterRole", False),
        ("clusterrolebindings", "ClusterRoleBinding", False),
    ],
    "authentication.k8s.io/v1": [("selfsubjectreviews", "SelfSubjectReview", False)],
    # Stored, not enforced (the chart tests evaluate the policies with cel-python).
    "admissionregistration.k8s.io/v1": [
        ("validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
        ("validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False),
    ],
    "monitoring.coreos.com/v1": [
        ("servicemonitors", "ServiceMonitor", True),
        ("podmonitors", "PodMonitor", True),
    ],
}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def body(self) -> dict:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass
class Fault:
    matches: Callable[[str, str], bool]  # (method, path) -> bool
    action: str  # "status", "delay", "drop"
    remaining: int
    status: int = 500
    seconds: float = 0.0


Admission = Callable[[str, dict, str | None], ApiError | None]  # (verb, object, namespace)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(base: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7386): dicts merge, None deletes, everything else replaces."""
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _leaves(value: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Field paths an apply sets: non-empty maps are walked, lists and scalars are atomic."""
    found = []
    for k, v in value.items():
        if isinstance(v, dict) and v:
            found += _leaves(v, (*prefix, k))
        else:
            found.append((*prefix, k))
    return found


def _at(obj, path: tuple[str, ...]):
    for k in path:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


def _fields_v1(paths: set[tuple[str, ...]]) -> dict:
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for k in path:
            node = node.setdefault(f"f:{k}", {})
    return tree


def selector_matches(selector: str, labels: dict) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


@functools.cache
def chart_rbac(*sets: str) -> tuple[dict, ...]:
    """The ClusterRoles and ClusterRoleBindings of the chart, rendered once per set of values."""
    import yaml

    from deploy.tests.conftest import render

    rendered = render(sets=sets).stdout
    return tuple(
        doc
        for doc in yaml.safe_load_all(rendered)
        if doc and doc.get("kind") in ("ClusterRole", "ClusterRoleBinding")
    )


def _groups(user: str) -> list[str]:
    match = re.fullmatch(r"system:serviceaccount:([^:]+):([^:]+)", user)
    found = ["system:serviceaccounts", f"system:serviceaccounts:{match[1]}"] if match else []
    return [*found, "system:authenticated"]


def _rule_allows(rule: dict, verb: str, group: str, resource: str, name: str | None) -> bool:
    """One PolicyRule against one request (a "*" asked for is matched only by a "*" held)."""
    resources = set(rule.get("resources") or [])
    names = rule.get("resourceNames") or []
    return (
        bool({verb, "*"} & set(rule.get("verbs") or []))
        and bool({group, "*"} & set(rule.get("apiGroups") or []))
        and bool(
            {resource, "*"} & resources or ("/" in resource and f"{resource.split('/')[0]}/*" in resources)
        )
        and (not names or name in names)
    )


def _format_rule(rule: dict) -> str:
    """A PolicyRule as the API server prints it in an escalation refusal."""

    def q(values):
        return " ".join(f'"{v}"' for v in values)

    text = f"{{APIGroups:[{q(rule.get('apiGroups') or [])}], Resources:[{q(rule.get('resources') or [])}]"
    if rule.get("resourceNames"):
        text += f", ResourceNames:[{q(rule['resourceNames'])}]"
    return text + f", Verbs:[{q(rule.get('verbs') or [])}]}}"


class KubernetesEmulator:
    def __init__(self, *, chart_sets: tuple[str, ...] | None = ()) -> None:
        """`chart_sets`: `--set` values the chart's RBAC is rendered with (None: no chart RBAC)."""
        self.lock = threading.RLock()
        self.store: dict[tuple[str, str, str, str], dict] = {}  # (groupVersion, plural, ns, name)
        self.faults: list[Fault] = []
        self.admission: list[Admission] = []
        self.on_write: list[Callable[[KubernetesEmulator, dict], None]] = []
        self.logs: dict[tuple[str, str, str], str] = {}  # (namespace, pod, container) -> text
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, impersonated user)
        self.tokens: dict[str, str] = {GRADER_TOKEN: GRADER_USER}  # bearer token -> user name
        # What RBAC let through for users who are not admins: (user, verb, API group, resource,
        # namespace, name); the chart tests compare the grader's grants with what it used.
        self.authorized: list[tuple[str, str, str, str, str, str | None]] = []
        self.as_admin: list[tuple[str, str]] = []  # (method, path) of requests without credentials
        self.stuck_namespaces: set[str] = set()  # deleted namespaces that never finish
        # ResourceQuotas whose status the quota controller has not computed yet -> reads to go
        self.quota_pending: dict[tuple[str, str, str, str], int] = {}
        self.quota_sync_reads = 0  # reads of a new quota before its status appears (0: at once)
        # server-side apply: object key -> field manager -> the field paths it owns
        self.owners: dict[tuple[str, str, str, str], dict[str, set[tuple[str, ...]]]] = {}
        self._kinds = {
            (gv, kind): (plural, ns) for gv, items in RESOURCES.items() for plural, kind, ns in items
        }
        self._plurals = {
            (gv, plural): (kind, ns) for gv, items in RESOURCES.items() for plural, kind, ns in items
        }
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.url = ""
        for name in ("default", "kube-system", "podium"):
            self.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        for obj in chart_rbac(*chart_sets) if chart_sets is not None else ():
            self.put(copy.deepcopy(obj))

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> KubernetesEmulator:
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="k8s-emulator", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # --- test helpers ------------------------------------------------------------------------

    def fail(self, *, status: int = 500, times: int = 1, method: str | None = None, path: str = "") -> None:
        self.faults.append(
            Fault(lambda m, p: (method is None or m == method) and path in p, "status", times, status=status)
        )

    def delay(self, seconds: float, *, times: int = 1, method: str | None = None, path: str = "") -> None:
        self.faults.append(
            Fault(lambda m, p: (method is None or m == method) and path in p, "delay", times, seconds=seconds)
        )

    def drop(self, *, times: int = 1, method: str | None = None, path: str = "") -> None:
        """Close the connection without answering: the API went away mid-request."""
        self.faults.append(Fault(lambda m, p: (method is None or m == method) and path in p, "drop", times))

    def put(self, obj: dict) -> dict:
        """Store an object as is (a controller's or the test's write), defaults filled in."""
        with self.lock:
            gv, kind = obj["apiVersion"], obj["kind"]
            plural, namespaced = self._kinds[(gv, kind)]
            meta = obj.setdefault("metadata", {})
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", _now())
            meta["resourceVersion"] = str(time.monotonic_ns())
            if kind == "Namespace":
                obj.setdefault("status", {"phase": "Active"})
                meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
            key = (gv, plural, meta.get("namespace", "") if namespaced else "", meta["name"])
            self.store[key] = obj
            return obj

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> dict | None:
        plural, namespaced = self._kinds[(api_version, kind)]
        with self.lock:
            return self.store.get((api_version, plural, namespace if namespaced else "", name))

    def objects(self, namespace: str | None = None, kind: str | None = None) -> list[dict]:
        with self.lock:
            return [
                o
                for (_, _, ns, _), o in self.store.items()
                if (namespace is None or ns == namespace) and (kind is None or o.get("kind") == kind)
            ]

    def namespaces(self) -> list[str]:
        return [o["metadata"]["name"] for o in self.objects(kind="Namespace")]

    # --- request handling ----------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: bytes, headers) -> tuple[int, object]:
        impersonated = headers.get("Impersonate-User")
        authorization = headers.get("Authorization") or ""
        caller = None  # no credentials: a cluster admin (system:masters)
        if authorization:
            caller = self.tokens.get(authorization.removeprefix("Bearer ").strip())
            if caller is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
        with self.lock:
            self.requests.append((method, path, impersonated))
            if caller is None:
                self.as_admin.append((method, path))
            fault = next((f for f in self.faults if f.remaining > 0 and f.matches(method, path)), None)
            if fault:
                fault.remaining -= 1
        if fault and fault.action == "status":
            raise ApiError(fault.status, "InternalError", "injected fault")
        if fault and fault.action == "delay":
            time.sleep(fault.seconds)
        if fault and fault.action == "drop":
            raise ConnectionAbortedError
        user = caller
        if impersonated:
            with self.lock:
                self._may_impersonate(caller, impersonated)
            user = impersonated
        if path == "/version":
            return 200, {
                "major": "1",
                "minor": "32",
                "gitVersion": "v1.32.0-emulator",
                "platform": "linux/amd64",
            }
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            groups = [
                {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}]}
                for gv in RESOURCES
                if "/" in gv
            ]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        group = re.fullmatch(r"/apis/([^/]+)/?", path)
        if group:
            served = [gv for gv in RESOURCES if gv.startswith(group.group(1) + "/")]
            if not served:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            versions = [{"groupVersion": gv, "version": gv.split("/")[1]} for gv in served]
            return 200, {
                "kind": "APIGroup",
                "apiVersion": "v1",
                "name": group.group(1),
                "versions": versions,
                "preferredVersion": versions[0],
            }
        gv, rest = self._split(path)
        if not rest:
            return 200, {
                "kind": "APIResourceList",
                "groupVersion": gv,
                "resources": [
                    {
                        "name": p,
                        "kind": k,
                        "namespaced": n,
                        "verbs": ["create", "delete", "get", "list", "patch"],
                    }
                    for p, k, n in RESOURCES[gv]
                ],
            }
        if gv == "authentication.k8s.io/v1" and rest == ["selfsubjectreviews"] and method == "POST":
            # Every authenticated user may ask who it is (system:basic-user).
            who = user or ADMIN
            groups = _groups(who) if user else ["system:masters", "system:authenticated"]
            return 201, {
                "apiVersion": gv,
                "kind": "SelfSubjectReview",
                "status": {"userInfo": {"username": who, "groups": groups}},
            }
        namespace, plural, name, sub = self._route(gv, rest)
        if (gv, plural) not in self._plurals:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({plural})")
        kind, namespaced = self._plurals[(gv, plural)]
        if plural == "serviceaccounts" and sub == "token" and method == "POST":
            return self._token_request(user, namespace, name)
        with self.lock:
            if user:
                exists = (gv, plural, namespace if namespaced else "", name) in self.store
                group = gv.split("/")[0] if "/" in gv else ""
                resource = f"{plural}/{sub}" if sub else plural
                for verb in self._verb(method, name, exists):
                    self._authorize(user, verb, group, resource, namespace if namespaced else "", name)
                if method in ("POST", "PATCH") and kind in (
                    "Role",
                    "ClusterRole",
                    "RoleBinding",
                    "ClusterRoleBinding",
                ):
                    self._no_escalation(user, kind, namespace if namespaced else "", name, body, headers)
            if name is None:
                return self._collection(method, gv, plural, kind, namespace, query, body)
            return self._object(
                method, gv, plural, kind, namespaced, namespace, name, sub, query, body, headers
            )

    def _split(self, path: str) -> tuple[str, list[str]]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            gv, rest = "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if gv not in RESOURCES:
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({gv})")
        return gv, rest

    @staticmethod
    def _route(gv: str, rest: list[str]) -> tuple[str, str, str | None, str | None]:
        if rest[0] == "namespaces" and (
            len(rest) <= 2 or (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            return "", "namespaces", rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        if rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        else:
            namespace = ""
        return namespace, rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None

    @staticmethod
    def _verb(method: str, name: str | None, exists: bool) -> list[str]:
        """The RBAC verbs a request needs (an apply that creates needs create too)."""
        if method == "GET":
            return ["get"] if name else ["list"]
        if method == "POST":
            return ["create"]
        if method == "DELETE":
            return ["delete"] if name else ["deletecollection"]
        return ["patch"] if exists else ["patch", "create"]

    def _token_request(self, user: str | None, namespace: str, name: str) -> tuple[int, dict]:
        """TokenRequest: a bearer token for an existing ServiceAccount (create serviceaccounts/token)."""
        with self.lock:
            if user:
                self._authorize(user, "create", "", "serviceaccounts/token", namespace, name)
            if ("v1", "serviceaccounts", namespace, name) not in self.store:
                raise ApiError(404, "NotFound", f'serviceaccounts "{name}" not found')
            token = uuid.uuid4().hex
            self.tokens[token] = f"system:serviceaccount:{namespace}:{name}"
        return 201, {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "status": {"token": token, "expirationTimestamp": _now()},
        }

    # --- RBAC ---------------------------------------------------------------------------------

    def _rules(self, user: str, namespace: str) -> list[dict]:
        """Every PolicyRule that applies to `user` in `namespace` ("" : cluster-wide only)."""
        groups = _groups(user)

        def bound(binding: dict) -> bool:
            for subject in binding.get("subjects") or []:
                kind, name = subject.get("kind"), subject.get("name")
                if (
                    kind == "ServiceAccount"
                    and user == f"system:serviceaccount:{subject.get('namespace')}:{name}"
                ):
                    return True
                if (kind == "User" and name == user) or (kind == "Group" and name in groups):
                    return True
            return False

        def role(ref: dict, ns: str) -> dict:
            if ref.get("kind") == "ClusterRole":
                return self.store.get((RBAC, "clusterroles", "", ref.get("name"))) or {}
            return self.store.get((RBAC, "roles", ns, ref.get("name"))) or {}

        rules = []
        for (gv, plural, ns, _), binding in self.store.items():
            if gv != RBAC or not bound(binding):
                continue
            if plural == "clusterrolebindings" or (
                plural == "rolebindings" and namespace and ns == namespace
            ):
                rules += role(binding.get("roleRef") or {}, ns).get("rules") or []
        return rules

    def _allowed(
        self,
        user: str,
        verb: str,
        group: str,
        resource: str,
        namespace: str,
        name: str | None,
        *,
        record: bool = True,
    ) -> bool:
        if any(_rule_allows(r, verb, group, resource, name) for r in self._rules(user, namespace)):
            if record:  # a request let through, not a rule looked at for an escalation check
                self.authorized.append((user, verb, group, resource, namespace, name))
            return True
        return False

    def _authorize(
        self, user: str, verb: str, group: str, resource: str, namespace: str, name: str | None
    ) -> None:
        if self._allowed(user, verb, group, resource, namespace, name):
            return
        what = f"{resource.split('/')[0]}.{group}" if group else resource.split("/")[0]
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        raise ApiError(
            403,
            "Forbidden",
            f'{what}{f" {json.dumps(name)}" if name else ""} is forbidden: User "{user}" cannot {verb} '
            f'resource "{resource}" in API group "{group}"{where}',
        )

    def _may_impersonate(self, caller: str | None, target: str) -> None:
        if caller is None:
            return
        match = re.fullmatch(r"system:serviceaccount:([^:]+):([^:]+)", target)
        if match:
            self._authorize(caller, "impersonate", "", "serviceaccounts", match[1], match[2])
        else:
            self._authorize(caller, "impersonate", "", "users", "", target)

    def _no_escalation(
        self, user: str, kind: str, namespace: str, name: str | None, body: bytes, headers
    ) -> None:
        """RBAC escalation prevention (pkg/registry/rbac): grant only what you hold, unless you
        may `escalate` (roles) or `bind` the referenced role (bindings)."""
        obj = json.loads(body or b"{}")
        meta = obj.get("metadata") or {}
        if set(obj) <= {"metadata"} and set(meta) <= {"finalizers", "ownerReferences"}:
            return  # only the fields garbage collection needs (IsOnlyMutatingGCFields): no check
        if kind in ("Role", "ClusterRole"):
            plural = "roles" if kind == "Role" else "clusterroles"
            if self._allowed(user, "escalate", "rbac.authorization.k8s.io", plural, namespace, name):
                return
            granted = obj.get("rules") or []
        else:
            ref = obj.get("roleRef") or {}
            if not ref and name:  # a merge patch that leaves roleRef alone
                plural = "rolebindings" if kind == "RoleBinding" else "clusterrolebindings"
                ref = (self.store.get((RBAC, plural, namespace, name)) or {}).get("roleRef") or {}
            ref_plural = "clusterroles" if ref.get("kind") == "ClusterRole" else "roles"
            if self._allowed(
                user, "bind", "rbac.authorization.k8s.io", ref_plural, namespace, ref.get("name")
            ):
                return
            role = self.store.get(
                (RBAC, ref_plural, namespace if ref_plural == "roles" else "", ref.get("name"))
            )
            if role is None:
                raise ApiError(
                    404, "NotFound", f'{ref_plural}.rbac.authorization.k8s.io "{ref.get("name")}" not found'
                )
            granted = role.get("rules") or []
        missing = []
        for rule in granted:
            names = rule.get("resourceNames") or [None]
            held = all(
                self._allowed(user, verb, group, resource, namespace, rn, record=False)
                for verb in rule.get("verbs") or []
                for group in rule.get("apiGroups") or []
                for resource in rule.get("resources") or []
                for rn in names
            )
            if not held:
                missing.append(_format_rule(rule))
        if missing:
            plural = {
                "Role": "roles",
                "ClusterRole": "clusterroles",
                "RoleBinding": "rolebindings",
                "ClusterRoleBinding": "clusterrolebindings",
            }[kind]
            groups = " ".join(f'"{g}"' for g in _groups(user))
            raise ApiError(
                403,
                "Forbidden",
                f'{plural}.rbac.authorization.k8s.io "{name or obj.get("metadata", {}).get("name")}" is '
                f'forbidden: user "{user}" (groups=[{groups}]) is attempting to grant RBAC permissions '
                "not currently held:\n" + "\n".join(missing),
            )

    def _namespace_ok(self, namespace: str) -> None:
        ns = self.store.get(("v1", "namespaces", "", namespace))
        if ns is None:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    def _admit(self, verb: str, obj: dict, namespace: str) -> None:
        name = (obj.get("metadata") or {}).get("name")
        if not name or not _NAME.match(str(name)):
            raise ApiError(
                422,
                "Invalid",
                f'{obj.get("kind")} "{name}" is invalid: metadata.name: Invalid value: '
                f'"{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                "alphanumeric characters, '-' or '.'",
            )
        if obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            wanted = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            labels = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get(
                "labels"
            ) or {}
            if any(labels.get(k) != v for k, v in wanted.items()):
                raise ApiError(
                    422,
                    "Invalid",
                    f'{obj["kind"]}.apps "{name}" is invalid: spec.template.metadata.labels: '
                    f"Invalid value: {labels}: `selector` does not match template `labels`",
                )
        if verb == "create" and namespace:
            self._quota_counts(obj, namespace)
            if obj.get("kind") == "Pod":
                error = self.service_account_admission(obj, namespace)
                if error:
                    raise error
        for hook in self.admission:
            error = hook(verb, obj, namespace or None)
            if error:
                raise error

    def service_account_admission(self, pod: dict, namespace: str) -> ApiError | None:
        """The ServiceAccount admission plugin: refuse a pod whose account does not exist; mount
        the account's token (a projected `kube-api-access-*` volume) unless the pod, else its
        account, turns automount off. Controllers creating pods call it too."""
        spec = pod.setdefault("spec", {})
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        sa = self.store.get(("v1", "serviceaccounts", namespace, account))
        if sa is None:
            return ApiError(
                403,
                "Forbidden",
                f'pods "{(pod.get("metadata") or {}).get("name")}" is forbidden: error looking up service '
                f'account {namespace}/{account}: serviceaccount "{account}" not found',
            )
        spec["serviceAccountName"] = account
        automount = spec.get("automountServiceAccountToken")
        if automount is None:
            automount = sa.get("automountServiceAccountToken", True)
        if automount and not any(
            str(v.get("name", "")).startswith("kube-api-access-") for v in spec.get("volumes") or []
        ):
            spec.setdefault("volumes", []).append(
                {
                    "name": f"kube-api-access-{uuid.uuid4().hex[:5]}",
                    "projected": {
                        "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]
                    },
                }
            )
        return None

    def _quota_counts(self, obj: dict, namespace: str) -> None:
        gv = obj.get("apiVersion", "")
        plural = self._kinds.get((gv, obj.get("kind")), (None,))[0]
        if plural is None:
            return
        group = gv.split("/")[0] if "/" in gv else ""
        names = [f"count/{plural}.{group}" if group else f"count/{plural}"]
        if not group and plural in ("pods", "services", "configmaps", "secrets", "persistentvolumeclaims"):
            names.append(plural)
        used = sum(
            1
            for (g, p, ns, _), o in self.store.items()
            if ns == namespace
            and p == plural
            and g.split("/")[0] == gv.split("/")[0]
            and not o["metadata"].get("deletionTimestamp")
        )
        for quota in self.objects(namespace, kind="ResourceQuota"):
            hard = (quota.get("spec") or {}).get("hard") or {}
            known = (quota.get("status") or {}).get("hard") or {}
            unknown = [n for n in names if n in hard and n not in known]
            if unknown:
                raise ApiError(
                    403,
                    "Forbidden",
                    f'{plural} "{obj["metadata"].get("name")}" is forbidden: status unknown for quota: '
                    f"{quota['metadata']['name']}, resources: {', '.join(unknown)}",
                )
            for name in names:
                if name in hard and used + 1 > int(hard[name]):
                    raise ApiError(
                        403,
                        "Forbidden",
                        f'{plural} "{obj["metadata"].get("name")}" is forbidden: exceeded quota: '
                        f"{quota['metadata']['name']}, requested: {name}=1, used: {name}={used}, "
                        f"limited: {name}={hard[name]}",
                    )

    def _collection(self, method, gv, plural, kind, namespace, query, body) -> tuple[int, object]:
        if method == "GET":
            selector = query.get("labelSelector", [""])[0]
            items = [
                copy.deepcopy(o)
                for (g, p, ns, _), o in sorted(self.store.items())
                if g == gv
                and p == plural
                and (not namespace or ns == namespace)
                and selector_matches(selector, (o.get("metadata") or {}).get("labels") or {})
            ]
            for item in items:  # like the real API: no kind/apiVersion per item
                item.pop("kind", None)
                item.pop("apiVersion", None)
            return 200, {
                "kind": f"{kind}List",
                "apiVersion": gv,
                "metadata": {"resourceVersion": "1"},
                "items": items,
            }
        if method == "POST":
            obj = json.loads(body)
            obj.setdefault("apiVersion", gv)
            obj.setdefault("kind", kind)
            name = obj.get("metadata", {}).get("name")
            if namespace:
                self._namespace_ok(namespace)
                obj["metadata"]["namespace"] = namespace
            if (gv, plural, namespace, name) in self.store:
                raise ApiError(409, "AlreadyExists", f'{plural} "{name}" already exists')
            self._admit("create", obj, namespace)
            if query.get("dryRun"):
                return 201, obj
            self._written(self.put(obj))
            return 201, obj
        if method == "DELETE":
            for key in [k for k in self.store if k[0] == gv and k[1] == plural and k[2] == namespace]:
                self._delete(key)
            return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success"}
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a collection")

    def _object(
        self, method, gv, plural, kind, namespaced, namespace, name, sub, query, body, headers
    ) -> tuple[int, object]:
        key = (gv, plural, namespace if namespaced else "", name)
        current = self.store.get(key)
        if method == "GET" and sub == "log":
            if current is None:
                raise ApiError(404, "NotFound", f'pods "{name}" not found')
            container = query.get("container", [""])[0]
            text = self.logs.get((namespace, name, container), "")
            lines = int(query.get("tailLines", ["0"])[0] or 0)
            return 200, "\n".join(text.splitlines()[-lines:]) if lines else text
        if method == "GET":
            if current is None:
                raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
            self._sync_quota(key)  # time passes: the quota controller gets there
            return 200, current
        if method == "DELETE":
            if current is None:
                raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
            self._delete(key)
            return 200, current
        if method == "PATCH":
            patch = json.loads(body)
            content_type = headers.get("Content-Type", "")
            dry_run = bool(query.get("dryRun"))
            if content_type.startswith("application/apply-patch"):
                if not query.get("fieldManager"):
                    raise ApiError(400, "BadRequest", "PATCH /apply requires fieldManager to be set")
                if namespace:
                    self._namespace_ok(namespace)
                patch.setdefault("metadata", {})
                if namespaced:
                    patch["metadata"]["namespace"] = namespace
                if patch["metadata"].get("name") != name:
                    raise ApiError(400, "BadRequest", "the name of the object does not match the URL")
                manager = query["fieldManager"][0]
                force = query.get("force", ["false"])[0] == "true"
                owners = self._take_fields(key, current, patch, manager, force)
                result = merge(current, patch) if current else patch
                self._admit("update" if current else "create", result, namespace)
                if not dry_run:
                    self.owners[key] = owners
                    result["metadata"]["managedFields"] = [
                        {
                            "manager": m,
                            "operation": "Apply",
                            "fieldsType": "FieldsV1",
                            "fieldsV1": _fields_v1(paths),
                        }
                        for m, paths in sorted(owners.items())
                        if paths
                    ]
            elif content_type == "application/merge-patch+json":
                if current is None:
                    raise ApiError(404, "NotFound", f'{plural} "{name}" not found')
                result = merge(current, {"status": patch.get("status")} if sub == "status" else patch)
            else:
                raise ApiError(415, "UnsupportedMediaType", f"the emulator does not take {content_type}")
            if dry_run:
                return 200, result
            stored = self.put(result)
            self._written(stored)
            self._finish_deleting(key)
            return (201 if current is None else 200), stored
        raise ApiError(405, "MethodNotAllowed", method)

    def _take_fields(self, key, current, patch, manager: str, force: bool) -> dict:
        """Server-side apply ownership: the owners after `manager` applies `patch`, or a 409
        Conflict when, without force, it would change a field another manager owns."""
        owners = {m: set(paths) for m, paths in self.owners.get(key, {}).items()} if current else {}
        applied = set(_leaves({k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}))
        applied -= {("metadata", "name"), ("metadata", "namespace")}
        conflicts = []
        for other, paths in owners.items():
            if other == manager:
                continue
            for path in sorted(applied):
                for owned in sorted(paths):
                    near = owned[: len(path)] == path or path[: len(owned)] == owned
                    if near and _at(current, owned) != _at(merge(current, patch), owned):
                        conflicts.append((other, owned))
        if conflicts and not force:
            fields = ", ".join(f'conflict with "{m}": .{".".join(p)}' for m, p in dict.fromkeys(conflicts))
            raise ApiError(409, "Conflict", f"Apply failed with {len(conflicts)} conflict(s): {fields}")
        for other, owned in conflicts:
            owners[other].discard(owned)
        owners[manager] = owners.get(manager, set()) | applied
        return owners

    def _written(self, obj: dict) -> None:
        if obj.get("kind") == "ResourceQuota":
            # The quota controller computes status.hard after the write; until it has, quota
            # admission refuses what the quota counts ("status unknown for quota").
            obj.pop("status", None)
            key = ("v1", "resourcequotas", obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            self.quota_pending[key] = self.quota_sync_reads
            self._sync_quota(key)
        for hook in list(self.on_write):
            hook(self, obj)

    def _sync_quota(self, key) -> None:
        left = self.quota_pending.get(key)
        if left is None:
            return
        if left > 0:
            self.quota_pending[key] = left - 1
            return
        del self.quota_pending[key]
        quota = self.store.get(key)
        if quota is not None:
            hard = dict((quota.get("spec") or {}).get("hard") or {})
            quota["status"] = {"hard": hard, "used": dict.fromkeys(hard, "0")}

    def _delete(self, key) -> None:
        obj = self.store.get(key)
        if obj is None:
            return
        meta = obj["metadata"]
        meta.setdefault("deletionTimestamp", _now())
        self.owners.pop(key, None)
        if obj.get("kind") == "Namespace":
            obj["status"] = {"phase": "Terminating"}
            for inner in [k for k in self.store if k[2] == meta["name"]]:
                self._delete(inner)
            self._finish_deleting(key)
            return
        self._finish_deleting(key)

    def _finish_deleting(self, key) -> None:
        obj = self.store.get(key)
        if obj is None or not obj["metadata"].get("deletionTimestamp"):
            return
        if obj.get("kind") == "Namespace":
            name = obj["metadata"]["name"]
            if name not in self.stuck_namespaces and not any(k[2] == name for k in self.store):
                del self.store[key]
            return
        if not obj["metadata"].get("finalizers"):
            del self.store[key]
            ns_key = ("v1", "namespaces", "", key[2])
            if key[2]:
                self._finish_deleting(ns_key)


class _Handler(BaseHTTPRequestHandler):
    emu: KubernetesEmulator
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body in one write (flushed after each request)
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # quiet
        pass

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            code, payload = self.emu.handle(self.command, url.path, parse_qs(url.query), body, self.headers)
        except ApiError as exc:
            code, payload = exc.code, exc.body()
        except ConnectionAbortedError:
            self.close_connection = True
            return
        except Exception as exc:  # a bug in the emulator: say so, like a real API would (500)
            code, payload = 500, ApiError(500, "InternalError", repr(exc)).body()
        raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve  # what grading/live/cluster.py sends


def main() -> None:
    """Serve the emulator in the foreground (benchmarks with several worker processes):
    python -m grading.tests.k8s_emulator --port 18080 [--controllers]"""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--controllers", action="store_true", help="play controllers (k8s_controllers.play)")
    args = parser.parse_args()
    emulator = KubernetesEmulator()
    if args.controllers:
        from grading.tests.k8s_controllers import play

        emulator.on_write.append(play)
    emulator.start(args.port)
    print(emulator.url, flush=True)
    emulator.thread.join()


if __name__ == "__main__":
    main()
