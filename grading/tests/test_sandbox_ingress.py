"""Issue 12 item 4: Podium's own host (learn.podium.test) sits inside the labs' domain
(podium.test), so a sandbox must never serve a lab host as written. Every Ingress host is
served as `<x>.<submission id>.<sandbox domain>` on the sandboxes' own ingress class, and the
verdicts speak in the student's hosts again. A system check refuses a sandbox domain that
overlaps Podium's own hosts."""

import datetime

import pytest

from grading.apps import check_sandbox_settings
from grading.live import grader as live
from grading.live.cluster import Cluster
from grading.live.sandbox import IngressRewrite, domain_overlap
from grading.tests.k8s_emulator import ApiError, KubernetesEmulator

REWRITE = IngressRewrite(42, "podium.test", "sandbox.podium-labs.test", "podium-sandbox")


def ingress(*hosts: str, tls: list[str] | None = None, cls: str | None = "nginx", annotations=None) -> dict:
    spec = {
        "rules": [
            {"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": "api", "port": {"number": 80}}}}]}}
            for h in hosts
        ]
    }
    if cls:
        spec["ingressClassName"] = cls
    if tls is not None:
        spec["tls"] = [{"hosts": tls, "secretName": "api-tls"}]
    meta = {"name": "api", **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


# --- the rewrite (pure) ----------------------------------------------------------------------


def test_a_lab_host_is_served_under_the_submissions_own_sandbox_domain():
    assert REWRITE.host("api.podium.test") == "api.42.sandbox.podium-labs.test"
    assert REWRITE.host("API.Podium.Test.") == "api.42.sandbox.podium-labs.test"
    assert REWRITE.host("v1.api.podium.test") == "v1.api.42.sandbox.podium-labs.test"


def test_podiums_own_host_written_in_a_lab_is_never_served_as_is():
    assert REWRITE.host("learn.podium.test") == "learn.42.sandbox.podium-labs.test"


def test_a_host_outside_the_lab_domain_still_lands_under_the_sandbox():
    assert REWRITE.host("login.example.com") == "login.example.com.42.sandbox.podium-labs.test"
    assert REWRITE.host("podium.test.evil.com") == "podium.test.evil.com.42.sandbox.podium-labs.test"


def test_rules_tls_and_class_are_rewritten_and_the_class_annotation_dropped():
    original = ingress("api.podium.test", "iris.podium.test", tls=["api.podium.test"],
                       annotations={"kubernetes.io/ingress.class": "nginx",
                                    "nginx.ingress.kubernetes.io/ssl-redirect": "true"})
    applied = REWRITE.apply(original)
    assert [r["host"] for r in applied["spec"]["rules"]] == [
        "api.42.sandbox.podium-labs.test", "iris.42.sandbox.podium-labs.test"]
    assert applied["spec"]["tls"][0]["hosts"] == ["api.42.sandbox.podium-labs.test"]
    assert applied["spec"]["ingressClassName"] == "podium-sandbox"
    assert applied["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}
    assert original["spec"]["rules"][0]["host"] == "api.podium.test"  # the input is left alone


def test_an_ingress_without_a_class_gets_the_sandbox_class():
    assert REWRITE.apply(ingress("api.podium.test", cls=None))["spec"]["ingressClassName"] == "podium-sandbox"


def test_malformed_ingresses_are_rewritten_without_an_exception():
    odd = {"kind": "Ingress", "metadata": {"name": "x"}, "spec": None}
    assert REWRITE.apply(odd)["spec"] == {"ingressClassName": "podium-sandbox"}
    weird = {"kind": "Ingress", "metadata": {"name": "x"},
             "spec": {"rules": [{"host": ["a"]}, "r"], "tls": [{"hosts": "api.podium.test"}, {"hosts": [1]}]}}
    assert REWRITE.apply(weird)["spec"]["rules"] == [{"host": ["a"]}, "r"]
    assert REWRITE.restore(REWRITE.apply(weird), weird)["spec"] == weird["spec"]


def test_other_kinds_pass_unchanged():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": {}}
    assert REWRITE.apply(service) is service


def test_what_the_cluster_observed_is_mapped_back_to_the_students_words():
    original = ingress("api.podium.test", tls=["api.podium.test"], annotations={
        "kubernetes.io/ingress.class": "nginx"})
    observed = {**REWRITE.apply(original), "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}}
    back = REWRITE.restore(observed, original)
    assert back["spec"]["rules"][0]["host"] == "api.podium.test"
    assert back["spec"]["tls"][0]["hosts"] == ["api.podium.test"]
    assert back["spec"]["ingressClassName"] == "nginx"
    assert back["metadata"]["annotations"] == {"kubernetes.io/ingress.class": "nginx"}
    assert back["status"] == observed["status"]
    message = 'host "api.42.sandbox.podium-labs.test" and class "podium-sandbox" are taken'
    assert REWRITE.words(message, [original]) == 'host "api.podium.test" and class "podium-sandbox" are taken'


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("sandbox.podium-labs.test", "learn.podium.test", False),
        ("podium.test", "learn.podium.test", True),  # contains Podium's host
        ("x.learn.podium.test", "learn.podium.test", True),  # under it
        ("LEARN.podium.test.", "learn.podium.test", True),
        ("sandbox.podium-labs.test", ".podium-labs.test", True),  # ALLOWED_HOSTS' subdomain form
        ("notpodium.test", "podium.test", False),
    ],
)
def test_domain_overlap(a, b, overlap):
    assert domain_overlap(a, b) is overlap


# --- the system check ------------------------------------------------------------------------


def test_the_default_sandbox_domain_passes_the_system_check(settings):
    settings.ALLOWED_HOSTS = ["learn.podium.test"]
    assert check_sandbox_settings() == []


@pytest.mark.parametrize(
    ("domain", "hosts"),
    [
        ("podium.test", ["learn.podium.test"]),
        ("learn.podium.test", ["learn.podium.test"]),
        ("labs.learn.podium.test", ["learn.podium.test"]),
        ("sandbox.podium-labs.test", [".podium-labs.test"]),
    ],
)
def test_a_sandbox_domain_overlapping_podiums_hosts_is_a_system_check_error(settings, domain, hosts):
    settings.ALLOWED_HOSTS = hosts
    settings.GRADING_SANDBOX_DOMAIN = domain
    [error] = check_sandbox_settings()
    assert error.id == "grading.E001" and domain in error.msg and "Podium's own host" in error.msg


def test_podiums_csrf_origins_count_as_its_hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://learn.podium.test"]
    settings.GRADING_SANDBOX_DOMAIN = "podium.test"
    assert [e.id for e in check_sandbox_settings()] == ["grading.E001"]


def test_a_malformed_denied_range_is_a_system_check_error(settings):
    settings.GRADING_SANDBOX_DENIED_CIDRS = "10.96.0.0/40"
    [error] = check_sandbox_settings()
    assert error.id == "grading.E002" and "10.96.0.0/40" in error.msg


# --- the live stage --------------------------------------------------------------------------


@pytest.fixture
def emu():
    emulator = KubernetesEmulator()

    def sandbox_ingress_controller(emu, obj):
        # Only the sandboxes' controller exists: it admits its own class, nothing else.
        if obj.get("kind") == "Ingress" and obj["spec"].get("ingressClassName") == "podium-sandbox":
            obj["status"] = {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}

    emulator.on_write.append(sandbox_ingress_controller)
    yield emulator.start()
    emulator.stop()


@pytest.fixture
def cluster(emu):
    c = Cluster.for_url(emu.url, request_timeout=2)
    yield c
    c.close()


def grade(cluster, objects):
    return live.grade_live(
        cluster, submission_id=42, lab="lab", objects=objects, time_limit=0, ttl_seconds=300,
        poll_seconds=0, now=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC), sleep=lambda s: None,
        ingress=REWRITE,
    )


def test_the_sandbox_serves_the_rewritten_host_and_the_verdict_speaks_the_students(emu, cluster, monkeypatch):
    seen = {}
    emu.on_write.append(lambda emu, obj: seen.update({obj["kind"]: dict(obj.get("spec") or {})}))
    judged = []
    real_checks = live.live_checks
    monkeypatch.setattr(live, "live_checks", lambda state: judged.append(state) or real_checks(state))
    result = grade(cluster, [ingress("api.podium.test", tls=["api.podium.test"])])
    assert seen["Ingress"]["rules"][0]["host"] == "api.42.sandbox.podium-labs.test"
    assert seen["Ingress"]["ingressClassName"] == "podium-sandbox"
    [verdict] = result.verdicts
    assert (verdict.id, verdict.passed) == ("live-ingress-api", True)
    [observed] = judged[0].of_kind("Ingress")
    assert observed["spec"]["rules"][0]["host"] == "api.podium.test"
    assert observed["spec"]["ingressClassName"] == "nginx"


def test_a_refusal_naming_the_sandbox_host_is_reported_with_the_students_host(emu, cluster):
    def taken(verb, obj, namespace):
        if obj["kind"] == "Ingress":
            host = obj["spec"]["rules"][0]["host"]
            return ApiError(400, "BadRequest", f'host "{host}" and path "/" is already defined in x/y')
        return None

    emu.admission.append(taken)
    [problem] = grade(cluster, [ingress("api.podium.test")]).problems
    assert 'host "api.podium.test"' in problem.message and "sandbox.podium-labs.test" not in problem.message


def test_the_live_stage_takes_the_sandbox_domain_and_class_from_the_settings(emu, cluster, settings):
    settings.GRADING_SANDBOX_DOMAIN = "labs.example.net"
    settings.GRADING_SANDBOX_INGRESS_CLASS = "sandboxes"
    seen = []
    emu.on_write.append(lambda emu, obj: obj["kind"] == "Ingress" and seen.append(obj["spec"]))
    live.grade_live(cluster, submission_id=7, lab="lab", objects=[ingress("api.podium.test")], time_limit=0,
                    ttl_seconds=300, poll_seconds=0, sleep=lambda s: None)
    [spec] = seen
    assert (spec["rules"][0]["host"], spec["ingressClassName"]) == ("api.7.labs.example.net", "sandboxes")
