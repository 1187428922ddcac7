import pytest

from grading.tests.checks.builders import FULL_RESOURCES, container, deployment, pod, run


def test_replicas_pass_at_the_minimum_and_fail_below_it():
    assert run("deployment-replicas", deployment(replicas=3), min=3).passed
    outcome = run("deployment-replicas", deployment("iris", replicas=1), min=3)
    assert not outcome.passed and outcome.points == 0
    assert outcome.expected == "replicas >= 3" and outcome.observed == "Deployment/iris has replicas: 1"


def test_missing_replicas_field_means_one():
    d = deployment()
    del d["spec"]["replicas"]
    assert not run("deployment-replicas", d, min=2).passed
    assert run("deployment-replicas", d, min=1).passed


def test_selector_matches_template_labels_including_match_expressions():
    ok = deployment(
        labels={"app": "a", "tier": "web"},
        selector={
            "matchLabels": {"app": "a"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}],
        },
    )
    assert run("selector-matches-template", ok).passed
    wrong = deployment("iris", labels={"app": "iris-classifier"}, selector={"matchLabels": {"app": "iris"}})
    outcome = run("selector-matches-template", wrong)
    assert not outcome.passed
    assert "Deployment/iris selects app=iris but its pods are labelled app=iris-classifier" in outcome.message


def test_selector_partial_credit_across_workloads():
    good = deployment("a")
    bad = deployment("b", selector={"matchLabels": {"app": "nope"}})
    outcome = run("selector-matches-template", good, bad, points=2)
    assert not outcome.passed and outcome.points == 1


def test_container_port_by_number():
    assert run("container-port", deployment(), port=8080).passed
    assert not run("container-port", deployment(), port=9000).passed
    assert not run("container-port", deployment(containers=[container(ports=())])).passed


def test_container_port_judges_a_pod_when_there_is_no_deployment():
    outcome = run("container-port", pod("sentiment-api"), port=8080)
    assert outcome.passed and "Pod/sentiment-api" in outcome.message


@pytest.mark.parametrize(
    "image", ["python:3.12-slim", "registry:5000/team/model:1.0", "python@sha256:" + "a" * 64]
)
def test_pinned_images_pass(image):
    assert run("image-pinned", deployment(containers=[container(image=image)])).passed


@pytest.mark.parametrize(
    ("image", "why"),
    [("python", "has no tag"), ("python:latest", ":latest"), ("registry:5000/model", "has no tag")],
)
def test_unpinned_images_fail_with_the_reason(image, why):
    outcome = run("image-pinned", deployment(containers=[container(image=image)]))
    assert not outcome.passed and why in outcome.message


def test_unpinned_init_container_image_costs_its_share():
    d = deployment(init=[container("fetch", image="busybox", ports=())])
    outcome = run("image-pinned", d, points=2)
    assert not outcome.passed and outcome.points == 1 and "init container 'fetch'" in outcome.message


def test_pod_labels_partial_credit_per_missing_label():
    p = pod(labels={"app": "s", "component": "model-server"})
    outcome = run("pod-labels", p, points=3, labels=["app", "component", "version"])
    assert not outcome.passed and outcome.points == 2 and "version" in outcome.message
    p["metadata"]["labels"]["version"] = "v1"
    assert run("pod-labels", p, labels=["app", "component", "version"]).passed


def test_resources_set_covers_init_containers():
    full = container(resources=FULL_RESOURCES)
    init = container("fetch", ports=(), resources={"requests": {"cpu": "50m", "memory": "32Mi"}})
    outcome = run("resources-set", deployment(containers=[full], init=[init]), points=8)
    assert not outcome.passed and outcome.points == 6
    assert "init container 'fetch' has no limits.cpu, limits.memory" in outcome.message
    assert run("resources-set", deployment(containers=[full], init=[init]), init=False).passed


def test_resources_set_can_ask_for_requests_only():
    c = container(resources={"requests": {"cpu": "100m", "memory": "64Mi"}})
    assert run("resources-set", deployment(containers=[c]), fields=["requests"]).passed
    assert not run("resources-set", deployment(containers=[c]), fields=["limits"]).passed
