"""Issue 13: the rules the sandbox enforces are listed on every lab page, rendered by the policy
from its own constants; each rule the page names is one the policy refuses."""

import yaml
from django.urls import reverse

from grading.intake import policy
from grading.intake.parsing import Limits, parse_submission
from grading.intake.policy import SandboxPolicy, check_policy, describe_rules
from grading.tests.conftest import GOOD

RULES = describe_rules(SandboxPolicy())
TEXT = " ".join(RULES)


def refused(doc: dict) -> list[str]:
    parsed = parse_submission([("x.yaml", yaml.safe_dump(doc).encode())], Limits())
    assert parsed.errors == []
    return [p.message for p in check_policy(parsed.objects, SandboxPolicy())]


def good_deployment(**pod_spec) -> dict:
    doc = yaml.safe_load(GOOD)
    doc["spec"]["template"]["spec"].update(pod_spec)
    return doc


def test_every_refused_pod_field_is_listed_and_refused():
    assert refused(good_deployment()) == []
    for key in policy._POD_SPEC_REFUSED:
        assert key in TEXT, key
        assert any(key in m for m in refused(good_deployment(**{key: "x"}))), key
    for key, value in [("serviceAccountName", "builder"), ("hostNetwork", True),
                       ("dnsPolicy", "None")]:
        assert key in TEXT and refused(good_deployment(**{key: value})), key


def test_every_refused_kind_is_listed():
    for kind in sorted(policy.RBAC | policy.QUOTAS | policy.CLUSTER_SCOPED):
        assert kind in TEXT, kind
        assert refused({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}), kind
    for _, kind in policy.ALLOWED:
        assert kind in TEXT


def test_ingress_and_network_rules_come_from_the_policy_settings():
    rules = " ".join(describe_rules(SandboxPolicy(ingress_domain="labs.example.test",
                                                  denied_cidrs=("10.0.0.0/8",), pod_security="baseline")))
    assert "Ingress hosts under labs.example.test" in rules and "10.0.0.0/8" in rules
    assert "Pod Security Standard “baseline”" in rules
    for annotation in policy.INGRESS_ANNOTATIONS_ALLOWED:
        assert annotation in rules


def test_lab_page_lists_the_rules_of_the_sandbox(client, alice, lab):
    client.force_login(alice)
    html = client.get(reverse("lab", args=[lab.course.slug, lab.slug])).content.decode()
    assert "Rules of the sandbox" in html
    assert "priorityClassName (sandbox pods must not pre-empt other students&#x27; pods)" in html
    assert "ServiceAccount" in html and "OpenShift Routes" in html


def test_lab_page_lists_the_checks_the_requirement_markers_name(client, alice, lab):
    client.force_login(alice)
    html = client.get(reverse("lab", args=[lab.course.slug, lab.slug])).content.decode()
    assert "The automatic checks" in html
    for check in lab.checks.all():
        assert f"<code>{check.check_id}</code> {check.title}" in html
