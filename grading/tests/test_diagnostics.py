"""Diagnostics and live checks: pure functions of an observed state."""

from grading.live.checks import live_checks
from grading.live.cluster import ObservedState
from grading.live.diagnostics import diagnose, settled

NS = "podium-sub-1"


def pod(name, *, phase="Running", ready=True, labels=None, statuses=None, conditions=None, spec=None):
    conds = conditions if conditions is not None else [{"type": "Ready", "status": str(ready)}]
    return {
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": "iris"}},
        "spec": spec or {"containers": [{"name": "c"}]},
        "status": {"phase": phase, "conditions": conds, "containerStatuses": statuses or []},
    }


def event(kind, name, reason, message):
    return {"involvedObject": {"kind": kind, "name": name}, "reason": reason, "message": message}


def codes(state):
    return [d.code for d in diagnose(state, NS)]


def test_psa_and_quota_refusals_are_found_in_replicaset_events():
    state = ObservedState(
        events=[
            event(
                "ReplicaSet",
                "iris-1",
                "FailedCreate",
                'pods "x" is forbidden: violates PodSecurity "restricted:v1.32"',
            ),
            event(
                "ReplicaSet", "db-1", "FailedCreate", 'pods "y" is forbidden: exceeded quota: podium-quota'
            ),
        ]
    )
    [psa, quota] = diagnose(state, NS)
    assert (psa.code, psa.subject, psa.lesson_link) == (
        "PodSecurityRejected",
        "ReplicaSet/iris-1",
        "03-core-resources.md#common-pitfalls",
    )
    assert psa.command == f"kubectl describe replicaset -n {NS} iris-1"
    assert quota.code == "QuotaExceeded" and "exceeded quota" in quota.evidence
    assert settled(state)


def test_a_pending_pod_waiting_for_a_gpu_is_diagnosed_and_passes_the_gpu_check():
    message = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    gpu_pod = pod(
        "train",
        phase="Pending",
        conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
        ],
        spec={"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": 1}}}]},
    )
    state = ObservedState(objects=[gpu_pod])
    assert codes(state) == ["InsufficientGPU"]
    [verdict] = live_checks(state)
    assert verdict.id == "live-gpu-train" and verdict.passed and "no GPU free" in verdict.message


def test_a_pod_waiting_for_an_unbound_claim_and_the_claim_itself_are_diagnosed():
    waiting = pod(
        "db-0",
        phase="Pending",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "message": "pod has unbound immediate PersistentVolumeClaims",
            }
        ],
    )
    claim = {"kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "status": {"phase": "Pending"}}
    state = ObservedState(
        objects=[waiting, claim],
        events=[
            event(
                "PersistentVolumeClaim",
                "data",
                "ProvisioningFailed",
                'storageclass.storage.k8s.io "fast" not found',
            )
        ],
    )
    assert codes(state) == ["UnboundPVC", "UnboundPVC"]
    assert "storageclass" in diagnose(state, NS)[1].evidence
    assert not settled(state)
    assert [(v.id, v.passed) for v in live_checks(state) if v.id.startswith("live-pvc")] == [
        ("live-pvc-data", False)
    ]


def test_a_failing_readiness_probe_is_diagnosed_from_the_unhealthy_events():
    running = pod("iris-0", ready=False, statuses=[{"name": "c", "ready": False, "state": {"running": {}}}])
    state = ObservedState(
        objects=[running],
        events=[
            event(
                "Pod", "iris-0", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404"
            )
        ],
    )
    [diagnosis] = diagnose(state, NS)
    assert diagnosis.code == "ReadinessFailing" and "statuscode: 404" in diagnosis.evidence
    assert [(v.id, v.passed) for v in live_checks(state)] == [("live-pods-ready", False)]


def test_a_service_is_judged_by_its_ready_endpoints():
    svc = {"kind": "Service", "metadata": {"name": "iris"}, "spec": {"selector": {"app": "iris"}}}
    slice_ = {
        "kind": "EndpointSlice",
        "metadata": {"labels": {"kubernetes.io/service-name": "iris"}},
        "endpoints": [{"conditions": {"ready": False}}],
    }
    assert [v.passed for v in live_checks(ObservedState(objects=[svc, slice_]))] == [False]
    slice_["endpoints"].append({"conditions": {"ready": True}})
    assert [v.passed for v in live_checks(ObservedState(objects=[svc, slice_]))] == [True]


def test_hpa_conditions_and_ingress_admission_are_read_from_status():
    hpa = {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h"},
        "status": {
            "conditions": [
                {"type": "AbleToScale", "status": "True"},
                {"type": "ScalingActive", "status": "False"},
            ]
        },
    }
    ingress = {
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}},
    }
    verdicts = {v.id: v.passed for v in live_checks(ObservedState(objects=[hpa, ingress]))}
    assert verdicts == {"live-hpa-h": False, "live-ingress-web": True}


def test_waiting_stops_when_every_deployment_is_available_but_not_before():
    dep = {
        "kind": "Deployment",
        "metadata": {"name": "iris"},
        "spec": {"replicas": 2},
        "status": {"availableReplicas": 1},
    }
    assert not settled(ObservedState(objects=[dep]))
    dep["status"]["availableReplicas"] = 2
    assert settled(ObservedState(objects=[dep]))
