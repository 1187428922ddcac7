"""The submitted Kubernetes objects, with the lookups checks share.

Objects are plain dicts as parsed from YAML and already schema-valid, but any optional field
may be missing, so every accessor here tolerates absent keys. Checks must also be total over
input validation never saw (issue 13: a crash ends a submission "not graded"), so `Objects`
hands them a copy in which every well-known field has its schema type (`shaped`): a field of
the wrong type is dropped (the check then sees it absent and says so), and a list of objects
keeps only its mappings (a stray `-` is skipped).
"""

from typing import Any

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")

# Field names the checks read, by the type the Kubernetes schema gives them wherever they occur
# in the kinds the labs accept. Names are context-free on purpose: one table covers every check.
_MAPS = frozenset((
    "metadata", "spec", "template", "jobTemplate", "selector", "resources", "backend", "defaultBackend",
    "service", "http", "target", "scaleTargetRef", "metric", "resource", "containerResource", "pods",
    "object", "external", "describedObject", "behavior", "affinity", "nodeAffinity", "podAffinity",
    "podAntiAffinity", "preference", "valueFrom", "configMapKeyRef", "secretKeyRef", "fieldRef",
    "resourceFieldRef", "configMapRef", "secretRef", "configMap", "secret", "persistentVolumeClaim",
    "emptyDir", "hostPath", "projected", "downwardAPI", "readinessProbe", "livenessProbe",
    "startupProbe", "httpGet", "tcpSocket", "grpc", "exec", "securityContext", "strategy",
    "rollingUpdate", "tlsConfig", "namespaceSelector", "podSelector",
))
# Maps whose keys are the user's, never read as field names: string to string (labels, data
# keys), or resource name to quantity (a number or a string, parsed by pods.quantity).
_TEXT_MAPS = frozenset(("labels", "annotations", "matchLabels", "nodeSelector", "data", "stringData",
                        "binaryData"))
_QUANTITY_MAPS = frozenset(("limits", "requests", "capacity"))
_LISTS_OF_MAPS = frozenset((
    "containers", "initContainers", "ephemeralContainers", "env", "envFrom", "ports", "volumeMounts",
    "volumes", "volumeClaimTemplates", "tls", "rules", "paths", "metrics", "tolerations",
    "matchExpressions", "nodeSelectorTerms", "preferredDuringSchedulingIgnoredDuringExecution",
    "endpoints", "podMetricsEndpoints", "sources", "items", "ingress", "egress", "from", "to",
))
_LISTS_OF_TEXT = frozenset(("hosts", "values", "accessModes", "command", "args"))
_TEXT = frozenset((
    "kind", "apiVersion", "name", "generateName", "namespace", "image", "host", "secretName",
    "ingressClassName", "path", "pathType", "mountPath", "claimName", "storageClassName", "operator",
    "key", "effect", "type", "serviceName", "protocol", "volumeName", "prefix", "imagePullPolicy",
    "restartPolicy", "schedulerName", "runtimeClassName", "priorityClassName", "subPath", "container",
))
_INTS = frozenset((
    "replicas", "minReplicas", "maxReplicas", "containerPort", "number", "averageUtilization",
    "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold",
    "terminationGracePeriodSeconds", "nodePort", "hostPort", "weight", "targetCPUUtilizationPercentage",
))

# A port is a number or a name (IntOrString), or in an Ingress backend a mapping {number, name}.
_PORTS = frozenset(("port", "targetPort"))


def shaped(value: Any, key: str | None = None) -> Any:
    """`value` (the field `key`'s) with every well-known field of its schema type, `_DROP` when
    `value` itself is of the wrong type. Well-shaped input comes back as the very same object
    (nothing copied, identity kept); only what had to change is copied."""
    if key in _TEXT_MAPS:
        if not isinstance(value, dict):
            return _DROP
        return value if all(isinstance(v, str) for v in value.values()) else {
            k: v for k, v in value.items() if isinstance(v, str)}
    if key in _QUANTITY_MAPS:
        return value if isinstance(value, dict) else _DROP
    if key in _LISTS_OF_MAPS:
        if not isinstance(value, list):
            return _DROP
        items = [shaped(item) for item in value if isinstance(item, dict)]
        same = len(items) == len(value) and all(a is b for a, b in zip(items, value, strict=True))
        return value if same else items
    if key in _LISTS_OF_TEXT:
        if not isinstance(value, list):
            return _DROP
        return value if all(isinstance(item, str) for item in value) else [
            item for item in value if isinstance(item, str)]
    if key in _TEXT:
        return value if isinstance(value, str) else _DROP
    if key in _INTS:
        return value if isinstance(value, int) and not isinstance(value, bool) else _DROP
    if key in _MAPS and not isinstance(value, dict):
        return _DROP
    if key in _PORTS and (isinstance(value, bool) or not isinstance(value, int | str | dict)):
        return _DROP
    if key == "selector":
        # A LabelSelector (matchLabels, matchExpressions) or a Service's plain label map, whose
        # keys are the user's: a label named `replicas` is text there, not a count.
        out = {k: shaped(v, k) if k in ("matchLabels", "matchExpressions") else v
               for k, v in value.items()
               if k in ("matchLabels", "matchExpressions") or isinstance(v, str)}
        out = {k: v for k, v in out.items() if v is not _DROP}
        same = len(out) == len(value) and all(out[k] is value[k] for k in out)
        return value if same else out
    if isinstance(value, dict):
        out, changed = {}, False
        for k, v in value.items():
            new = shaped(v, k if isinstance(k, str) else None)
            changed = changed or new is not v
            if new is not _DROP:
                out[k] = new
        return out if changed else value
    if isinstance(value, list):
        items = [shaped(item) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


_DROP = object()


def mapping(value: object) -> dict:
    """`value` if it is a mapping, else an empty one (for helpers handed unshaped objects)."""
    return value if isinstance(value, dict) else {}


# name_of, ref and labels_of also serve the live grader and diagnostics on objects `Objects` never
# shaped, so they check types themselves.
def name_of(obj: dict) -> str:
    meta = mapping(mapping(obj).get("metadata"))
    return str(meta.get("name") or meta.get("generateName") or "<unnamed>")


def ref(obj: dict) -> str:
    """`Deployment/iris-classifier`: how messages name an object."""
    return f"{mapping(obj).get('kind', '?')}/{name_of(obj)}"


def labels_of(obj: dict) -> dict[str, str]:
    labels = mapping(mapping(mapping(obj).get("metadata")).get("labels"))
    return {k: v for k, v in labels.items() if isinstance(v, str)}


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against a label set. An empty or
    missing selector matches nothing here: a Service or workload with none selects no pods
    we could grade."""
    if not selector:
        return False
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return False
    if any(labels.get(k) != str(v) for k, v in match_labels.items()):
        return False
    for expr in expressions:
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def service_selects(service: dict, labels: dict[str, str]) -> bool:
    """A Service's selector is a plain map; it matches when every pair is in `labels`."""
    selector = (service.get("spec") or {}).get("selector") or {}
    return bool(selector) and all(labels.get(k) == str(v) for k, v in selector.items())


class Objects:
    """The submitted Kubernetes objects (dicts as parsed from YAML, already schema-valid)."""

    def __init__(self, items: list[dict]):
        # `shaped` copies: checks see only well-typed fields (see the module docstring).
        self.items = [shaped(item) for item in items if isinstance(item, dict)]

    def __len__(self) -> int:
        return len(self.items)

    def of_kind(self, *kinds: str) -> list[dict]:
        return [item for item in self.items if item.get("kind") in kinds]

    def get(self, kind: str, name: str) -> dict | None:
        for item in self.items:
            if item.get("kind") == kind and name_of(item) == name:
                return item
        return None

    def workloads(self) -> list[dict]:
        return self.of_kind(*WORKLOAD_KINDS)

    def pod_template(self, workload: dict) -> dict:
        """The pod spec's owner, `{"metadata": ..., "spec": ...}`, for any workload kind."""
        spec = mapping(workload.get("spec"))
        kind = workload.get("kind")
        if kind == "Pod":
            template = {"metadata": workload.get("metadata"), "spec": spec}
        elif kind == "CronJob":
            template = mapping(mapping(mapping(spec.get("jobTemplate")).get("spec")).get("template"))
        else:
            template = mapping(spec.get("template"))
        return {"metadata": mapping(template.get("metadata")), "spec": mapping(template.get("spec"))}

    def pod_labels(self, workload: dict) -> dict[str, str]:
        return labels_of(self.pod_template(workload))

    def services_selecting(self, workload: dict) -> list[dict]:
        labels = self.pod_labels(workload)
        return [svc for svc in self.of_kind("Service") if service_selects(svc, labels)]

    def workloads_selected_by(self, service: dict) -> list[dict]:
        return [w for w in self.workloads() if service_selects(service, self.pod_labels(w))]

    def ingress_backends(self, ingress: dict) -> list[tuple[str | None, dict]]:
        """(rule host, backend) for every backend of an Ingress, the default backend included."""
        spec = ingress.get("spec") or {}
        found: list[tuple[str | None, dict]] = []
        if spec.get("defaultBackend"):
            found.append((None, spec["defaultBackend"]))
        for rule in spec.get("rules") or []:
            for path in ((rule.get("http") or {}).get("paths")) or []:
                if path.get("backend"):
                    found.append((rule.get("host"), path["backend"]))
        return found

    def serving_deployment(self) -> tuple[dict | None, str]:
        """The Deployment the Ingress routes to through its Service, else the only (or first)
        Deployment, with a sentence saying which and why."""
        deployments = self.of_kind("Deployment")
        for ingress in self.of_kind("Ingress"):
            for _host, backend in self.ingress_backends(ingress):
                service_name = (backend.get("service") or {}).get("name")
                service = self.get("Service", service_name) if service_name else None
                if service is None:
                    continue
                for deployment in deployments:
                    if service_selects(service, self.pod_labels(deployment)):
                        return deployment, (
                            f"Judging {ref(deployment)}: {ref(ingress)} routes to it through "
                            f"{ref(service)}.")
        if len(deployments) == 1:
            return deployments[0], f"Judging {ref(deployments[0])}, the only Deployment submitted."
        if deployments:
            return deployments[0], (
                f"Judging {ref(deployments[0])}, the first of {len(deployments)} Deployments "
                "(no Ingress routes to any of them through a Service).")
        return None, "The submission has no Deployment."
