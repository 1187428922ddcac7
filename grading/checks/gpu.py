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
        # to_integral_value, not int(): a limit of 1e999999999 would build a billion-digit int.
        if limit is not None and limit >= min and limit == limit.to_integral_value():
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


# Node labels that only GPU nodes carry. NVIDIA GPU Feature Discovery sets gpu.present=true and
# the model/memory/compute labels; NFD marks NVIDIA's PCI vendor (10de); clouds label their
# accelerator node pools (GKE, EKS, AKS).
GPU_PRESENT = "nvidia.com/gpu.present"
GPU_VALUE_LABELS = ("nvidia.com/gpu.product", "nvidia.com/gpu.memory", "nvidia.com/gpu.compute.major",
                    "nvidia.com/gpu.count", "nvidia.com/gpu.family", "nvidia.com/gpu.machine",
                    "cloud.google.com/gke-accelerator", "k8s.amazonaws.com/accelerator", "accelerator")
GPU_TRUE_LABELS = (GPU_PRESENT, "feature.node.kubernetes.io/pci-10de.present")


def _selects_gpu(key: str, operator: str, values: list[str]) -> bool:
    """Does a required node-selector expression keep the pod on GPU nodes? Only positive
    operators select: DoesNotExist and NotIn keep the pod *off* labelled nodes or say nothing."""
    if key in GPU_TRUE_LABELS:
        if operator == "In":
            return bool(values) and all(v.lower() == "true" for v in values)
        return operator == "Exists"
    if key in GPU_VALUE_LABELS:
        if operator == "In":
            return bool(values) and all(v.strip() for v in values)
        return operator in ("Exists", "Gt")
    return False


def _expression(expr: object) -> tuple[str, str, list[str]]:
    expr = expr if isinstance(expr, dict) else {}
    values = expr.get("values") if isinstance(expr.get("values"), list) else []
    return str(expr.get("key") or ""), str(expr.get("operator") or ""), [str(v) for v in values]


def _node_selection(pod_spec: dict) -> tuple[list[str], list[str], list[str]]:
    """(what selects GPU nodes, what was seen, why what was seen does not select them)."""
    selecting, seen, wrong = [], [], []
    node_selector = pod_spec.get("nodeSelector") if isinstance(pod_spec.get("nodeSelector"), dict) else {}
    for key, value in node_selector.items():
        text = f"nodeSelector {key}={value}"
        seen.append(text)
        if _selects_gpu(str(key), "In", [str(value)]):
            selecting.append(text)
        elif str(key) in GPU_TRUE_LABELS:
            wrong.append(f"{text} selects nodes without a GPU (GPU nodes are labelled {key}=true)")
    affinity = pod_spec.get("affinity") if isinstance(pod_spec.get("affinity"), dict) else {}
    node = affinity.get("nodeAffinity") if isinstance(affinity.get("nodeAffinity"), dict) else {}
    required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    terms = (required.get("nodeSelectorTerms") if isinstance(required, dict) else None) or []
    terms = [t for t in terms if isinstance(t, dict)]
    term_ok = []
    for term in terms:
        hits = []
        for expr in term.get("matchExpressions") or []:
            key, op, values = _expression(expr)
            text = f"required {key} {op} {values}" if values else f"required {key} {op}"
            seen.append(text)
            if _selects_gpu(key, op, values):
                hits.append(text)
            elif key in GPU_TRUE_LABELS + GPU_VALUE_LABELS:
                wrong.append(f"{text} does not require a GPU node ({op} keeps the pod off GPU nodes "
                             "or allows any node)" if op in ("DoesNotExist", "NotIn")
                             else f"{text} does not require a GPU node")
        term_ok.append(bool(hits))
        selecting += hits
    if terms and not all(term_ok):
        # Terms are ORed: one term without a GPU requirement lets the pod onto any node.
        loose = [str(i) for i, ok in enumerate(term_ok) if not ok]
        wrong.append(f"the required nodeSelectorTerms[{', '.join(loose)}] has no GPU requirement, and "
                     "terms are alternatives, so the pod may land on any node")
        selecting = [s for s in selecting if s.startswith("nodeSelector")]
    preferred = node.get("preferredDuringSchedulingIgnoredDuringExecution") or []
    for pref in preferred if isinstance(preferred, list) else []:
        pref_term = (pref.get("preference") if isinstance(pref, dict) else None) or {}
        for expr in (pref_term.get("matchExpressions") if isinstance(pref_term, dict) else None) or []:
            key, op, values = _expression(expr)
            seen.append(f"preferred {key} {op} {values}")
            if _selects_gpu(key, op, values):
                wrong.append(f"preferred {key} {op} only prefers GPU nodes; the scheduler still places the "
                             "pod on a node without one when no GPU node fits")
    return selecting, seen, wrong


@check("gpu-node-selector")
def gpu_node_selector(objects: Objects, *, points: float, kind: str | None = None,
                      name: str | None = None) -> CheckOutcome:
    """The pod *requires* GPU nodes: a nodeSelector or a required node-affinity term (every term,
    since terms are alternatives) on a label only GPU nodes carry, with an operator and value
    that select them (nvidia.com/gpu.present=true, nvidia.com/gpu.product In [...], a cloud
    accelerator label, ...). DoesNotExist, NotIn and preferred-only affinity do not select."""
    workload, which = target_workload(objects, kind, name)
    expected = ("nodeSelector or required node affinity selecting GPU nodes "
                "(e.g. nvidia.com/gpu.present=true or nvidia.com/gpu.product In [...])")
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    selecting, seen, wrong = _node_selection(spec)
    observed = f"{ref(workload)}: " + ("; ".join(seen) or "no node selection")
    # A nodeSelector that asks for gpu.present=false contradicts anything else that selects.
    if selecting and not any(w.startswith("nodeSelector ") for w in wrong):
        return passed(points, f"{which} It requires GPU nodes by {', '.join(selecting)}.", expected=expected,
                      observed=observed)
    why = f" {cap('; '.join(wrong))}." if wrong else ""
    return failed(points, f"{which} It doesn't require GPU nodes by label.{why} The toleration only allows "
                  "GPU nodes, it doesn't require them (or the right GPU model): use nodeSelector "
                  "nvidia.com/gpu.present: \"true\" or a required affinity on nvidia.com/gpu.product.",
                  expected=expected, observed=observed)
