from grading.tests.checks.builders import FULL_RESOURCES, container, deployment, hpa, run

API = deployment("api", containers=[container(resources=FULL_RESOURCES)])


def test_hpa_targets_workload_needs_v2_and_a_resolving_target():
    assert run("hpa-targets-workload", API, hpa("api")).passed
    outcome = run("hpa-targets-workload", API, hpa("api", api_version="autoscaling/v1"), points=2)
    assert not outcome.passed and outcome.points == 1 and "use autoscaling/v2" in outcome.message
    outcome = run("hpa-targets-workload", API, hpa("apii"), points=2)
    assert outcome.points == 1 and "targets apps/v1 Deployment/apii, not Deployment/api" in outcome.message
    assert not run("hpa-targets-workload", API, hpa("api", kind="StatefulSet")).passed
    assert not run("hpa-targets-workload", API).passed


def test_replica_range_min_below_max():
    assert run("hpa-replica-range", hpa(min_replicas=2, max_replicas=3)).passed
    assert not run("hpa-replica-range", hpa(min_replicas=3, max_replicas=3)).passed
    default_min = hpa(max_replicas=4)
    del default_min["spec"]["minReplicas"]
    assert run("hpa-replica-range", default_min).passed


def test_utilization_metrics_cpu_memory_or_v1_percentage():
    memory = [
        {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}},
        }
    ]
    assert run("hpa-utilization-metrics", hpa(metrics=memory)).passed
    assert not run("hpa-utilization-metrics", hpa(metrics=memory), resources=["cpu"]).passed
    average_value = [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "500m"}},
        }
    ]
    assert not run("hpa-utilization-metrics", hpa(metrics=average_value)).passed
    v1 = hpa(api_version="autoscaling/v1", metrics=[])
    del v1["spec"]["metrics"]
    v1["spec"]["targetCPUUtilizationPercentage"] = 60
    assert run("hpa-utilization-metrics", v1).passed


def test_target_requests_every_container_including_sidecars():
    sidecar = container("log-shipper", ports=(), resources={"limits": {"memory": "32Mi"}})
    with_sidecar = deployment("api", containers=[container(resources=FULL_RESOURCES), sidecar])
    outcome = run("hpa-target-requests", with_sidecar, hpa("api"))
    assert (
        not outcome.passed and "container 'log-shipper' of Deployment/api requests no cpu" in outcome.message
    )
    assert run("hpa-target-requests", API, hpa("api")).passed


def test_target_requests_a_limit_alone_defaults_the_request():
    limits_only = deployment("api", containers=[container(resources={"limits": {"cpu": "1"}})])
    assert run("hpa-target-requests", limits_only, hpa("api")).passed


def test_target_requests_container_resource_metric_checks_only_that_container():
    sidecar = container("log-shipper", ports=())
    d = deployment("api", containers=[container(resources=FULL_RESOURCES), sidecar])
    metric = [
        {
            "type": "ContainerResource",
            "containerResource": {
                "name": "cpu",
                "container": "server",
                "target": {"type": "Utilization", "averageUtilization": 60},
            },
        }
    ]
    assert run("hpa-target-requests", d, hpa("api", metrics=metric)).passed


def test_target_requests_fails_when_the_target_is_missing():
    assert not run("hpa-target-requests", API, hpa("nothing")).passed


GPU_LIMITS = {
    "requests": {"cpu": "2", "memory": "6Gi"},
    "limits": {"cpu": "4", "memory": "6Gi", "nvidia.com/gpu": 1},
}


def gpu_deployment(resources=None, **pod_spec):
    return deployment("llm", containers=[container("vllm", resources=resources or GPU_LIMITS)], **pod_spec)


def test_gpu_limits_with_equal_or_absent_requests():
    assert run("gpu-limits", gpu_deployment()).passed
    equal = {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}
    assert run("gpu-limits", gpu_deployment(equal)).passed


def test_gpu_requests_different_from_limits_get_half_credit():
    outcome = run(
        "gpu-limits",
        gpu_deployment({"requests": {"nvidia.com/gpu": 2}, "limits": {"nvidia.com/gpu": 1}}),
        points=4,
    )
    assert not outcome.passed and outcome.points == 2 and "equal to the limit" in outcome.message


def test_no_gpu_fails():
    outcome = run("gpu-limits", gpu_deployment(FULL_RESOURCES))
    assert not outcome.passed and "No container asks for nvidia.com/gpu" in outcome.message


def test_gpu_toleration():
    exists = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert run("gpu-toleration", gpu_deployment(tolerations=exists)).passed
    assert run("gpu-toleration", gpu_deployment(tolerations=[{"operator": "Exists"}])).passed
    other = [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]
    assert not run("gpu-toleration", gpu_deployment(tolerations=other)).passed
    assert not run("gpu-toleration", gpu_deployment()).passed


def test_gpu_node_selector_or_affinity():
    assert run("gpu-node-selector", gpu_deployment(nodeSelector={"nvidia.com/gpu.present": "true"})).passed
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "nvidia.com/gpu.memory", "operator": "Gt", "values": ["20000"]}
                        ]
                    }
                ]
            }
        }
    }
    assert run("gpu-node-selector", gpu_deployment(affinity=affinity)).passed
    assert run(
        "gpu-node-selector", gpu_deployment(nodeSelector={"cloud.google.com/gke-accelerator": "l4"})
    ).passed
    assert not run("gpu-node-selector", gpu_deployment(nodeSelector={"disktype": "ssd"})).passed
