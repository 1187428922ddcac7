import ast
from pathlib import Path

import pytest

from grading.checks import REGISTRY, CheckOutcome, Objects, run_check, validate_params
from grading.checks.pods import quantity
from grading.tests.checks.builders import deployment, ingress, pod, run, service


def test_run_check_accepts_points_as_keyword_or_in_params():
    objects = Objects([deployment(replicas=3)])
    by_keyword = run_check("deployment-replicas", objects, {"min": 3}, points=4)
    in_params = run_check("deployment-replicas", objects, {"min": 3, "points": 4})
    assert by_keyword == in_params
    assert isinstance(by_keyword, CheckOutcome) and by_keyword.max_points == 4


def test_unknown_params_raise_type_error_naming_the_check():
    with pytest.raises(TypeError, match="deployment-replicas"):
        validate_params("deployment-replicas", {"minimum": 3})
    with pytest.raises(TypeError):
        run_check("deployment-replicas", Objects([]), {"minimum": 3})


def test_unknown_check_name_is_a_key_error_listing_known_checks():
    with pytest.raises(KeyError, match="known checks"):
        run_check("no-such-check", Objects([]), {})


def test_every_check_fails_cleanly_on_an_empty_submission():
    for name, fn in REGISTRY.items():
        required = {"pod-labels": {"labels": ["app"]}}.get(name, {})
        outcome = fn(Objects([]), points=3, **required)
        assert not outcome.passed and outcome.points == 0 and outcome.max_points == 3, name
        assert outcome.message, name


def test_checks_package_imports_no_django_and_does_no_io():
    for file in (Path(__file__).resolve().parents[2] / "checks").glob("*.py"):
        tree = ast.parse(file.read_text())
        modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m.split(".")[0] in {"django", "requests", "socket", "subprocess"} for m in modules), (
            file
        )
        assert "open(" not in file.read_text(), file


def test_pod_template_for_each_workload_kind():
    objects = Objects([])
    assert objects.pod_template(pod(labels={"a": "b"}))["metadata"]["labels"] == {"a": "b"}
    assert objects.pod_template(deployment(labels={"app": "x"}))["metadata"]["labels"] == {"app": "x"}
    cron = {
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"metadata": {"labels": {"job": "c"}}, "spec": {"containers": []}}}
            }
        },
    }
    assert objects.pod_template(cron)["metadata"]["labels"] == {"job": "c"}
    assert objects.pod_template({"kind": "Deployment", "metadata": {"name": "bare"}}) == {
        "metadata": {},
        "spec": {},
    }


def test_services_selecting_needs_every_selector_pair():
    d = deployment("api", labels={"app": "api", "tier": "web"})
    objects = Objects(
        [
            d,
            service("api", selector={"app": "api"}),
            service("other", selector={"app": "api", "tier": "db"}),
            service("none", selector={}),
        ]
    )
    assert [s["metadata"]["name"] for s in objects.services_selecting(d)] == ["api"]


def test_serving_deployment_is_the_one_the_ingress_routes_to():
    cache, api = deployment("redis"), deployment("api")
    objects = Objects([cache, api, service("api"), service("redis"), ingress(service_name="api")])
    chosen, why = objects.serving_deployment()
    assert chosen is api
    assert why == "Judging Deployment/api: Ingress/web routes to it through Service/api."


def test_serving_deployment_falls_back_to_the_only_then_the_first_deployment():
    assert (
        Objects([deployment("api")]).serving_deployment()[1]
        == "Judging Deployment/api, the only Deployment submitted."
    )
    chosen, why = Objects([deployment("a"), deployment("b")]).serving_deployment()
    assert chosen["metadata"]["name"] == "a" and "first of 2 Deployments" in why
    assert Objects([pod()]).serving_deployment() == (None, "The submission has no Deployment.")


def test_checks_default_to_the_serving_deployment_and_say_so():
    objects = (
        deployment("redis", replicas=1),
        deployment("api", replicas=3),
        service("api"),
        ingress(service_name="api"),
    )
    outcome = run("deployment-replicas", *objects, min=3)
    assert outcome.passed and outcome.message.startswith("Judging Deployment/api: Ingress/web routes")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", "0.5"),
        ("1", "1"),
        (2, "2"),
        ("1Gi", str(2**30)),
        ("128Mi", str(128 * 2**20)),
        ("1e3", "1000"),
        ("1k", "1000"),
    ],
)
def test_quantity_parses_kubernetes_quantities(text, value):
    assert quantity(text) == quantity(value) and str(quantity(text).normalize()) == str(
        quantity(value).normalize()
    )


@pytest.mark.parametrize("text", ["", "lots", "1Qi", None, True])
def test_quantity_rejects_garbage(text):
    assert quantity(text) is None
