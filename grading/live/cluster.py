"""The one door to a Kubernetes cluster: the only module that imports the `kubernetes` client.

Narrow on purpose: create a sandbox (namespace + guardrails), apply objects into it (server-side
apply, dry run first), read its state, delete it, list expired sandboxes, clear finalizers.
Everything above this module sees plain dicts and the errors below:

- ClusterUnavailable (a ConnectionError): the API did not answer, timed out or answered 5xx/429.
  The task retries it; if it outlasts the retries the submission ends "not graded".
- ClusterError (a GraderError): the API refused the grader itself (403 to our identity, a
  namespace of the same name owned by someone else): a misconfiguration, "not graded".

The grader acts as its own identity (the chart's ServiceAccount): cluster-wide it may only
create, list and delete sandbox namespaces and create RoleBindings to two chart ClusterRoles it
may `bind` by name; everything inside a sandbox it does with the rights of the first of those
bindings (sandbox.grader_binding), and student objects are applied as the sandbox's applier.
- Per-object apply refusals (422 schema, 403 admission: PSA, quota, webhooks) are the
  student's, returned as ApplyProblem values, never raised.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from grading.checks.objects import ref
from grading.conf import ClusterSettings
from grading.live import sandbox
from grading.live.sandbox import Install, SandboxSpec
from grading.pipeline import GraderError

logger = logging.getLogger(__name__)


class ClusterUnavailable(ConnectionError):
    """The API is away, slow or failing (5xx, 429, timeout): trying again may help."""


class ClusterError(GraderError):
    """The cluster refused the grader itself: a misconfiguration, not the student's fault."""


@dataclass(frozen=True)
class ApplyProblem:
    ref: str  # "Deployment/iris"
    status: int
    reason: str
    message: str

    def text(self) -> str:
        return f"{self.ref}: the cluster refused it ({self.reason}): {self.message}"


@dataclass
class ObservedState:
    objects: list[dict] = field(default_factory=list)  # student objects and what controllers made
    events: list[dict] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)  # "pod/container" -> last lines (previous run)

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o.get("kind") == kind]


@dataclass(frozen=True)
class SandboxInfo:
    name: str
    submission: str
    lab: str
    expires_at: datetime.datetime | None
    terminating_since: datetime.datetime | None

    def expired(self, now: datetime.datetime) -> bool:
        """Past its expires-at. One without a readable expiry is never expired: the reaper
        deletes only what it can prove is an old sandbox of ours (grading/live/grader.py logs it)."""
        return self.expires_at is not None and self.expires_at <= now


# (apiVersion, kind) -> (plural, namespaced). Other kinds are resolved by discovery.
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Pod"): ("pods", True),
    ("v1", "Service"): ("services", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "Event"): ("events", True),
    ("v1", "ResourceQuota"): ("resourcequotas", True),
    ("v1", "LimitRange"): ("limitranges", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("apps/v1", "ReplicaSet"): ("replicasets", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("batch/v1", "CronJob"): ("cronjobs", True),
    ("networking.k8s.io/v1", "Ingress"): ("ingresses", True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("autoscaling/v1", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("discovery.k8s.io/v1", "EndpointSlice"): ("endpointslices", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
}
WORKLOADS = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("apps/v1", "ReplicaSet"),
    ("v1", "Pod"),
]
OBSERVED_ALWAYS = [("v1", "Pod"), ("apps/v1", "ReplicaSet"), ("discovery.k8s.io/v1", "EndpointSlice")]
# Applied first: what workloads refer to exists before they start.
_APPLY_ORDER = ["ConfigMap", "Secret", "PersistentVolumeClaim", "Service"]
_TRANSIENT_STATUS = {0, 429, 500, 502, 503, 504}


def _status_message(exc: ApiException) -> tuple[str, str]:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        body = {}
    return str(body.get("reason") or exc.reason or exc.status), str(body.get("message") or exc.body or "")


class Cluster:
    """A cluster reached through one `kubernetes.client.ApiClient`."""

    def __init__(self, api: k8s.ApiClient, *, request_timeout: float = 10.0, install: Install | None = None):
        self.api = api
        self.timeout = request_timeout
        self.install = install or Install()  # whose sandboxes these are (names, labels, roles)
        self._username: str | None = None
        self._discovered: dict[tuple[str, str], tuple[str, bool]] = {}
        self._groups: dict[str, str | None] = {}  # API group -> served groupVersion (None: not served)
        self.quota_wait = 15.0  # seconds a new sandbox's quota may take to get its status
        self.rbac_wait = 10.0  # seconds a new RoleBinding may take to reach every API server's authorizer

    @classmethod
    def from_settings(cls, settings: ClusterSettings) -> Cluster:
        configuration = k8s.Configuration()
        if settings.in_cluster:
            k8s_config.load_incluster_config(client_configuration=configuration)
        else:
            k8s_config.load_kube_config(
                config_file=settings.kubeconfig, context=settings.context, client_configuration=configuration
            )
        return cls.for_configuration(
            configuration, request_timeout=settings.request_timeout, install=settings.install
        )

    @classmethod
    def for_configuration(
        cls,
        configuration: k8s.Configuration,
        *,
        request_timeout: float = 10.0,
        install: Install | None = None,
    ) -> Cluster:
        configuration.retries = False  # we decide about retrying (the task does), not urllib3
        return cls(k8s.ApiClient(configuration), request_timeout=request_timeout, install=install)

    @classmethod
    def for_url(
        cls,
        url: str,
        *,
        request_timeout: float = 10.0,
        token: str | None = None,
        install: Install | None = None,
    ) -> Cluster:
        """A cluster at a plain URL (the test emulator, `kubectl proxy`), with a bearer token or
        no credentials."""
        configuration = k8s.Configuration(host=url)
        if token:
            configuration.api_key = {"authorization": token}
            configuration.api_key_prefix = {"authorization": "Bearer"}
        return cls.for_configuration(configuration, request_timeout=request_timeout, install=install)

    def close(self) -> None:
        self.api.close()

    # --- transport ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: dict | None = None,
        body: Any = None,
        content_type: str = "application/json",
        as_user: str | None = None,
        raw: bool = False,
    ) -> Any:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        if as_user:
            headers["Impersonate-User"] = as_user
        try:
            response = self.api.call_api(
                path,
                method,
                query_params=list((query or {}).items()),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=(self.timeout, self.timeout),
                _return_http_data_only=True,
            )
        except ApiException as exc:
            if exc.status in _TRANSIENT_STATUS:
                raise ClusterUnavailable(f"{method} {path}: HTTP {exc.status} {exc.reason}") from exc
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterUnavailable(f"{method} {path}: {exc!r}") from exc
        data = response.data.decode("utf-8", "replace")
        return data if raw else json.loads(data or "{}")

    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        key = (api_version, kind)
        if key in KINDS:
            return KINDS[key]
        if key not in self._discovered:
            prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                listing = self._call("GET", prefix)
            except ApiException as exc:
                if exc.status == 404:
                    raise LookupError(f"the cluster does not serve {api_version}") from None
                raise
            for res in listing.get("resources", []):
                if "/" not in res["name"]:
                    self._discovered[(api_version, res["kind"])] = (res["name"], bool(res["namespaced"]))
            if key not in self._discovered:
                raise LookupError(f"the cluster does not serve {kind} in {api_version}")
        return self._discovered[key]

    def _path(self, api_version: str, kind: str, namespace: str | None, name: str | None = None) -> str:
        plural, namespaced = self._resource(api_version, kind)
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced and namespace:
            path += f"/namespaces/{namespace}"
        path += f"/{plural}"
        return f"{path}/{name}" if name else path

    def _server_side_apply(
        self,
        obj: dict,
        namespace: str | None,
        *,
        manager: str = sandbox.STUDENT_MANAGER,
        dry_run: bool = False,
        as_user: str | None = None,
    ) -> dict:
        # Only the guardrails' own manager forces: a student object that sets a field a
        # guardrail owns is a 409 conflict, never a silent takeover.
        query = {"fieldManager": manager}
        if manager == sandbox.GUARDRAIL_MANAGER:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        path = self._path(obj["apiVersion"], obj["kind"], namespace, obj["metadata"]["name"])
        return self._call(
            "PATCH", path, query=query, body=obj, content_type="application/apply-patch+yaml", as_user=as_user
        )

    def _list(
        self, api_version: str, kind: str, namespace: str | None, *, selector: str | None = None
    ) -> list:
        query = {"labelSelector": selector} if selector else None
        found = self._call("GET", self._path(api_version, kind, namespace), query=query)
        items = found.get("items") or []
        for item in items:  # lists carry no kind per item
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    # --- the interface ------------------------------------------------------------------------

    def version(self) -> str:
        info = self._call("GET", "/version")
        return str(info.get("gitVersion", "unknown"))

    def username(self) -> str:
        """Who the API server says the grader is (a SelfSubjectReview, allowed to every
        authenticated user): the subject of the grader's RoleBinding in each sandbox. Asked, not
        configured, so a kubeconfig, a token or the pod's ServiceAccount all work alike."""
        if self._username is None:
            review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
            try:
                found = self._call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", body=review)
            except ApiException as exc:
                raise ClusterError(
                    f"asking the cluster who the grader is (SelfSubjectReview, Kubernetes >= 1.28): "
                    f"{_status_message(exc)[1]}"
                ) from exc
            name = ((found.get("status") or {}).get("userInfo") or {}).get("username")
            if not name:
                raise ClusterError("the cluster's SelfSubjectReview named no user for the grader")
            self._username = str(name)
        return self._username

    def guardrails(self, spec: SandboxSpec) -> list[dict]:
        return sandbox.guardrails(spec, self.username())

    def create_sandbox(self, spec: SandboxSpec) -> bool:
        """Create the namespace and its guardrails. Returns False when the namespace was there
        already and is this run's own (its POST was answered 409 after an earlier attempt of the
        same call got through: the owner annotation holds this run's token), True when it was
        made now. A namespace of that name without our token is never taken over, whatever its
        labels: somebody else made it (ClusterError). Guardrails are applied either way
        (server-side apply is idempotent)."""
        if spec.install != self.install:
            raise ClusterError(
                f"sandbox {spec.namespace} is not of this grader's install {self.install.install_id}"
            )
        manifest = sandbox.namespace_manifest(spec)
        created = True
        try:
            self._call("POST", "/api/v1/namespaces", body=manifest)
        except ApiException as exc:
            if exc.status != 409:
                raise ClusterError(f"creating namespace {spec.namespace}: {_status_message(exc)[1]}") from exc
            created = False
            existing = self._call("GET", f"/api/v1/namespaces/{spec.namespace}")
            annotations = (existing.get("metadata") or {}).get("annotations") or {}
            if annotations.get(sandbox.OWNER) != spec.owner:
                raise ClusterError(
                    f"namespace {spec.namespace} exists and was not created by this grading run "
                    f"(no {sandbox.OWNER} token of ours): it is not taken over"
                ) from exc
            if (existing.get("metadata") or {}).get("deletionTimestamp"):
                raise ClusterUnavailable(f"namespace {spec.namespace} is still terminating") from exc
        first, *rest = self.guardrails(spec)
        try:  # the grader's own binding, with its cluster-wide grant
            self._server_side_apply(first, spec.namespace, manager=sandbox.GUARDRAIL_MANAGER)
        except ApiException as exc:
            raise ClusterError(f"guardrail {ref(first)}: {_status_message(exc)[1]}") from exc
        for obj in rest:  # with the rights that binding gives, once the authorizer has it
            self._until_authorized(
                lambda obj=obj: self._server_side_apply(
                    obj, spec.namespace, manager=sandbox.GUARDRAIL_MANAGER
                ),
                f"guardrail {ref(obj)}",
            )
        self._wait_for_quota(spec)
        # The applier's binding too: a 403 on the student's first object must be the student's.
        self._until_authorized(
            lambda: self._call(
                "GET",
                f"/api/v1/namespaces/{spec.namespace}/configmaps",
                query={"limit": "1"},
                as_user=sandbox.applier_username(spec.namespace),
            ),
            f"the sandbox's {sandbox.APPLIER} rights",
        )
        return created

    def _until_authorized(self, request, what: str):
        """`request()`, tried again while it is refused with 403 for up to `rbac_wait` seconds:
        RBAC authorizers read bindings from a watch cache, so a RoleBinding just created may
        not authorize the very next request on every API server yet. Other refusals, and a 403
        that outlasts the wait, are the grader's misconfiguration (ClusterError)."""
        deadline, pause = time.monotonic() + self.rbac_wait, 0.05
        while True:
            try:
                return request()
            except ApiException as exc:
                if exc.status != 403 or time.monotonic() >= deadline:
                    raise ClusterError(f"{what}: {_status_message(exc)[1]}") from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def _wait_for_quota(self, spec: SandboxSpec) -> None:
        """Until the quota controller has computed the new quota's status, the API server
        refuses everything it counts ("status unknown for quota"): the student's objects would
        be refused for no fault of theirs. Wait for it (usually well under a second); past
        `quota_wait` seconds it is the cluster's slowness, retried like an outage."""
        quota = next(g for g in self.guardrails(spec) if g["kind"] == "ResourceQuota")
        path = self._path("v1", "ResourceQuota", spec.namespace, quota["metadata"]["name"])
        deadline, pause = time.monotonic() + self.quota_wait, 0.05
        while True:
            status = (self._call("GET", path).get("status") or {}).get("hard") or {}
            if set(quota["spec"]["hard"]) <= set(status):
                return
            if time.monotonic() >= deadline:
                raise ClusterUnavailable(
                    f"the quota controller has not synced {ref(quota)} in {spec.namespace}"
                )
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def apply(self, namespace: str, objects: list[dict], *, dry_run_first: bool = True) -> list[ApplyProblem]:
        """Server-side apply `objects` into `namespace` as the sandbox's own service account.

        A `dryRun=All` pass goes first: if admission refuses anything (schema, PSA, quota,
        webhooks) nothing is applied and every refusal is returned, one per object."""
        ordered = sorted(
            objects,
            key=lambda o: (
                _APPLY_ORDER.index(o["kind"]) if o.get("kind") in _APPLY_ORDER else len(_APPLY_ORDER)
            ),
        )
        prepared = [{**o, "metadata": {**o["metadata"], "namespace": namespace}} for o in ordered]
        user = sandbox.applier_username(namespace)
        passes = [True, False] if dry_run_first else [False]
        for dry_run in passes:
            problems = []
            for obj in prepared:
                try:
                    self._server_side_apply(obj, namespace, dry_run=dry_run, as_user=user)
                except LookupError as exc:
                    problems.append(ApplyProblem(ref(obj), 404, "NotFound", str(exc)))
                except ApiException as exc:
                    if exc.status == 401:
                        raise ClusterError(
                            f"the cluster does not accept the grader's credentials: {exc.reason}"
                        ) from exc
                    reason, message = _status_message(exc)
                    if exc.status == 409 and sandbox.GUARDRAIL_MANAGER in message:
                        reason = "Tampered"
                        message = f"it would change the sandbox's guardrail {ref(obj)} ({message})"
                    problems.append(ApplyProblem(ref(obj), int(exc.status or 0), reason, message))
            if problems:
                return problems
        return []

    def tampering(self, spec: SandboxSpec) -> list[str]:
        """What the student's apply changed in the sandbox's defences, one line each ([] when
        nothing): every guardrail read back and compared with what it must be (a field added
        without a conflict, an `ingress: [{}]` on the default deny, counts), and every
        NetworkPolicy in the sandbox checked for ipBlocks that open a denied range."""
        found = []
        for expected in self.guardrails(spec):
            meta = expected["metadata"]
            path = self._path(expected["apiVersion"], expected["kind"], spec.namespace, meta["name"])
            try:
                observed = self._call("GET", path)
            except ApiException as exc:
                if exc.status != 404:
                    message = _status_message(exc)[1]
                    raise ClusterError(f"reading guardrail {ref(expected)}: {message}") from exc
                observed = None
            drift = sandbox.guardrail_drift(expected, observed)
            if drift:
                found.append(f"{ref(expected)} {drift}")
        for policy in self._list("networking.k8s.io/v1", "NetworkPolicy", spec.namespace):
            for line in sandbox.denied_egress(policy, spec.denied_cidrs):
                found.append(f"NetworkPolicy/{policy['metadata']['name']}: {line}")
        return found

    def read_state(
        self, namespace: str, kinds: list[tuple[str, str]], *, log_lines: int = 20, logs: bool = True
    ) -> ObservedState:
        """The objects of `kinds` in the namespace (guardrails left out), plus pods, ReplicaSets,
        EndpointSlices, events and (unless `logs` is off) the last log lines of containers that
        restarted."""
        state = ObservedState()
        wanted = list(dict.fromkeys([*kinds, *OBSERVED_ALWAYS]))
        for api_version, kind in wanted:
            try:
                items = self._list(api_version, kind, namespace)
            except (LookupError, ApiException) as exc:
                if isinstance(exc, ApiException) and exc.status not in (403, 404):
                    raise ClusterError(f"reading {kind}: {_status_message(exc)[1]}") from exc
                continue  # a kind this cluster does not serve (a CRD that is not installed)
            state.objects += [
                o
                for o in items
                if ((o.get("metadata") or {}).get("labels") or {}).get(sandbox.MANAGED_BY) != sandbox.MANAGER
            ]
        state.events = self._list("v1", "Event", namespace)
        if logs:
            self.read_restart_logs(namespace, state, lines=log_lines)
        return state

    def read_restart_logs(self, namespace: str, state: ObservedState, *, lines: int = 20) -> None:
        """Fill `state.logs` with the previous run's last lines of every container that restarted
        (one request each: only for the final state, not while waiting)."""
        for pod in state.of_kind("Pod"):
            for status in (pod.get("status") or {}).get("containerStatuses") or []:
                if status.get("restartCount", 0) > 0:
                    key = f"{pod['metadata']['name']}/{status.get('name')}"
                    state.logs[key] = self.logs(
                        namespace, pod["metadata"]["name"], status.get("name"), lines=lines
                    )

    def logs(self, namespace: str, pod: str, container: str, *, lines: int = 20) -> str:
        """The last lines of the previous run of a container ("" when there are none)."""
        query = {"container": container, "tailLines": str(lines), "previous": "true"}
        try:
            return self._call("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query=query, raw=True)
        except ApiException:
            return ""

    def delete_sandbox(self, namespace: str) -> None:
        """Delete workloads first (their pods stop before the namespace's other objects go),
        then the namespace. Deleting what is gone already is fine."""
        for api_version, kind in WORKLOADS:
            try:
                self._call(
                    "DELETE",
                    self._path(api_version, kind, namespace),
                    query={"propagationPolicy": "Background"},
                )
            except ApiException as exc:
                if exc.status == 403:
                    # Our rights in the sandbox go with its RoleBinding: a sandbox deleted
                    # already. Deleting the namespace below removes whatever is left anyway.
                    break
                if exc.status != 404:
                    raise ClusterError(f"deleting {kind} in {namespace}: {_status_message(exc)[1]}") from exc
        try:
            self._call("DELETE", f"/api/v1/namespaces/{namespace}", query={"propagationPolicy": "Background"})
        except ApiException as exc:
            if exc.status != 404:
                raise ClusterError(f"deleting namespace {namespace}: {_status_message(exc)[1]}") from exc
            return
        # The grader's own binding holds the namespace until the rest is gone (then it goes now,
        # else the reaper releases it once the pods have stopped).
        self.clear_finalizers(namespace, students=False)

    def sandboxes(self) -> list[SandboxInfo]:
        """Every sandbox of this install, with its expiry and Terminating state: selected by the
        install's labels AND its name prefix (a namespace with only one of them is not ours, and
        another install's sandboxes never are)."""
        found = []
        for ns in self._list("v1", "Namespace", None, selector=self.install.selector):
            meta = ns.get("metadata") or {}
            labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
            if not self.install.owns(str(meta.get("name", "")), labels):
                continue
            found.append(
                SandboxInfo(
                    name=meta["name"],
                    submission=labels.get(sandbox.SUBMISSION, ""),
                    lab=labels.get(sandbox.LAB, ""),
                    expires_at=_time(annotations.get(sandbox.EXPIRES_AT)),
                    terminating_since=_time(meta.get("deletionTimestamp")),
                )
            )
        return found

    def expired_sandboxes(self, now: datetime.datetime) -> list[SandboxInfo]:
        """Sandboxes past their expires-at."""
        return [s for s in self.sandboxes() if s.expired(now)]

    def _group_version(self, group: str) -> str | None:
        """The version the cluster serves a group in (its preferred one), None when it does not
        serve the group (no Prometheus operator: no monitoring.coreos.com)."""
        if not group:
            return "v1"
        if group not in self._groups:
            try:
                found = self._call("GET", f"/apis/{group}")
            except ApiException as exc:
                if exc.status not in (403, 404):
                    raise
                found = {}
            preferred = (found.get("preferredVersion") or {}).get("groupVersion")
            versions = [v.get("groupVersion") for v in found.get("versions") or []]
            self._groups[group] = preferred or (versions[0] if versions else None)
        return self._groups[group]

    def finalizable(self) -> list[tuple[str, str]]:
        """(groupVersion, plural) of every namespaced kind that can sit in a sandbox: what the
        grader creates (its guardrails and the built-in table) and all the applier may create
        (sandbox.APPLIER_RULES, the kinds a student can submit, custom ones included)."""
        found = [
            (api_version, plural)
            for (api_version, kind), (plural, namespaced) in KINDS.items()
            if namespaced and kind != "Event" and api_version != "autoscaling/v1"
        ]
        for rule in sandbox.APPLIER_RULES:
            for group in rule["apiGroups"]:
                version = self._group_version(group)
                if version:
                    found += [(version, plural) for plural in rule["resources"] if "/" not in plural]
        return list(dict.fromkeys(found))

    def clear_finalizers(self, namespace: str, *, students: bool = True) -> int:
        """Remove finalizers on every object in the namespace of a kind the grader created or a
        student could submit (a ServiceMonitor's included: they would keep it Terminating
        forever). Returns how many objects were released (the grader's own binding not counted).

        The grader's own RoleBinding (sandbox.GRADER_BINDING) carries a finalizer so that it, and
        with it the grader's right to do this, outlives the rest of a terminating sandbox; it is
        released last, once nothing else is left, and the namespace can then go. With
        `students` off only that last step is taken (teardown: a student's finalizers are the
        reaper's to clear, and it reports them)."""
        released, left = 0, 0
        own = ("rbac.authorization.k8s.io/v1", "rolebindings", sandbox.GRADER_BINDING)
        for api_version, plural in self.finalizable():
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            path = f"{base}/namespaces/{namespace}/{plural}"
            try:
                items = self._call("GET", path).get("items") or []
            except ApiException:
                continue  # not served here, or not ours to read
            for item in items:
                if (api_version, plural, item["metadata"]["name"]) == own:
                    continue
                left += 1
                if students and (item.get("metadata") or {}).get("finalizers"):
                    self._release(f"{path}/{item['metadata']['name']}")
                    released += 1
        if left == released:  # nothing but the grader's binding holds the namespace any more
            try:
                self._release(f"/apis/{own[0]}/namespaces/{namespace}/{own[1]}/{own[2]}")
            except ApiException as exc:
                if exc.status not in (403, 404):  # gone, and our rights in the sandbox with it
                    raise
        return released

    def _release(self, path: str) -> None:
        self._call(
            "PATCH",
            path,
            body={"metadata": {"finalizers": None}},
            content_type="application/merge-patch+json",
        )


def _time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
