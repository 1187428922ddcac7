"""The Pod Security Standards a sandbox enforces, checked before anything reaches a cluster.

The cluster's admission controller is the authority, but it refuses *pods*, not Deployments: a
Deployment whose pods break the standard is accepted and then never gets a pod, and the student
learns why only from events. Checking the same rules here names the file, line and field at
once, and gives the same verdict whether or not live grading is on. Pure: no Django.

The rules are those of https://kubernetes.io/docs/concepts/security/pod-security-standards/ at
v1.32 (the version sandboxes pin, grading/live/sandbox.py) for Linux pods. Baseline's privileged
containers, host namespaces, hostPath volumes and added capabilities are refused by the sandbox
policy itself at every level (grading/intake/policy.py), more strictly than the standard: only
NET_BIND_SERVICE may be added.
"""

from __future__ import annotations

from grading.intake.parsing import ParsedObject, Problem

LEVELS = ("restricted", "baseline", "privileged")
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                           "persistentVolumeClaim", "projected", "secret"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
# Module 04 teaches these settings in lesson 03; the result page links a refusal there.
LESSON_LINK = "03-core-resources.md#running-as-non-root"


def containers_of(base: list, spec: dict) -> list[tuple[list, dict]]:
    """(path, container) for every container of the pod spec at `base`, init and ephemeral too."""
    return [(base + [group, i], c) for group in CONTAINER_GROUPS
            for i, c in enumerate(_list(spec.get(group))) if isinstance(c, dict)]


def check_pod_security(obj: ParsedObject, base: list, spec: dict, level: str,
                       containers: list[tuple[list, dict]]) -> list[Problem]:
    """Problems with the pod spec at `base` in `obj` (its `containers_of`) under `level`."""
    if level not in ("restricted", "baseline"):
        return []
    pod_ctx = _dict(spec.get("securityContext"))
    problems = _baseline(obj, base, spec, pod_ctx, containers, level)
    if level == "restricted":
        problems += _restricted(obj, base, spec, pod_ctx, containers)
    return problems


def _baseline(obj, base, spec, pod_ctx, containers, level) -> list[Problem]:
    ref, problems = obj.ref, []

    def refuse(path: list, what: str) -> None:
        problems.append(obj.problem(path, f"{ref}: {what} (Pod Security {level!r}, which the "
                                          "sandbox enforces)"))

    contexts = [(base + ["securityContext"], "the pod", pod_ctx)] + [
        (path + ["securityContext"], f"container {c.get('name', path[-1])!r}",
         _dict(c.get("securityContext"))) for path, c in containers]
    for where, who, ctx in contexts:
        if _type(ctx, "seccompProfile") == "Unconfined":
            refuse(where + ["seccompProfile", "type"], f"{who}: seccompProfile Unconfined is not allowed")
        if _type(ctx, "appArmorProfile") == "Unconfined":
            refuse(where + ["appArmorProfile", "type"], f"{who}: appArmorProfile Unconfined is not allowed")
        selinux = _dict(ctx.get("seLinuxOptions"))
        if str(selinux.get("type", "")) not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            refuse(where + ["seLinuxOptions"], f"{who}: custom seLinuxOptions are not allowed")
        if _dict(ctx.get("windowsOptions")).get("hostProcess"):
            refuse(where + ["windowsOptions", "hostProcess"], f"{who}: hostProcess is not allowed")
        if ctx.get("procMount", "Default") != "Default":
            refuse(where + ["procMount"], f"{who}: procMount must stay Default")
    for i, sysctl in enumerate(_list(pod_ctx.get("sysctls"))):
        name = _dict(sysctl).get("name")
        if not isinstance(name, str) or name not in SAFE_SYSCTLS:
            refuse(base + ["securityContext", "sysctls", i, "name"], f"sysctl {name!r} is not allowed")
    for path, c in containers:
        for j, port in enumerate(_list(c.get("ports"))):
            if isinstance(port, dict) and port.get("hostPort"):
                problems.append(obj.problem(path + ["ports", j, "hostPort"],
                                            f"{ref}: container {c.get('name', path[-1])!r} asks for "
                                            f"hostPort {port['hostPort']}; sandbox pods are reached "
                                            "through a Service, not the node's ports"))
    return problems


def _restricted(obj, base, spec, pod_ctx, containers) -> list[Problem]:
    ref, problems = obj.ref, []
    for i, volume in enumerate(_list(spec.get("volumes"))):
        if not isinstance(volume, dict):
            continue
        # hostPath is refused by the sandbox policy at every level: not reported twice.
        kinds = [k for k in volume if k not in RESTRICTED_VOLUME_TYPES | {"name", "hostPath"}]
        if kinds:
            problems.append(obj.problem(base + ["volumes", i, kinds[0]],
                                        f"{ref}: volume {volume.get('name', i)!r} is of type "
                                        f"{kinds[0]}, which Pod Security 'restricted' does not "
                                        "allow; use a PersistentVolumeClaim, emptyDir, ConfigMap, "
                                        "Secret or projected volume", lesson_link=LESSON_LINK))
    root = {"runAsUser": pod_ctx.get("runAsUser") == 0, "runAsNonRoot": pod_ctx.get("runAsNonRoot") is False}
    for field in (name for name, is_root in root.items() if is_root):
        problems.append(obj.problem(base + ["securityContext", field],
                                    f"{ref}: the pod's securityContext.{field} asks for root; Pod "
                                    "Security 'restricted' needs a non-root user",
                                    lesson_link=LESSON_LINK))
    for path, c in containers:
        missing = _restricted_missing(pod_ctx, _dict(c.get("securityContext")))
        if missing:
            where = path + ["securityContext"] if "securityContext" in c else path
            problems.append(obj.problem(where, (
                f"{ref}: container {c.get('name', path[-1])!r} does not meet Pod Security "
                f"'restricted', which the sandbox enforces: set {'; '.join(missing)}"),
                lesson_link=LESSON_LINK))
    return problems


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    # A malformed field is reported by the sandbox policy (grading/intake/policy.py); here it is empty.
    return value if isinstance(value, list) else []


def _type(ctx: dict, profile: str) -> str | None:
    return _dict(ctx.get(profile)).get("type")


def _restricted_missing(pod_ctx: dict, ctx: dict) -> list[str]:
    """What the container (or, where the standard allows, its pod) still has to set. A pod-level
    value that is itself wrong (runAsNonRoot false, Unconfined) is reported once, for the pod."""
    missing = []
    non_root = ctx.get("runAsNonRoot")
    if non_root is None and pod_ctx.get("runAsNonRoot") is None:
        missing.append("securityContext.runAsNonRoot: true (pod or container)")
    elif non_root is False:
        missing.append("securityContext.runAsNonRoot: true (the container sets false)")
    if ctx.get("runAsUser") == 0:
        missing.append("a non-zero securityContext.runAsUser")
    if ctx.get("allowPrivilegeEscalation") is not False:
        missing.append("securityContext.allowPrivilegeEscalation: false")
    drop = _dict(ctx.get("capabilities")).get("drop")
    if not isinstance(drop, list) or "ALL" not in drop:
        missing.append("securityContext.capabilities.drop: [ALL]")
    own, pods = _type(ctx, "seccompProfile"), _type(pod_ctx, "seccompProfile")
    if own is None and pods is None:
        missing.append("securityContext.seccompProfile.type: RuntimeDefault (pod or container)")
    return missing
