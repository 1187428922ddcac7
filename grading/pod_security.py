"""The Pod Security Standards a sandbox enforces, checked before anything reaches a cluster.

The cluster's admission controller is the authority, but it refuses *pods*, not Deployments: a
Deployment whose pods break the standard is accepted and then never gets a pod, and the student
learns why only from events. Checking the same rules here names the file, line and field at
once, and gives the same verdict whether or not live grading is on. Pure: no Django.

Rules follow https://kubernetes.io/docs/concepts/security/pod-security-standards/ (v1.32) for
what student manifests can hit; the sandbox policy (grading/policy.py) already refuses the
rest of baseline (privileged, host namespaces, hostPath, added capabilities).
"""

from __future__ import annotations

from grading.parsing import ParsedObject, Problem

LEVELS = ("restricted", "baseline", "privileged")
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                           "persistentVolumeClaim", "projected", "secret"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}
LESSON = "lesson 03, Running as non-root"
LESSON_LINK = "03-core-resources.md#running-as-non-root"


def check_pod_security(obj: ParsedObject, base: list, spec: dict, level: str) -> list[Problem]:
    """Problems with the pod spec at `base` in `obj` under `level`."""
    if level not in ("restricted", "baseline"):
        return []
    ref, problems = obj.ref, []
    pod_ctx = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    containers = [(group, i, c) for group in CONTAINER_GROUPS
                  for i, c in enumerate(spec.get(group) or []) if isinstance(c, dict)]

    # baseline
    if _seccomp(pod_ctx) == "Unconfined":
        problems.append(obj.problem(base + ["securityContext", "seccompProfile", "type"],
                                    f"{ref}: seccompProfile Unconfined is not allowed "
                                    f"(Pod Security {level!r})"))
    for group, i, c in containers:
        for j, port in enumerate(c.get("ports") or []):
            if isinstance(port, dict) and port.get("hostPort"):
                problems.append(obj.problem(base + [group, i, "ports", j, "hostPort"],
                                            f"{ref}: container {c.get('name', i)!r} asks for "
                                            f"hostPort {port['hostPort']}; sandbox pods are reached "
                                            "through a Service, not the node's ports"))
        if _seccomp(_ctx(c)) == "Unconfined":
            problems.append(obj.problem(base + [group, i, "securityContext", "seccompProfile"],
                                        f"{ref}: container {c.get('name', i)!r}: seccompProfile "
                                        f"Unconfined is not allowed (Pod Security {level!r})"))
    if level != "restricted":
        return problems

    for i, volume in enumerate(spec.get("volumes") or []):
        if not isinstance(volume, dict):
            continue
        kinds = [k for k in volume if k != "name" and k not in RESTRICTED_VOLUME_TYPES]
        if kinds:
            problems.append(obj.problem(base + ["volumes", i, kinds[0]],
                                        f"{ref}: volume {volume.get('name', i)!r} is of type "
                                        f"{kinds[0]}, which Pod Security 'restricted' does not "
                                        "allow; use a PersistentVolumeClaim, emptyDir, ConfigMap, "
                                        "Secret or projected volume"))
    if pod_ctx.get("runAsUser") == 0:
        problems.append(obj.problem(base + ["securityContext", "runAsUser"],
                                    f"{ref}: runAsUser 0 is root; Pod Security 'restricted' needs "
                                    "a non-zero user"))
    for group, i, c in containers:
        missing = _restricted_missing(pod_ctx, _ctx(c))
        if missing:
            where = base + [group, i, "securityContext"] if "securityContext" in c else base + [group, i]
            problems.append(obj.problem(where, (
                f"{ref}: container {c.get('name', i)!r} does not meet Pod Security 'restricted', "
                f"which the sandbox enforces: set {'; '.join(missing)} (see {LESSON})"),
                lesson_link=LESSON_LINK))
    return problems


def _ctx(container: dict) -> dict:
    ctx = container.get("securityContext")
    return ctx if isinstance(ctx, dict) else {}


def _seccomp(ctx: dict) -> str | None:
    profile = ctx.get("seccompProfile")
    return profile.get("type") if isinstance(profile, dict) else None


def _restricted_missing(pod_ctx: dict, ctx: dict) -> list[str]:
    """What the container (or, where the standard allows, its pod) still has to set."""
    missing = []
    non_root = ctx["runAsNonRoot"] if "runAsNonRoot" in ctx else pod_ctx.get("runAsNonRoot")
    if non_root is not True:
        missing.append("securityContext.runAsNonRoot: true (pod or container)")
    if ctx.get("runAsUser") == 0:
        missing.append("a non-zero securityContext.runAsUser")
    if ctx.get("allowPrivilegeEscalation") is not False:
        missing.append("securityContext.allowPrivilegeEscalation: false")
    drop = (ctx.get("capabilities") or {}).get("drop") if isinstance(ctx.get("capabilities"), dict) else None
    if not isinstance(drop, list) or "ALL" not in drop:
        missing.append("securityContext.capabilities.drop: [ALL]")
    if (_seccomp(ctx) or _seccomp(pod_ctx)) not in SECCOMP_OK:
        missing.append("securityContext.seccompProfile.type: RuntimeDefault (pod or container)")
    return missing
