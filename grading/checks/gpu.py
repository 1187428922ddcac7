"""Checks on GPU workloads: the extended resource, the taint toleration and node selection."""

from grading.checks.base import CheckOutcome, cap, check, failed, passed, scored
from grading.checks.objects import Objects, ref
from grading.checks.pods import containers, quantity, target_workload

GPU = "nvidia.com/gpu"


@check("gpu-limits")
def gpu_limits(objects: Objects, *, points: float, resource: str = GPU, min: int = 1,
               kind: str | None = None, name: str | None = None) -> CheckOutcome:
    """A container asks for at least `min` GPUs in limits, and requests (if set) equal the limit.
    Half the points for the limit, half for consistent requests."""
    workload, which = target_workload(objects, kind, name)
    expected = f"limits.{resource} >= {min} (requests equal if set)"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    seen, limit_ok, requests_ok = [], False, True
    for label, c in containers(spec):
        res = c.get("resources") or {}
        limit = quantity((res.get("limits") or {}).get(resource))
        request = quantity((res.get("requests") or {}).get(resource))
        if limit is None and request is None:
            continue
        seen.append(f"{label} limits {limit if limit is not None else 'unset'}, "
                    f"requests {request if request is not None else 'unset'}")
        if limit is not None and limit >= min and limit == int(limit):
            limit_ok = True
        if request is not None and request != limit:
            requests_ok = False
    observed = f"{ref(workload)}: " + ("; ".join(seen) or f"no {resource}")
    if limit_ok and requests_ok:
        return passed(points, f"{which} It asks for {resource} in its limits.", expected=expected,
                      observed=observed)
    if not seen:
        return failed(points, f"{which} No container asks for {resource}: without it the pod may land on a "
                      "node with no GPU, or share one by accident.", expected=expected, observed=observed)
    problems = []
    if not limit_ok:
        problems.append(f"set a whole number of at least {min} under limits.{resource}")
    if not requests_ok:
        problems.append(f"make requests.{resource} equal to the limit (GPUs can't be overcommitted)")
    message = f"{which} " + cap("; ".join(problems)) + "."
    return scored(int(limit_ok) + int(requests_ok), 2, points, message_ok=message, message_bad=message,
                  expected=expected, observed=observed)


@check("gpu-toleration")
def gpu_toleration(objects: Objects, *, points: float, key: str = GPU, kind: str | None = None,
                   name: str | None = None) -> CheckOutcome:
    """The pod tolerates the GPU nodes' taint (`key`, effect NoSchedule or any)."""
    workload, which = target_workload(objects, kind, name)
    expected = f"a toleration for the {key} taint"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    tolerations = objects.pod_template(workload)["spec"].get("tolerations") or []
    observed = f"{ref(workload)} tolerates " + (", ".join(
        f"{t.get('key') or '*'} {t.get('operator', 'Equal')} {t.get('effect') or 'any effect'}"
        for t in tolerations) or "nothing")
    for t in tolerations:
        key_ok = t.get("key") == key or (not t.get("key") and t.get("operator") == "Exists")
        if key_ok and t.get("effect") in (None, "", "NoSchedule", "NoExecute"):
            return passed(points, f"{which} It tolerates the {key} taint, so it may run on GPU nodes.",
                          expected=expected, observed=observed)
    return failed(points, f"{which} It has no toleration for the {key} taint, so GPU nodes (tainted to keep "
                  "other pods off) would refuse it and it stays Pending.", expected=expected,
                  observed=observed)


def _affinity_keys(pod_spec: dict) -> list[str]:
    node = ((pod_spec.get("affinity") or {}).get("nodeAffinity")) or {}
    keys = []
    required = node.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    required = required.get("nodeSelectorTerms") or []
    for term in required:
        keys += [e.get("key") for e in term.get("matchExpressions") or []]
    for pref in node.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        keys += [e.get("key") for e in (pref.get("preference") or {}).get("matchExpressions") or []]
    return [str(k) for k in keys if k]


def _is_gpu_label(key: str) -> bool:
    return key.startswith("nvidia.com/gpu") or "accelerator" in key or "gpu" in key.lower()


@check("gpu-node-selector")
def gpu_node_selector(objects: Objects, *, points: float, kind: str | None = None,
                      name: str | None = None) -> CheckOutcome:
    """The pod selects GPU nodes by a GPU node label, in nodeSelector or node affinity."""
    workload, which = target_workload(objects, kind, name)
    expected = "nodeSelector or node affinity on a GPU label (e.g. nvidia.com/gpu.present)"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    keys = list((spec.get("nodeSelector") or {}).keys()) + _affinity_keys(spec)
    gpu_keys = [k for k in keys if _is_gpu_label(k)]
    observed = f"{ref(workload)} selects on " + (", ".join(keys) or "no node labels")
    if gpu_keys:
        return passed(points, f"{which} It selects GPU nodes by {', '.join(gpu_keys)}.", expected=expected,
                      observed=observed)
    return failed(points, f"{which} It doesn't select GPU nodes by label; the toleration only allows GPU "
                  "nodes, it doesn't require them (or the right GPU model).", expected=expected,
                  observed=observed)
