"""Checks on a workload's own spec: replicas, selector, ports, images, labels, resources."""

import re

from grading.checks.base import CheckOutcome, check, failed, join, passed, scored
from grading.checks.objects import Objects, labels_of, ref, selector_matches
from grading.checks.pods import containers, quantity, target_workload

_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@check("deployment-replicas")
def deployment_replicas(objects: Objects, *, points: float, min: int = 1,
                        name: str | None = None) -> CheckOutcome:
    """The Deployment asks for at least `min` replicas (a missing field means 1)."""
    deployment, which = target_workload(objects, "Deployment", name)
    expected = f"replicas >= {min}"
    if deployment is None:
        return failed(points, which, expected=expected, observed="no Deployment")
    spec = deployment.get("spec") or {}
    replicas = spec.get("replicas", 1)
    observed = f"{ref(deployment)} has replicas: {replicas}"
    hpa = None if "replicas" in spec else _hpa_scaling(objects, deployment)
    if hpa is not None:
        # No replicas with an HPA is the right way (a rendered count fights the autoscaler on
        # every apply): the HPA's minReplicas is then the floor.
        replicas = (hpa.get("spec") or {}).get("minReplicas", 1)
        observed = f"{ref(deployment)} has no replicas; {ref(hpa)} keeps minReplicas: {replicas}"
    if isinstance(replicas, int) and replicas >= min:
        return passed(points, f"{which} It runs {replicas} replicas.", expected=expected, observed=observed)
    return failed(points, f"{which} It asks for {replicas} replica(s); at least {min} are needed so one "
                  "pod can fail without an outage.", expected=expected, observed=observed)


def _hpa_scaling(objects: Objects, deployment: dict) -> dict | None:
    from grading.checks.autoscaling import _resolves

    return next((h for h in objects.of_kind("HorizontalPodAutoscaler") if _resolves(h, deployment)), None)


@check("selector-matches-template")
def selector_matches_template(objects: Objects, *, points: float, name: str | None = None) -> CheckOutcome:
    """Each workload's spec.selector picks its own pods, for good: it matches the pod template's
    labels, names no version (the selector is immutable) and matches no other workload's pods.
    A selector that misses its template is refused at intake, as by the API server
    (grading/intake/field_validation.py); the other two are accepted by a cluster and fail later."""
    if name:
        workload, which = target_workload(objects, None, name)
        targets = [workload] if workload else []
    else:
        targets, which = objects.of_kind(*_SELECTOR_KINDS), ""
    expected = ("spec.selector matches spec.template.metadata.labels, on labels that name the "
                "application (not its version) and select no other workload's pods")
    if not targets:
        return failed(points, which or "The submission has no Deployment, StatefulSet or ReplicaSet.",
                      expected=expected, observed="no workload with a selector")
    wrong: list[str] = []
    bad = 0
    for workload in targets:
        before = len(wrong)
        selector = (workload.get("spec") or {}).get("selector")
        labels = objects.pod_labels(workload)
        if not selector_matches(selector, labels):
            wrong.append(f"{ref(workload)} selects {_selector_text(selector)} but its pods are labelled "
                         f"{_labels_text(labels)}: the controller would own no pods")
            bad += 1
            continue
        versioned = _versioned_selector_terms(selector)
        if versioned:
            wrong.append(f"{ref(workload)} selects on {join(versioned)}: the selector is immutable, so "
                         "the next version could only be rolled out by deleting the workload; select "
                         "on a label that names the application (app: ...)")
        others = [ref(w) for w in objects.workloads()
                  if w is not workload and selector_matches(selector, objects.pod_labels(w))]
        if others:
            wrong.append(f"{ref(workload)}'s selector {_selector_text(selector)} also matches the pods of "
                         f"{join(others)}: controllers with overlapping selectors fight over the pods; "
                         "give each workload a label of its own")
        bad += len(wrong) > before
    return scored(len(targets) - bad, len(targets), points,
                  message_ok=f"The selector of {join([ref(w) for w in targets])} matches its pod labels, "
                             "names the application and no other workload's pods.",
                  message_bad=f"{join(wrong)}.",
                  expected=expected, observed="; ".join(wrong) or "all selectors match their own pods")


# Labels that change from one release to the next: an immutable selector must not use them.
_VERSION_KEYS = ("version", "pod-template-hash", "controller-revision-hash", "chart")
# A value that ends in a version: v2, 1.4.0, iris-v1, web-2.3 (not web2, tier 3 or redis-7).
_VERSION_VALUE = re.compile(r"(?:^|[-_.])(?:v?[0-9]+(?:\.[0-9]+)+|v[0-9]+)$")


def _versioned_selector_terms(selector: dict | None) -> list[str]:
    """The selector's terms that name a version rather than the application (`version: v1`,
    `app.kubernetes.io/version`, `app: iris-v1`, a chart or template hash)."""
    selector = selector if isinstance(selector, dict) else {}
    terms = []
    match_labels = selector.get("matchLabels")
    for key, value in (match_labels if isinstance(match_labels, dict) else {}).items():
        short = str(key).rsplit("/", 1)[-1]
        # Label values are at most 63 characters; a longer one is never judged a version.
        if any(word in short for word in _VERSION_KEYS) or \
                (len(str(value)) <= 63 and _VERSION_VALUE.search(str(value))):
            terms.append(f"{key}={value}")
    expressions = selector.get("matchExpressions")
    for item in expressions if isinstance(expressions, list) else []:
        key = str(item.get("key")) if isinstance(item, dict) else ""
        if key and any(word in key.rsplit("/", 1)[-1] for word in _VERSION_KEYS):
            terms.append(key)
    return terms


def _selector_text(selector: dict | None) -> str:
    if not selector:
        return "nothing"
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    parts += [f"{e.get('key')} {e.get('operator')} {e.get('values') or ''}".strip()
              for e in selector.get("matchExpressions") or []]
    return ", ".join(parts) or "nothing"


def _labels_text(labels: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"


@check("container-port")
def container_port(objects: Objects, *, points: float, port: int | None = None, kind: str | None = None,
                   name: str | None = None) -> CheckOutcome:
    """A container of the workload declares a containerPort (`port`, if given)."""
    workload, which = target_workload(objects, kind, name)
    expected = f"containerPort: {port}" if port else "a containerPort"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    declared = [(c.get("name"), p.get("containerPort")) for _, c in containers(spec)
                for p in c.get("ports") or []]
    observed = (f"{ref(workload)} declares " + ", ".join(f"{n}:{p}" for n, p in declared)) if declared \
        else f"{ref(workload)} declares no container port"
    if any(port is None or p == port for _, p in declared):
        return passed(points, f"{which} Its container declares the port it serves on.",
                      expected=expected, observed=observed)
    return failed(points, f"{which} Declare the port the server listens on under "
                  f"ports[].containerPort{f' ({port})' if port else ''}, so Services and probes can name it.",
                  expected=expected, observed=observed)


def _tag_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None when it has a tag (not latest) or digest."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, so it means :latest"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the :latest tag"
    return None


@check("image-pinned")
def image_pinned(objects: Objects, *, points: float, kind: str | None = None,
                 name: str | None = None) -> CheckOutcome:
    """Every container image (init containers too) is pinned to a tag other than latest, or a digest."""
    workload, which = target_workload(objects, kind, name)
    expected = "every image pinned to a version tag or digest (not :latest)"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    all_containers = containers(spec, init=True)
    problems = [f"{label} image {c.get('image')!r} {_tag_problem(str(c.get('image', '')))}"
                for label, c in all_containers if _tag_problem(str(c.get("image", "")))]
    images = ", ".join(str(c.get("image")) for _, c in all_containers)
    return scored(len(all_containers) - len(problems), len(all_containers), points,
                  message_ok=f"{which} Its images are pinned ({images}).",
                  message_bad=f"{which} The {join(problems)}: replicas started on different days could "
                              "run different code. Use a version tag such as python:3.12-slim.",
                  expected=expected, observed=f"{ref(workload)} uses {images}")


@check("pod-labels")
def pod_labels(objects: Objects, *, points: float, labels: list[str], kind: str | None = None,
               name: str | None = None) -> CheckOutcome:
    """The workload's pods carry each label key in `labels`."""
    workload, which = target_workload(objects, kind, name)
    expected = "pod labels " + ", ".join(labels)
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    have = labels_of(objects.pod_template(workload))
    missing = [key for key in labels if not have.get(key)]
    observed = f"{ref(workload)} pods are labelled " + (_labels_text(have))
    return scored(len(labels) - len(missing), len(labels), points,
                  message_ok=f"{which} Its pods carry the labels {join(labels)}.",
                  message_bad=f"{which} Its pods lack the label(s) {join(missing)}, which Services and "
                              "queries select on.",
                  expected=expected, observed=observed)


@check("resources-set")
def resources_set(objects: Objects, *, points: float, resources: list[str] | None = None,
                  fields: list[str] | None = None, init: bool = True, kind: str | None = None,
                  name: str | None = None) -> CheckOutcome:
    """Every container (init containers too, unless init=False) sets each of `fields`
    (requests, limits) for each of `resources` (cpu, memory). Partial credit per value."""
    resources = resources or ["cpu", "memory"]
    fields = fields or ["requests", "limits"]
    workload, which = target_workload(objects, kind, name)
    expected = f"{' and '.join(fields)} for {' and '.join(resources)} on every container"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    all_containers = containers(spec, init=init)
    missing: list[str] = []
    total = gap_count = 0
    for label, c in all_containers:
        res = c.get("resources") or {}
        gaps = []
        for field in fields:
            for resource in resources:
                total += 1
                if quantity((res.get(field) or {}).get(resource)) is None:
                    gaps.append(f"{field}.{resource}")
        gap_count += len(gaps)
        if gaps:
            missing.append(f"{label} has no {', '.join(gaps)}")
    return scored(total - gap_count, total, points,
                  message_ok=f"{which} Every container sets {expected.split(' on ')[0]}.",
                  message_bad=f"{which} The {join(missing)}. Without requests the scheduler can't place "
                              "the pod sensibly; without limits one pod can starve its node.",
                  expected=expected, observed="; ".join(missing) or "all set")
