"""Every registered check is total over ANY JSON-shaped input (issue 13, "Crashes").

test_intake_totality feeds the checks only what validation admits; here the same reference
solutions are mutated with no regard for the schema (a string where a list is expected, a list
where a mapping is, null, huge ints, unicode, empty maps and lists) and handed straight to every
check. A check must answer with a verdict (failing, or skipping the malformed item), never raise:
an exception ends a submission "not graded". Bounded and derandomised so `make test` stays fast.
"""

import json
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from grading.checks import REGISTRY, Objects
from grading.checks.base import CheckOutcome
from grading.checks.objects import labels_of, name_of, ref, shaped
from grading.checks.pods import port_matches, quantity
from grading.tests.checks.builders import container, deployment, ingress, run, service
from grading.tests.test_intake_totality import SOLUTIONS, USES, mutated


def _verdicts(objects, uses):
    for fn, kwargs in uses:
        outcome = fn(Objects(objects), points=1.0, **kwargs)
        assert isinstance(outcome, CheckOutcome) and isinstance(outcome.message, str) and outcome.message
        assert 0 <= outcome.points <= 1.0


@pytest.mark.parametrize("lab", sorted(SOLUTIONS))
def test_every_check_answers_with_a_verdict_on_any_json_in_place_of_any_field(lab):
    uses = [(REGISTRY[name], json.loads(params)) for name, params, used_in in USES if used_in == lab]

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(objects=mutated(SOLUTIONS[lab], any_json=True))
    def run(objects):
        _verdicts(objects, uses)

    run()


# --- the class, by example: a malformed field is a failing verdict naming what is missing ----------

def test_a_pod_spec_that_is_not_a_mapping_fails_the_checks_that_need_it():
    broken = deployment()
    broken["spec"]["template"]["spec"] = ["not", "a", "mapping"]
    outcome = run("resources-set", broken)
    assert not outcome.passed and outcome.points == 0
    outcome = run("container-port", broken, port=8080)
    assert not outcome.passed and "Deployment/api" in outcome.message


def test_a_deployment_spec_that_is_a_boolean_is_judged_as_having_no_spec():
    broken = deployment()
    broken["spec"] = True
    outcome = run("deployment-replicas", broken, min=2)
    assert not outcome.passed and "Deployment/api" in outcome.message


def test_null_and_text_list_items_are_skipped_and_the_rest_judged():
    # A stray `-` under containers and env, a word where a port mapping belongs: intake refuses
    # these, but a check handed them still judges the well-formed rest.
    good = deployment(containers=[container(resources={"requests": {"cpu": "1", "memory": "1Gi"},
                                                       "limits": {"cpu": "1", "memory": "1Gi"}})])
    pod_spec = good["spec"]["template"]["spec"]
    pod_spec["containers"] += [None, "sidecar"]
    pod_spec["containers"][0]["env"] = [None, {"name": "A", "value": "1"}]
    pod_spec["containers"][0]["ports"] = ["http", {"name": "http", "containerPort": 8080}]
    assert run("resources-set", good).passed
    assert run("container-port", good, port=8080).passed


def test_an_ingress_backend_port_that_is_not_a_mapping_names_the_service_and_fails():
    bad = ingress(port=[80])
    outcome = run("ingress-backends-exist", bad, service(), deployment())
    assert not outcome.passed and "Service/api" in outcome.message


def test_label_values_and_hosts_that_are_not_text_are_ignored_not_crashed_on():
    web = ingress(tls_hosts=[True, 7, "api.podium.test"])
    outcome = run("ingress-tls-hosts", web, service(), deployment())
    assert isinstance(outcome.message, str) and outcome.message
    labelled = deployment(labels={"app": "api", "tier": ["model"]})
    assert not run("pod-labels", labelled, labels=["tier"]).passed


def test_well_typed_objects_are_handed_to_checks_as_they_are_not_copied():
    # Identity kept: shaping costs nothing on what validation admitted (bench p50 <= 20 ms).
    items = [deployment(), service(), ingress()]
    assert all(a is b for a, b in zip(Objects(items).items, items, strict=True))
    assert shaped(items[0]) is items[0]


def test_naming_helpers_used_outside_the_checks_are_total():
    # diagnostics, the live grader and the cluster code name objects Objects never shaped.
    for obj in ({}, {"metadata": ["x"]}, {"metadata": None, "kind": 3}, {"metadata": {"labels": "a=b"}}):
        assert ref(obj) and name_of(obj) == "<unnamed>" and labels_of(obj) == {}
    assert labels_of({"metadata": {"labels": {"app": "api", "n": 1}}}) == {"app": "api"}


def test_a_service_selector_label_named_like_a_field_is_kept():
    # A Service's selector keys are labels: `replicas: "3"` there is a label, not a bad count.
    svc = service(selector={"app": "api", "replicas": "3", "name": "x"})
    assert Objects([svc]).items[0]["spec"]["selector"] == {"app": "api", "replicas": "3", "name": "x"}
    broken = service(selector={"app": "api", "tier": ["web"]})
    assert Objects([broken]).items[0]["spec"]["selector"] == {"app": "api"}


def test_absurd_numbers_are_judged_fast_not_crashed_on():
    # An infinite or billion-digit GPU limit, a port written with a superscript digit: a verdict,
    # quickly (int() of 1e999999999 would build a billion-digit number).
    for limit in (float("inf"), "1e999999999", 10**5000):
        gpu = container(resources={"limits": {"nvidia.com/gpu": limit}})
        started = time.perf_counter()
        outcome = run("gpu-limits", deployment(containers=[gpu]))
        assert time.perf_counter() - started < 1 and isinstance(outcome.passed, bool)
    assert quantity(float("inf")) is None and quantity(10**5000) == Decimal(10**5000)
    assert not port_matches([{"name": "http", "containerPort": 2}], "²")


def test_a_service_monitor_endpoint_port_that_is_a_mapping_fails_naming_the_monitor():
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"},
               "spec": {"selector": {"matchLabels": {"app": "api"}},
                        "endpoints": [{"port": {"name": "http"}}]}}
    outcome = run("prometheus-scrape", deployment(), service(), monitor)
    assert not outcome.passed and "ServiceMonitor/m" in outcome.message
