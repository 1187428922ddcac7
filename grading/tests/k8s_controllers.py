"""Controllers played on the emulator, so pipeline tests see what a cluster would make of a
submission: a Deployment gets a ReplicaSet and pods, and a pod's fate follows its spec —

- image containing "does-not-exist": ErrImagePull → ImagePullBackOff;
- command containing "false" (or "exit 1"): CrashLoopBackOff, with log lines to read;
- requests beyond a node (more than 4 cpu, 8Gi memory, any nvidia.com/gpu): Pending, Unschedulable;
- env from a ConfigMap/Secret that is not there: CreateContainerConfigError;
- pods the namespace's Pod Security level refuses (its enforce label), or that name a service
  account the namespace does not have: FailedCreate on the ReplicaSet, with the admission
  message; admitted pods get their account's token volume when automount is on;
- otherwise: Running and Ready. Services get EndpointSlices for the ready pods they select.
"""

from __future__ import annotations

import copy

from grading.tests.k8s_emulator import KubernetesEmulator

NODE_CPU, NODE_MEMORY_GI = 4.0, 8.0
CRASH_LOG = "Starting model server\nloading /models/iris.pkl\nFileNotFoundError: /models/iris.pkl"


def _cpu(value) -> float:
    text = str(value or "0")
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _gi(value) -> float:
    text = str(value or "0")
    for suffix, factor in (("Gi", 1), ("Mi", 1 / 1024), ("Ki", 1 / 1024**2)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text) / 1024**3


def _event(emu: KubernetesEmulator, ns: str, kind: str, name: str, reason: str, message: str) -> None:
    emu.put(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.{reason.lower()}", "namespace": ns},
            "involvedObject": {"kind": kind, "name": name, "namespace": ns},
            "type": "Warning",
            "reason": reason,
            "message": message,
        }
    )


def _missing_config(emu: KubernetesEmulator, ns: str, container: dict) -> str | None:
    for var in container.get("env") or []:
        source = var.get("valueFrom") or {}
        for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = source.get(key)
            if not ref:
                continue
            obj = emu.get("v1", kind, ref["name"], ns)
            if obj is None:
                return f'{kind.lower()} "{ref["name"]}" not found'
            if ref.get("key") not in (obj.get("data") or {}) and ref.get("key") not in (
                obj.get("stringData") or {}
            ):
                return f"couldn't find key {ref.get('key')} in {kind} {ns}/{ref['name']}"
    return None


def _pod_status(emu: KubernetesEmulator, ns: str, pod_name: str, spec: dict) -> tuple[dict, str | None]:
    containers = spec.get("containers") or []
    cpu = sum(_cpu(((c.get("resources") or {}).get("requests") or {}).get("cpu")) for c in containers)
    mem = sum(_gi(((c.get("resources") or {}).get("requests") or {}).get("memory")) for c in containers)
    gpu = any("nvidia.com/gpu" in ((c.get("resources") or {}).get("limits") or {}) for c in containers)
    short = [
        n
        for n, over in (("cpu", cpu > NODE_CPU), ("memory", mem > NODE_MEMORY_GI), ("nvidia.com/gpu", gpu))
        if over
    ]
    if short:
        message = "0/3 nodes are available: " + ", ".join(f"3 Insufficient {n}" for n in short) + "."
        return {
            "phase": "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
            ],
        }, None
    statuses, ready = [], True
    for c in containers:
        command = " ".join(c.get("command") or []) + " " + " ".join(c.get("args") or [])
        missing = _missing_config(emu, ns, c)
        status = {"name": c["name"], "image": c.get("image"), "restartCount": 0, "ready": False}
        if "does-not-exist" in str(c.get("image")):
            status["state"] = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{c.get("image")}"',
                }
            }
        elif missing:
            status["state"] = {"waiting": {"reason": "CreateContainerConfigError", "message": missing}}
        elif "false" in command.split() or "exit 1" in command:
            status["restartCount"] = 4
            status["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": "back-off 1m20s restarting failed container",
                }
            }
            emu.logs[(ns, pod_name, c["name"])] = CRASH_LOG
        else:
            status["state"] = {"running": {"startedAt": "2026-11-01T12:00:00Z"}}
            status["ready"] = True
        ready = ready and status["ready"]
        statuses.append(status)
    conditions = [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": str(ready)}]
    return {"phase": "Running", "conditions": conditions, "containerStatuses": statuses}, "node-1"


def _pod_security_violations(level: str, spec: dict) -> list[str]:
    """The checks of the Pod Security Standards that labs run into (baseline ⊂ restricted),
    phrased like the PodSecurity admission plugin's messages."""
    if level not in ("baseline", "restricted"):
        return []
    found = [
        f"host namespaces ({key}=true)" for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key)
    ]
    found += [
        f'hostPath volumes (volume "{v.get("name")}")' for v in spec.get("volumes") or [] if "hostPath" in v
    ]
    pod_ctx = spec.get("securityContext") or {}
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    for c in containers:
        ctx = c.get("securityContext") or {}
        if ctx.get("privileged"):
            found.append(f'privileged (container "{c["name"]}" must not set securityContext.privileged=true)')
        if level != "restricted":
            continue
        if ctx.get("allowPrivilegeEscalation") is not False:
            found.append(
                f'allowPrivilegeEscalation != false (container "{c["name"]}" must set '
                "securityContext.allowPrivilegeEscalation=false)"
            )
        if "ALL" not in ((ctx.get("capabilities") or {}).get("drop") or []):
            found.append(
                f'unrestricted capabilities (container "{c["name"]}" must set '
                'securityContext.capabilities.drop=["ALL"])'
            )
        if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")):
            found.append(
                f'runAsNonRoot != true (pod or container "{c["name"]}" must set '
                "securityContext.runAsNonRoot=true)"
            )
        seccomp = (ctx.get("seccompProfile") or pod_ctx.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(
                f'seccompProfile (pod or container "{c["name"]}" must set '
                'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
            )
    return found


def _restricted_violation(emu: KubernetesEmulator, ns: str, spec: dict) -> str | None:
    labels = (emu.get("v1", "Namespace", ns) or {}).get("metadata", {}).get("labels", {})
    level = labels.get("pod-security.kubernetes.io/enforce", "privileged")
    version = labels.get("pod-security.kubernetes.io/enforce-version", "latest")
    found = _pod_security_violations(level, spec)
    return f'violates PodSecurity "{level}:{version}": {", ".join(found)}' if found else None


def _sync_endpoints(emu: KubernetesEmulator, ns: str) -> None:
    pods = emu.objects(ns, kind="Pod")
    for svc in emu.objects(ns, kind="Service"):
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        chosen = [
            p for p in pods if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
        ]
        emu.put(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{svc['metadata']['name']}-slice",
                    "namespace": ns,
                    "labels": {"kubernetes.io/service-name": svc["metadata"]["name"]},
                },
                "addressType": "IPv4",
                "endpoints": [
                    {
                        "addresses": ["10.0.0.1"],
                        "conditions": {
                            "ready": any(
                                c.get("type") == "Ready" and c.get("status") == "True"
                                for c in p.get("status", {}).get("conditions", [])
                            )
                        },
                        "targetRef": {"kind": "Pod", "name": p["metadata"]["name"]},
                    }
                    for p in chosen
                ],
            }
        )


def play(emu: KubernetesEmulator, obj: dict) -> None:
    """An on_write hook: react to a write as the cluster's controllers would."""
    ns = obj["metadata"].get("namespace", "")
    if obj.get("kind") == "Deployment":
        name, spec = obj["metadata"]["name"], obj.get("spec") or {}
        template = spec.get("template") or {}
        rs_name = f"{name}-5d8f"
        emu.put(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": template.get("metadata", {}).get("labels"),
                },
                "spec": {"replicas": spec.get("replicas", 1)},
            }
        )
        violation = _restricted_violation(emu, ns, template.get("spec") or {})
        # The ServiceAccount admission plugin runs on the ReplicaSet controller's pods too.
        account = emu.service_account_admission({"metadata": {"name": f"{rs_name}-x"},
                                                 "spec": copy.deepcopy(template.get("spec") or {})}, ns)
        violation = violation or (account.message.split(" is forbidden: ", 1)[-1] if account else None)
        available = 0
        if violation:
            _event(
                emu,
                ns,
                "ReplicaSet",
                rs_name,
                "FailedCreate",
                f'Error creating: pods "{rs_name}-x" is forbidden: {violation}',
            )
        else:
            for i in range(spec.get("replicas", 1)):
                pod_name = f"{rs_name}-{i}"
                status, node = _pod_status(emu, ns, pod_name, template.get("spec") or {})
                pod = {"metadata": {"name": pod_name}, "spec": copy.deepcopy(template.get("spec") or {})}
                emu.service_account_admission(pod, ns)  # fills the account in, mounts its token
                pod_spec = {**pod["spec"], **({"nodeName": node} if node else {})}
                emu.put(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": pod_name,
                            "namespace": ns,
                            "labels": template.get("metadata", {}).get("labels") or {},
                        },
                        "spec": pod_spec,
                        "status": status,
                    }
                )
                if status["phase"] == "Pending":
                    _event(emu, ns, "Pod", pod_name, "FailedScheduling", status["conditions"][0]["message"])
                available += all(c.get("ready") for c in status.get("containerStatuses") or [{}])
        obj["status"] = {
            "replicas": spec.get("replicas", 1),
            "availableReplicas": available,
            "readyReplicas": available,
        }
        _sync_endpoints(emu, ns)
    elif obj.get("kind") == "Service":
        _sync_endpoints(emu, ns)
    elif obj.get("kind") == "PersistentVolumeClaim":
        obj["status"] = {"phase": "Bound" if obj["spec"].get("storageClassName") != "missing" else "Pending"}
