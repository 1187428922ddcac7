"""Pod-level helpers shared by checks: which workload to judge, containers, ports, quantities."""

import re
from decimal import Decimal, InvalidOperation

from grading.checks.objects import WORKLOAD_KINDS, Objects, ref

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$")
_SUFFIXES = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
    "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity(value: object) -> Decimal | None:
    """A Kubernetes resource quantity ("500m", "1Gi", 2) as a number; None if it doesn't parse."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            # Decimal(int) is exact at any size (str() stops at 4300 digits); a float as written.
            number = Decimal(value) if isinstance(value, int) else Decimal(str(value))
        except (ValueError, InvalidOperation):
            return None
        return number if number.is_finite() else None
    match = _QUANTITY.match(str(value).strip())
    if not match:
        return None
    number, suffix = match.groups()
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            return Decimal(number + suffix)
        if suffix not in _SUFFIXES:
            return None
        return Decimal(number) * Decimal(_SUFFIXES[suffix])
    except InvalidOperation:
        return None


def target_workload(objects: Objects, kind: str | None = None,
                    name: str | None = None) -> tuple[dict | None, str]:
    """The workload a check judges, and a sentence saying which.

    Given a name (and optionally a kind) it is that object. Otherwise it is the serving
    Deployment when there is any Deployment, else the only workload of `kind` (any kind).
    """
    if name:
        kinds = (kind,) if kind else WORKLOAD_KINDS
        for candidate in objects.of_kind(*kinds):
            if (candidate.get("metadata") or {}).get("name") == name:
                return candidate, f"Judging {ref(candidate)}."
        return None, f"The submission has no {kind or 'workload'} named {name!r}."
    if kind in (None, "Deployment") and objects.of_kind("Deployment"):
        return objects.serving_deployment()
    candidates = objects.of_kind(kind) if kind else objects.workloads()
    if len(candidates) == 1:
        return candidates[0], f"Judging {ref(candidates[0])}, the only {kind or 'workload'} submitted."
    if candidates:
        return candidates[0], f"Judging {ref(candidates[0])}, the first of {len(candidates)} workloads."
    return None, f"The submission has no {kind or 'workload'}."


def containers(pod_spec: dict, *, init: bool = False) -> list[tuple[str, dict]]:
    """(label, container) pairs: regular containers, then init containers if `init`."""
    found = [(f"container {c.get('name')!r}", c) for c in pod_spec.get("containers") or []]
    if init:
        found += [(f"init container {c.get('name')!r}", c) for c in pod_spec.get("initContainers") or []]
    return found


def serving_containers(pod_spec: dict) -> list[dict]:
    """Regular containers that declare a port (all regular containers if none does)."""
    regular = pod_spec.get("containers") or []
    with_ports = [c for c in regular if c.get("ports")]
    return with_ports or list(regular)


def port_matches(container_ports: list[dict], port: object) -> bool:
    """Does `port` (a number or a port name) name one of `container_ports`?"""
    if port is None:
        return False
    # isdecimal, not isdigit: "²" is a digit int() refuses.
    if isinstance(port, int) or str(port).isdecimal():
        return any(p.get("containerPort") == int(port) for p in container_ports)
    return any(p.get("name") == port for p in container_ports)


def all_ports(pod_spec: dict) -> list[dict]:
    return [p for c in pod_spec.get("containers") or [] for p in c.get("ports") or []]


def env_values(objects: Objects, container: dict) -> list[tuple[str, str]]:
    """(variable, value) for a container's literal env and the ConfigMap values it pulls in
    through configMapKeyRef or envFrom, so a host name kept in a ConfigMap still counts."""
    found: list[tuple[str, str]] = []
    for var in container.get("env") or []:
        if "value" in var and var["value"] is not None:
            found.append((str(var.get("name")), str(var["value"])))
        ref_ = ((var.get("valueFrom") or {}).get("configMapKeyRef")) or {}
        cm = objects.get("ConfigMap", ref_.get("name", "")) if ref_ else None
        if cm is not None and ref_.get("key") in (cm.get("data") or {}):
            found.append((str(var.get("name")), str(cm["data"][ref_["key"]])))
    for source in container.get("envFrom") or []:
        cm_ref = source.get("configMapRef") or {}
        cm = objects.get("ConfigMap", cm_ref.get("name", "")) if cm_ref else None
        if cm is not None:
            prefix = source.get("prefix") or ""
            found += [(prefix + str(k), str(v)) for k, v in (cm.get("data") or {}).items()]
    return found


# A datastore is recognised by its image's repository name, exactly (a `postgres-exporter` or a
# `redis-commander` is not the database), then by its well-known port and the Service in front.
_DATASTORE_IMAGES = {
    "redis": ("redis", "valkey", "keydb", "redis-stack-server"),
    "postgres": ("postgres", "postgresql", "pgvector", "timescaledb", "timescaledb-ha", "postgis"),
}
_DATASTORE_PORTS = {"redis": 6379, "postgres": 5432}


def image_name(image: str) -> str:
    """`bitnami/postgresql:16@sha256:…` -> `postgresql` (the last path segment, no tag)."""
    base = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return base.split(":", 1)[0].lower()


def _runs(objects: Objects, workload: dict, role: str) -> bool:
    spec = objects.pod_template(workload)["spec"]
    return any(image_name(str(c.get("image", ""))) in _DATASTORE_IMAGES[role] for _, c in containers(spec))


def _fronted(objects: Objects, workload: dict) -> bool:
    return bool(objects.services_selecting(workload))


def find_component(objects: Objects, component: str) -> dict | None:
    """The workload playing a role in a stack. `redis` and `postgres`: a workload whose image
    repository is the datastore's, preferring the one that declares its port and has a Service
    in front (then file order). `model-server`: the workload named so, else a Deployment running
    no datastore and no exporter, preferring one with a Service in front."""
    if component in _DATASTORE_IMAGES:
        port = _DATASTORE_PORTS[component]
        candidates = [w for w in objects.workloads() if _runs(objects, w, component)]
        if not candidates:
            return None
        return max(candidates, key=lambda w: (
            any(p.get("containerPort") == port for p in all_ports(objects.pod_template(w)["spec"])),
            _fronted(objects, w), -candidates.index(w)))
    others = [w for w in objects.workloads()
              if not any(_runs(objects, w, role) for role in _DATASTORE_IMAGES)]
    if not others:
        return None

    def exporter(w: dict) -> bool:
        spec = objects.pod_template(w)["spec"]
        return all("exporter" in image_name(str(c.get("image", ""))) for _, c in containers(spec))

    return max(others, key=lambda w: (
        (w.get("metadata") or {}).get("name") == component, not exporter(w),
        w.get("kind") == "Deployment", _fronted(objects, w), -others.index(w)))


def component_of(objects: Objects, workload: dict) -> str:
    """How a message names a recognised component: `StatefulSet/postgres (image postgres:16)`."""
    images = ", ".join(str(c.get("image")) for _, c in containers(objects.pod_template(workload)["spec"]))
    return f"{ref(workload)} (image {images or 'none'})"


COMPONENT_TITLES = {"model-server": "model server", "redis": "Redis", "postgres": "PostgreSQL"}
