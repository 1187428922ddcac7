"""Live checks: verdicts on the observed state of a sandbox. Pure: ObservedState in.

Static checks read what the student wrote; these read what the cluster made of it: available
replicas, Ready pods, Service endpoints, bound claims, HPA conditions, admitted Ingresses and
GPU pods that were either scheduled or are waiting for a GPU (the request was right).
"""

from __future__ import annotations

from dataclasses import dataclass

from grading.checks.gpu import GPU
from grading.checks.objects import name_of
from grading.labs import LIVE_CHECK_PREFIX
from grading.live.cluster import ObservedState


@dataclass(frozen=True)
class LiveVerdict:
    id: str
    title: str
    passed: bool
    message: str
    expected: str = ""
    observed: str = ""


def _condition(obj: dict, kind: str) -> str | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond.get("status")
    return None


def _replicas(state: ObservedState) -> list[LiveVerdict]:
    found = []
    for kind, field in (("Deployment", "availableReplicas"), ("StatefulSet", "readyReplicas")):
        for obj in state.of_kind(kind):
            want = (obj.get("spec") or {}).get("replicas", 1)
            have = (obj.get("status") or {}).get(field) or 0
            found.append(
                LiveVerdict(
                    f"{LIVE_CHECK_PREFIX}{kind.lower()}-{name_of(obj)}",
                    f"{kind}/{name_of(obj)} is available",
                    have >= want,
                    f"{kind}/{name_of(obj)} has {have} of {want} replicas {field.removesuffix('Replicas')}.",
                    expected=f"{field} >= {want}",
                    observed=f"{field}: {have}",
                )
            )
    return found


def _pods(state: ObservedState) -> list[LiveVerdict]:
    # GPU pods get their own verdict: one waiting for a free GPU is not the student's fault.
    pods = [
        p
        for p in state.of_kind("Pod")
        if (p.get("status") or {}).get("phase") != "Succeeded" and not _requests_gpu(p)
    ]
    if not pods:
        return []
    not_ready = [name_of(p) for p in pods if _condition(p, "Ready") != "True"]
    return [
        LiveVerdict(
            f"{LIVE_CHECK_PREFIX}pods-ready",
            "Every pod is Ready",
            not not_ready,
            f"{len(pods) - len(not_ready)} of {len(pods)} pods are Ready"
            + (f"; not Ready: {', '.join(not_ready)}." if not_ready else "."),
            expected="all pods Ready",
            observed=", ".join(not_ready) or "all Ready",
        )
    ]


def _endpoints(state: ObservedState) -> list[LiveVerdict]:
    found = []
    slices = state.of_kind("EndpointSlice")
    for svc in state.of_kind("Service"):
        if not (svc.get("spec") or {}).get("selector"):
            continue
        service = name_of(svc)
        mine = [
            s for s in slices
            if ((s.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name") == service
        ]
        ready = sum(
            1
            for s in mine
            for e in s.get("endpoints") or []
            if (e.get("conditions") or {}).get("ready", True)
        )
        found.append(
            LiveVerdict(
                f"{LIVE_CHECK_PREFIX}service-{name_of(svc)}",
                f"Service/{name_of(svc)} has endpoints",
                ready > 0,
                f"Service/{name_of(svc)} has {ready} ready endpoint(s).",
                expected="at least one ready endpoint",
                observed=f"{ready} ready",
            )
        )
    return found


def _claims(state: ObservedState) -> list[LiveVerdict]:
    return [
        LiveVerdict(
            f"{LIVE_CHECK_PREFIX}pvc-{name_of(pvc)}",
            f"PersistentVolumeClaim/{name_of(pvc)} is Bound",
            (pvc.get("status") or {}).get("phase") == "Bound",
            f"PersistentVolumeClaim/{name_of(pvc)} is {(pvc.get('status') or {}).get('phase', 'Pending')}.",
            expected="Bound",
            observed=str((pvc.get("status") or {}).get("phase", "Pending")),
        )
        for pvc in state.of_kind("PersistentVolumeClaim")
    ]


def _autoscalers(state: ObservedState) -> list[LiveVerdict]:
    found = []
    for hpa in state.of_kind("HorizontalPodAutoscaler"):
        able, active = _condition(hpa, "AbleToScale"), _condition(hpa, "ScalingActive")
        found.append(
            LiveVerdict(
                f"{LIVE_CHECK_PREFIX}hpa-{name_of(hpa)}",
                f"HorizontalPodAutoscaler/{name_of(hpa)} is active",
                able == "True" and active == "True",
                f"HorizontalPodAutoscaler/{name_of(hpa)}: AbleToScale {able}, ScalingActive {active}.",
                expected="AbleToScale True, ScalingActive True",
                observed=f"AbleToScale {able}, ScalingActive {active}",
            )
        )
    return found


def _ingresses(state: ObservedState) -> list[LiveVerdict]:
    return [
        LiveVerdict(
            f"{LIVE_CHECK_PREFIX}ingress-{name_of(ing)}",
            f"Ingress/{name_of(ing)} is admitted",
            bool(((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress")),
            f"Ingress/{name_of(ing)} "
            + (
                "has an address."
                if ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress")
                else "has no address: no ingress controller admitted it."
            ),
            expected="status.loadBalancer.ingress set",
        )
        for ing in state.of_kind("Ingress")
    ]


def _requests_gpu(pod: dict) -> bool:
    for c in (pod.get("spec") or {}).get("containers") or []:
        res = c.get("resources") or {}
        if GPU in (res.get("limits") or {}) or GPU in (res.get("requests") or {}):
            return True
    return False


def _gpu_pods(state: ObservedState) -> list[LiveVerdict]:
    found = []
    for pod in state.of_kind("Pod"):
        if not _requests_gpu(pod):
            continue
        scheduled = bool((pod.get("spec") or {}).get("nodeName"))
        waiting = any(
            GPU in (c.get("message") or "") and "Insufficient" in (c.get("message") or "")
            for c in (pod.get("status") or {}).get("conditions") or []
        )
        found.append(
            LiveVerdict(
                f"{LIVE_CHECK_PREFIX}gpu-{name_of(pod)}",
                f"Pod/{name_of(pod)} asks the scheduler for a GPU",
                scheduled or waiting,
                f"Pod/{name_of(pod)} "
                + (
                    "was scheduled on a GPU node."
                    if scheduled
                    else "is Pending with 'Insufficient nvidia.com/gpu': the request is right, the "
                    "cluster has no GPU free."
                    if waiting
                    else "is neither scheduled nor waiting for a GPU."
                ),
                expected="scheduled, or Pending for Insufficient nvidia.com/gpu",
            )
        )
    return found


def live_checks(state: ObservedState) -> list[LiveVerdict]:
    verdicts = []
    for part in (_replicas, _pods, _endpoints, _claims, _autoscalers, _ingresses, _gpu_pods):
        verdicts += part(state)
    return verdicts
