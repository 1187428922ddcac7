"""Checks on HorizontalPodAutoscalers: target, range, metrics and the requests they divide by."""

from grading.checks.base import CheckOutcome, check, failed, join, scored
from grading.checks.objects import Objects, ref
from grading.checks.pods import containers, quantity, target_workload

_GROUPS = {"Deployment": "apps", "StatefulSet": "apps", "ReplicaSet": "apps"}


def _resolves(hpa: dict, workload: dict) -> bool:
    target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    api_version = str(target.get("apiVersion", ""))
    group = api_version.split("/")[0] if "/" in api_version else ""
    name = (workload.get("metadata") or {}).get("name")
    return (target.get("kind") == workload.get("kind") and target.get("name") == name
            and group == _GROUPS.get(str(workload.get("kind")), group))


def _target_text(hpa: dict) -> str:
    t = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return f"{t.get('apiVersion', '?')} {t.get('kind', '?')}/{t.get('name', '?')}"


def _hpa_for(objects: Objects, workload: dict | None) -> dict | None:
    hpas = objects.of_kind("HorizontalPodAutoscaler")
    if workload is not None:
        for hpa in hpas:
            if _resolves(hpa, workload):
                return hpa
    return hpas[0] if hpas else None


@check("hpa-targets-workload")
def hpa_targets_workload(objects: Objects, *, points: float, kind: str | None = None,
                         name: str | None = None) -> CheckOutcome:
    """An autoscaling/v2 HPA whose scaleTargetRef (apiVersion, kind, name) resolves to the workload.
    Half the points for the target, half for the API version."""
    workload, which = target_workload(objects, kind or "Deployment", name)
    target = ref(workload) if workload else "Deployment"
    expected = f"an autoscaling/v2 HPA with scaleTargetRef apps/v1 {target}"
    if workload is None:
        return failed(points, which, expected=expected, observed="no Deployment")
    hpa = _hpa_for(objects, workload)
    if hpa is None:
        return failed(points, f"{which} No HorizontalPodAutoscaler scales it.", expected=expected,
                      observed="no HorizontalPodAutoscaler")
    v2 = hpa.get("apiVersion") == "autoscaling/v2"
    hits = _resolves(hpa, workload)
    observed = f"{hpa.get('apiVersion')} {ref(hpa)} targets {_target_text(hpa)}"
    problems = []
    if not hits:
        problems.append(f"{ref(hpa)} targets {_target_text(hpa)}, not {ref(workload)}")
    if not v2:
        problems.append(f"{ref(hpa)} uses {hpa.get('apiVersion')}; use autoscaling/v2, which supports "
                        "several metrics and scaling behaviour")
    return scored(int(v2) + int(hits), 2, points,
                  message_ok=f"{which} {ref(hpa)} (autoscaling/v2) scales it.",
                  message_bad=f"{which} {join(problems)}.", expected=expected, observed=observed)


@check("hpa-replica-range")
def hpa_replica_range(objects: Objects, *, points: float) -> CheckOutcome:
    """Each HPA's minReplicas (default 1) is at least 1 and below maxReplicas."""
    hpas = objects.of_kind("HorizontalPodAutoscaler")
    expected = "1 <= minReplicas < maxReplicas"
    if not hpas:
        return failed(points, "The submission has no HorizontalPodAutoscaler.", expected=expected,
                      observed="no HPA")
    bad, seen = [], []
    for hpa in hpas:
        spec = hpa.get("spec") or {}
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        seen.append(f"{ref(hpa)} min {low}, max {high}")
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low < high):
            bad.append(f"{ref(hpa)} has minReplicas {low} and maxReplicas {high}")
    return scored(len(hpas) - len(bad), len(hpas), points,
                  message_ok=f"The autoscaler has room to scale ({join(seen)}).",
                  message_bad=f"{join(bad)}: with min equal to max (or above) it can never scale.",
                  expected=expected, observed="; ".join(seen))


def _utilization_metrics(hpa: dict) -> list[tuple[str, str | None]]:
    """(resource, container or None) for every Utilization target; v1's CPU percentage too."""
    spec = hpa.get("spec") or {}
    found: list[tuple[str, str | None]] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        found.append(("cpu", None))
    for metric in spec.get("metrics") or []:
        source = metric.get("resource") if metric.get("type") == "Resource" else \
            metric.get("containerResource") if metric.get("type") == "ContainerResource" else None
        if source and (source.get("target") or {}).get("type") == "Utilization" \
                and (source.get("target") or {}).get("averageUtilization") is not None:
            found.append((str(source.get("name")), source.get("container")))
    return found


@check("hpa-utilization-metrics")
def hpa_utilization_metrics(objects: Objects, *, points: float,
                            resources: list[str] | None = None) -> CheckOutcome:
    """Each HPA scales on CPU and/or memory utilisation (a Resource or ContainerResource metric
    with target type Utilization); `resources` lists the ones that must all be there."""
    hpas = objects.of_kind("HorizontalPodAutoscaler")
    required = resources or []
    expected = ("Utilization targets for " + " and ".join(required)) if required \
        else "a CPU or memory Utilization target"
    if not hpas:
        return failed(points, "The submission has no HorizontalPodAutoscaler.", expected=expected,
                      observed="no HPA")
    bad, seen = [], []
    for hpa in hpas:
        measured = {r for r, _ in _utilization_metrics(hpa) if r in ("cpu", "memory")}
        seen.append(f"{ref(hpa)} measures {', '.join(sorted(measured)) or 'no cpu/memory utilisation'}")
        if not measured or any(r not in measured for r in required):
            bad.append(ref(hpa))
    return scored(len(hpas) - len(bad), len(hpas), points,
                  message_ok=f"{join(seen)}.",
                  message_bad=f"{join(bad)} has no {expected.removeprefix('a ')}: add a Resource metric "
                              "with target type Utilization and averageUtilization.",
                  expected=expected, observed="; ".join(seen))


@check("hpa-target-requests")
def hpa_target_requests(objects: Objects, *, points: float) -> CheckOutcome:
    """Every container of each HPA's target requests each resource the HPA measures as
    utilisation (a limit alone counts: the request then defaults to it). Partial credit."""
    hpas = objects.of_kind("HorizontalPodAutoscaler")
    expected = "a request for each measured resource on every container of the target"
    if not hpas:
        return failed(points, "The submission has no HorizontalPodAutoscaler.", expected=expected,
                      observed="no HPA")
    total, missing, unresolved = 0, [], []
    for hpa in hpas:
        target = next((w for w in objects.workloads() if _resolves(hpa, w)), None)
        if target is None:
            unresolved.append(f"{ref(hpa)} targets {_target_text(hpa)}, which is not in the submission")
            continue
        spec = objects.pod_template(target)["spec"]
        for resource, only in _utilization_metrics(hpa):
            for label, c in containers(spec):
                if only and c.get("name") != only:
                    continue
                total += 1
                res = c.get("resources") or {}
                if quantity((res.get("requests") or {}).get(resource)) is None and \
                        quantity((res.get("limits") or {}).get(resource)) is None:
                    missing.append(f"{label} of {ref(target)} requests no {resource}")
    if unresolved and not total:
        return failed(points, f"{join(unresolved)}, so its requests can't be checked.",
                      expected=expected, observed="; ".join(unresolved))
    if not total:
        return failed(points, "No HPA measures CPU or memory utilisation, so there is nothing to divide by.",
                      expected=expected, observed="no utilisation metrics")
    outcome = scored(total - len(missing), total, points,
                     message_ok="Every container of the target requests what the HPA measures.",
                     message_bad=f"The {join(missing)}: utilisation is usage divided by the request, so the "
                                 "HPA shows <unknown> and never scales.",
                     expected=expected, observed="; ".join(missing + unresolved) or "all requested")
    if unresolved and outcome.passed:
        return failed(points, f"{join(unresolved)}.", expected=expected, observed="; ".join(unresolved))
    return outcome

