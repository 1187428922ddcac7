"""Diagnostics: the symptoms of a live sandbox turned into teaching. Pure: observed state in.

Each Diagnosis names the object, the cause in plain words, the kubectl command that shows it,
the evidence (log lines, label sets, event messages) and the lesson section ("Common
pitfalls") that explains it. `settled` tells the live stage when waiting longer is pointless.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from grading.checks.objects import name_of
from grading.live.cluster import ObservedState

PITFALLS = {  # code -> lesson link (resolved to a URL by the caller)
    "CrashLoopBackOff": "04-deployments-services.md#common-pitfalls",
    "ImagePullBackOff": "04-deployments-services.md#common-pitfalls",
    "ReadinessFailing": "04-deployments-services.md#common-pitfalls",
    "ServiceSelectsNothing": "04-deployments-services.md#common-pitfalls",
    "CreateContainerConfigError": "07-configuration-secrets.md#common-pitfalls",
    "InsufficientResources": "02-k8s-architecture.md#common-pitfalls",
    "InsufficientGPU": "09-gpu-scheduling.md#common-pitfalls",
    "UnboundPVC": "06-storage-persistence.md#common-pitfalls",
    "PodSecurityRejected": "03-core-resources.md#common-pitfalls",
    "QuotaExceeded": "03-core-resources.md#common-pitfalls",
}
_IMAGE = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName"}
_INSUFFICIENT = re.compile(r"Insufficient ([\w./-]+)")


@dataclass(frozen=True)
class Diagnosis:
    code: str
    subject: str  # "Pod/iris-7d9 container server"
    cause: str
    command: str
    evidence: str = ""
    lesson_link: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        return f"{self.subject}: {self.cause} See it with `{self.command}`."


def _diag(code: str, subject: str, cause: str, command: str, evidence: str = "") -> Diagnosis:
    return Diagnosis(code, subject, cause, command, evidence.strip(), PITFALLS.get(code, ""))


def _events_for(state: ObservedState, kind: str, name: str) -> list[dict]:
    return [
        e
        for e in state.events
        if (e.get("involvedObject") or {}).get("kind") == kind
        and (e.get("involvedObject") or {}).get("name") == name
    ]


def _container_diagnoses(state: ObservedState, pod: dict, ns: str) -> list[Diagnosis]:
    found = []
    pod_name = name_of(pod)
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason, message = waiting.get("reason", ""), waiting.get("message", "")
        subject = f"Pod/{pod_name} container {cs.get('name')}"
        if reason == "CrashLoopBackOff":
            logs = state.logs.get(f"{pod_name}/{cs.get('name')}", "")
            found.append(
                _diag(
                    "CrashLoopBackOff",
                    subject,
                    f"the container keeps exiting (restarted {cs.get('restartCount', 0)} times); "
                    "its last log lines "
                    "usually say why (a wrong command, a missing file or variable, a crash at start-up).",
                    f"kubectl logs -n {ns} {pod_name} -c {cs.get('name')} --previous",
                    logs or message,
                )
            )
        elif reason in _IMAGE:
            found.append(
                _diag(
                    "ImagePullBackOff",
                    subject,
                    f"the image {cs.get('image')!r} cannot be pulled: check its name and tag, "
                    "and that the registry "
                    "is public (or that an imagePullSecret is set).",
                    f"kubectl describe pod -n {ns} {pod_name}",
                    message,
                )
            )
        elif reason == "CreateContainerConfigError":
            found.append(
                _diag(
                    "CreateContainerConfigError",
                    subject,
                    "the container refers to a ConfigMap or Secret (or a key in one) that does not exist.",
                    f"kubectl describe pod -n {ns} {pod_name}",
                    message,
                )
            )
        elif "running" in (cs.get("state") or {}) and not cs.get("ready"):
            probes = [
                e.get("message", "")
                for e in _events_for(state, "Pod", pod_name)
                if e.get("reason") == "Unhealthy"
            ]
            if any("Readiness probe failed" in m for m in probes):
                found.append(
                    _diag(
                        "ReadinessFailing",
                        subject,
                        "the container runs but its readiness probe fails, so no Service sends it "
                        "traffic: check the "
                        "probe's path and port against what the application serves.",
                        f"kubectl describe pod -n {ns} {pod_name}",
                        "\n".join(probes[-3:]),
                    )
                )
    return found


def _pending_diagnoses(state: ObservedState, pod: dict, ns: str) -> list[Diagnosis]:
    status = pod.get("status") or {}
    if status.get("phase") != "Pending":
        return []
    unschedulable = [
        c
        for c in status.get("conditions") or []
        if c.get("type") == "PodScheduled" and c.get("status") == "False"
    ]
    messages = [c.get("message", "") for c in unschedulable] + [
        e.get("message", "")
        for e in _events_for(state, "Pod", name_of(pod))
        if e.get("reason") == "FailedScheduling"
    ]
    text = next((m for m in messages if m), "")
    if not text:
        return []
    subject, command = f"Pod/{name_of(pod)}", f"kubectl describe pod -n {ns} {name_of(pod)}"
    if "unbound" in text and "PersistentVolumeClaim" in text:
        return [
            _diag(
                "UnboundPVC",
                subject,
                "the pod waits for a PersistentVolumeClaim that is not bound to a "
                "volume (a wrong storageClassName, or a size or access mode nothing provides).",
                command,
                text,
            )
        ]
    short = sorted({r.rstrip(".,") for r in _INSUFFICIENT.findall(text)})
    if "nvidia.com/gpu" in short:
        return [
            _diag(
                "InsufficientGPU",
                subject,
                "no node has a free nvidia.com/gpu. The request itself is right; "
                "the cluster has no GPU free right now.",
                command,
                text,
            )
        ]
    if short:
        return [
            _diag(
                "InsufficientResources",
                subject,
                f"no node has enough {' and '.join(short)} free for the "
                "pod's requests: lower the requests (or the replicas).",
                command,
                text,
            )
        ]
    return []


def _service_diagnoses(state: ObservedState, ns: str) -> list[Diagnosis]:
    found = []
    pods = state.of_kind("Pod")
    for svc in state.of_kind("Service"):
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        labels = [(p.get("metadata") or {}).get("labels") or {} for p in pods]
        if any(all(lbl.get(k) == v for k, v in selector.items()) for lbl in labels):
            continue
        seen = "; ".join(f"Pod/{name_of(p)}: {(p.get('metadata') or {}).get('labels') or {}}" for p in pods)
        found.append(
            _diag(
                "ServiceSelectsNothing",
                f"Service/{name_of(svc)}",
                "its selector matches no pod, so it has no endpoints: the selector must equal the pod "
                "template's labels.",
                f"kubectl get endpointslices -n {ns} -l kubernetes.io/service-name={name_of(svc)}",
                f"selector: {selector}\npods: {seen or 'none'}",
            )
        )
    return found


def _pvc_diagnoses(state: ObservedState, ns: str) -> list[Diagnosis]:
    found = []
    for pvc in state.of_kind("PersistentVolumeClaim"):
        if (pvc.get("status") or {}).get("phase") == "Pending":
            events = [e.get("message", "") for e in _events_for(state, "PersistentVolumeClaim", name_of(pvc))]
            found.append(
                _diag(
                    "UnboundPVC",
                    f"PersistentVolumeClaim/{name_of(pvc)}",
                    "the claim is not bound to a volume: check storageClassName, size and access mode.",
                    f"kubectl describe pvc -n {ns} {name_of(pvc)}",
                    "\n".join(events[-3:]),
                )
            )
    return found


def _replicaset_diagnoses(state: ObservedState, ns: str) -> list[Diagnosis]:
    found = []
    for event in state.events:
        involved = event.get("involvedObject") or {}
        if involved.get("kind") not in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
            continue
        if event.get("reason") != "FailedCreate":
            continue
        message = event.get("message", "")
        subject = f"{involved.get('kind')}/{involved.get('name')}"
        command = f"kubectl describe {involved.get('kind', '').lower()} -n {ns} {involved.get('name')}"
        if "violates PodSecurity" in message:
            found.append(
                _diag(
                    "PodSecurityRejected",
                    subject,
                    "the sandbox enforces the 'restricted' Pod Security "
                    "Standard and refused the pods: run as non-root, drop all capabilities, no "
                    "privilege escalation, a seccompProfile of RuntimeDefault.",
                    command,
                    message,
                )
            )
        elif "exceeded quota" in message or "must specify" in message:
            found.append(
                _diag(
                    "QuotaExceeded",
                    subject,
                    "the namespace's ResourceQuota refused the pods: lower the "
                    "requests or replicas (every container needs requests and limits).",
                    command,
                    message,
                )
            )
    unique = {(d.code, d.subject): d for d in found}
    return list(unique.values())


def diagnose(state: ObservedState, namespace: str) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    for pod in state.of_kind("Pod"):
        found += _container_diagnoses(state, pod, namespace)
        found += _pending_diagnoses(state, pod, namespace)
    found += _service_diagnoses(state, namespace)
    found += _pvc_diagnoses(state, namespace)
    found += _replicaset_diagnoses(state, namespace)
    return found


_DEFINITIVE = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "CreateContainerConfigError",
    "PodSecurityRejected",
    "QuotaExceeded",
    "InsufficientGPU",
    "InsufficientResources",
}


def settled(state: ObservedState) -> bool:
    """True when waiting longer will not change the verdict: every workload is available, or
    something is definitively broken."""
    if any(d.code in _DEFINITIVE for d in diagnose(state, "")):
        return True
    for dep in state.of_kind("Deployment") + state.of_kind("StatefulSet"):
        want = (dep.get("spec") or {}).get("replicas", 1)
        status = dep.get("status") or {}
        have = status.get("availableReplicas", status.get("readyReplicas", 0)) or 0
        if have < want:
            return False
    for pod in state.of_kind("Pod"):
        if (pod.get("status") or {}).get("phase") == "Pending":
            return False
    for pvc in state.of_kind("PersistentVolumeClaim"):
        if (pvc.get("status") or {}).get("phase") != "Bound":
            return False
    for hpa in state.of_kind("HorizontalPodAutoscaler"):  # metrics arrive a little later
        if not any(
            c.get("type") == "ScalingActive" for c in (hpa.get("status") or {}).get("conditions") or []
        ):
            return False
    return all(
        ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        for ing in state.of_kind("Ingress")
    )
