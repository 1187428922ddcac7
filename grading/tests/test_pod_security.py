"""The Pod Security Standards, checked statically before a submission reaches a cluster."""

import pytest

from grading.intake.parsing import Limits, parse_submission
from grading.intake.policy import SandboxPolicy, check_policy

RESTRICTED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: c
      image: nginx:1.27
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
"""

PLAIN_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
        - name: sidecar
          image: busybox:1.36
"""


def problems(text: str, level: str = "restricted"):
    parsed = parse_submission([("a.yaml", text.encode())], Limits())
    assert parsed.errors == []
    return check_policy(parsed.objects, SandboxPolicy(pod_security=level))


def test_a_restricted_pod_passes_every_level():
    for level in ("restricted", "baseline", "privileged"):
        assert problems(RESTRICTED_POD, level) == []


def test_each_container_gets_one_problem_naming_everything_it_misses():
    found = problems(PLAIN_DEPLOYMENT)
    assert [p.field for p in found] == ["spec.template.spec.containers[0]",
                                        "spec.template.spec.containers[1]"]
    assert [p.line for p in found] == [8, 10]
    message = found[0].message
    assert message.startswith("Deployment/d: container 'web' does not meet Pod Security 'restricted'")
    for setting in ("runAsNonRoot: true", "allowPrivilegeEscalation: false",
                    "capabilities.drop: [ALL]", "seccompProfile.type: RuntimeDefault"):
        assert setting in message
    assert "'sidecar'" in found[1].message


def test_the_same_deployment_is_fine_under_baseline():
    assert problems(PLAIN_DEPLOYMENT, "baseline") == []


@pytest.mark.parametrize(("change", "expected"), [
    (("runAsNonRoot: true\n    seccomp", "runAsNonRoot: false\n    seccomp"),
     "the pod's securityContext.runAsNonRoot asks for root"),
    (("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"), "allowPrivilegeEscalation"),
    (("drop: [ALL]", "drop: [NET_RAW]"), "capabilities.drop: [ALL]"),
    (("type: RuntimeDefault", "type: Localhost, localhostProfile: p.json"), None),
    (("      securityContext:\n        allowPrivilegeEscalation",
      "      securityContext:\n        runAsNonRoot: false\n        allowPrivilegeEscalation"),
     "runAsNonRoot: true"),  # the container's own setting wins over the pod's
    (("      securityContext:\n        allowPrivilegeEscalation",
      "      securityContext:\n        runAsUser: 0\n        allowPrivilegeEscalation"),
     "non-zero securityContext.runAsUser"),
])
def test_each_restricted_rule(change, expected):
    found = problems(RESTRICTED_POD.replace(*change))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0].message, found


def test_root_user_for_the_whole_pod_is_refused():
    text = RESTRICTED_POD.replace("    runAsNonRoot: true\n", "    runAsNonRoot: true\n    runAsUser: 0\n")
    [found] = problems(text)
    assert found.field == "spec.securityContext.runAsUser" and "root" in found.message


def test_restricted_allows_only_the_volume_types_it_lists():
    ok = RESTRICTED_POD + ("  volumes:\n    - {name: a, emptyDir: {}}\n"
                           "    - {name: b, configMap: {name: c}}\n"
                           "    - {name: c, persistentVolumeClaim: {claimName: d}}\n")
    assert problems(ok) == []
    [found] = problems(RESTRICTED_POD + "  volumes:\n    - {name: nas, nfs: {server: n, path: /}}\n")
    assert found.field == "spec.volumes[0].nfs" and "'nas' is of type nfs" in found.message
    assert problems(RESTRICTED_POD + "  volumes:\n    - {name: nas, nfs: {server: n, path: /}}\n",
                    "baseline") == []


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_baseline_refuses_host_ports_and_unconfined_seccomp(level):
    host_port = RESTRICTED_POD + "      ports: [{containerPort: 80, hostPort: 80}]\n"
    [found] = problems(host_port, level)
    assert found.field == "spec.containers[0].ports[0].hostPort" and "hostPort 80" in found.message
    unconfined = RESTRICTED_POD.replace("type: RuntimeDefault", "type: Unconfined")
    assert any("Unconfined" in p.message for p in problems(unconfined, level))


def test_privileged_sandboxes_check_nothing_beyond_the_sandbox_policy():
    assert problems(PLAIN_DEPLOYMENT + "          ports: [{containerPort: 80, hostPort: 80}]\n",
                    "privileged") == []


def test_a_pod_that_asks_for_root_is_refused_even_when_its_containers_do_not():
    text = RESTRICTED_POD.replace(
        "      securityContext:\n        allowPrivilegeEscalation",
        "      securityContext:\n        runAsNonRoot: true\n        allowPrivilegeEscalation",
    ).replace("runAsNonRoot: true\n    seccomp", "runAsNonRoot: false\n    seccomp")
    [found] = problems(text)
    assert found.field == "spec.securityContext.runAsNonRoot"


def test_an_explicit_null_on_the_container_leaves_the_pods_setting_in_force():
    text = RESTRICTED_POD.replace("      securityContext:\n        allowPrivilegeEscalation",
                                  "      securityContext:\n        runAsNonRoot: null\n"
                                  "        allowPrivilegeEscalation")
    assert problems(text) == []


def test_net_bind_service_is_the_one_capability_that_may_be_added():
    text = RESTRICTED_POD.replace("capabilities: {drop: [ALL]}",
                                  "capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}")
    assert problems(text) == []
    [found] = problems(text.replace("add: [NET_BIND_SERVICE]", "add: [NET_BIND_SERVICE, NET_RAW]"))
    assert "NET_RAW" in found.message and "NET_BIND_SERVICE" not in found.message


def test_an_unconfined_pod_is_reported_once_not_once_per_container():
    found = problems(RESTRICTED_POD.replace("type: RuntimeDefault", "type: Unconfined"))
    assert [p.field for p in found] == ["spec.securityContext.seccompProfile.type"]


@pytest.mark.parametrize(("pod_setting", "expected"), [
    ("appArmorProfile: {type: Unconfined}", "appArmorProfile Unconfined"),
    ("seLinuxOptions: {user: system_u}", "custom seLinuxOptions"),
    ("seLinuxOptions: {type: spc_t}", "custom seLinuxOptions"),
    ("sysctls: [{name: net.core.somaxconn, value: '1024'}]", "sysctl 'net.core.somaxconn'"),
    ("windowsOptions: {hostProcess: true}", "hostProcess"),
])
def test_the_rest_of_baseline(pod_setting, expected):
    text = RESTRICTED_POD.replace("    runAsNonRoot: true\n", f"    runAsNonRoot: true\n    {pod_setting}\n")
    [found] = problems(text, "baseline")
    assert expected in found.message and "Pod Security 'baseline'" in found.message


def test_safe_sysctls_and_default_selinux_types_are_allowed():
    text = RESTRICTED_POD.replace("    runAsNonRoot: true\n", "    runAsNonRoot: true\n"
                                  "    sysctls: [{name: net.ipv4.ip_local_port_range, value: '1024 65535'}]\n"
                                  "    seLinuxOptions: {type: container_t, level: 's0:c1,c2'}\n")
    assert problems(text) == []


def test_proc_mount_unmasked_is_refused():
    text = RESTRICTED_POD.replace("        allowPrivilegeEscalation: false",
                                  "        allowPrivilegeEscalation: false\n        procMount: Unmasked")
    [found] = problems(text, "baseline")
    assert found.field == "spec.containers[0].securityContext.procMount"



def test_a_host_path_volume_is_refused_once():
    [found] = problems(RESTRICTED_POD + "  volumes:\n    - {name: node, hostPath: {path: /}}\n")
    assert found.field == "spec.volumes[0].hostPath" and "node's files" in found.message
