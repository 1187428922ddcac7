import base64

from grading.checks.tls import covers, read_tls_secret
from grading.tests.checks.builders import certificate, deployment, ingress, run, secret, service, tls_secret

HOSTS = ("api.podium.test", "iris.podium.test")


def test_ingress_class_required_and_optionally_named():
    assert run("ingress-class", ingress()).passed
    assert run("ingress-class", ingress(), class_name="traefik").passed
    assert not run("ingress-class", ingress(), class_name="nginx").passed
    outcome = run("ingress-class", ingress(class_name=None))
    assert not outcome.passed and "sets no ingressClassName" in outcome.message


def test_tls_hosts_cover_every_rule_host_partial_credit():
    assert run("ingress-tls-hosts", ingress(hosts=HOSTS)).passed
    outcome = run("ingress-tls-hosts", ingress(hosts=HOSTS, tls_hosts=["api.podium.test"]), points=2)
    assert not outcome.passed and outcome.points == 1 and "iris.podium.test" in outcome.message
    assert run("ingress-tls-hosts", ingress(hosts=HOSTS, tls_hosts=["*.podium.test"])).passed
    assert not run("ingress-tls-hosts", ingress(tls_hosts=[])).passed


def test_backends_must_name_a_submitted_service_and_port():
    assert run("ingress-backends-exist", ingress(), service("api")).passed
    assert run("ingress-backends-exist", ingress(port={"name": "http"}), service("api")).passed
    outcome = run("ingress-backends-exist", ingress(port={"number": 8080}), service("api"))
    assert not outcome.passed and "uses port 8080 of Service/api" in outcome.message
    outcome = run("ingress-backends-exist", ingress(service_name="missing"), service("api"))
    assert "Service/missing, which is not in the submission" in outcome.message


def test_certificate_covering_the_hosts_passes():
    assert run("ingress-tls-certificate", ingress(hosts=HOSTS), tls_secret("web-tls", *HOSTS)).passed


def test_wildcard_certificate_covers_one_label():
    assert run("ingress-tls-certificate", ingress(hosts=HOSTS), tls_secret("web-tls", "*.podium.test")).passed
    assert covers(["*.podium.test"], "api.podium.test")
    assert not covers(["*.podium.test"], "podium.test")
    assert not covers(["*.podium.test"], "a.b.podium.test")


def test_certificate_for_other_hosts_fails_naming_them():
    outcome = run("ingress-tls-certificate", ingress(hosts=HOSTS), tls_secret("web-tls", "api.podium.test"))
    assert not outcome.passed
    assert "covers api.podium.test, not iris.podium.test" in outcome.message


def test_opaque_secret_or_garbage_certificate_fails():
    opaque = tls_secret("web-tls", "api.podium.test", type_="Opaque")
    assert "not kubernetes.io/tls" in run("ingress-tls-certificate", ingress(), opaque).message
    garbage = secret(
        "web-tls", {"tls.crt": base64.b64encode(b"nope").decode(), "tls.key": ""}, type_="kubernetes.io/tls"
    )
    assert "not a PEM certificate" in run("ingress-tls-certificate", ingress(), garbage).message


def test_certificate_without_san_or_with_a_foreign_key_fails():
    assert (
        "without subjectAltName" in read_tls_secret(tls_secret("s", "api.podium.test", san=False)).problems[0]
    )
    assert read_tls_secret(tls_secret("s", "api.podium.test", other_key=True)).problems == [
        "holds a tls.key that does not match its certificate"
    ]


def test_string_data_certificates_are_read_too():
    cert, key = certificate("api.podium.test")
    s = secret(
        "web-tls", string_data={"tls.crt": cert.decode(), "tls.key": key.decode()}, type_="kubernetes.io/tls"
    )
    assert run("ingress-tls-certificate", ingress(), s).passed


def test_cert_manager_annotation_replaces_the_secret():
    annotated = ingress(annotations={"cert-manager.io/cluster-issuer": "letsencrypt-staging"})
    outcome = run("ingress-tls-certificate", annotated)
    assert outcome.passed and "cert-manager" in outcome.message
    assert not run("ingress-tls-certificate", ingress()).passed


def test_ingress_tls_to_workload_in_thirds():
    parts = [deployment("api"), service("api")]
    assert run("ingress-tls-to-workload", *parts, ingress(), tls_secret()).passed
    no_tls = run("ingress-tls-to-workload", *parts, ingress(tls_hosts=[]), points=3)
    assert not no_tls.passed and no_tls.points == 1
    wrong_cert = run(
        "ingress-tls-to-workload", *parts, ingress(), tls_secret("web-tls", "x.podium.test"), points=3
    )
    assert wrong_cert.points == 2
    elsewhere = run("ingress-tls-to-workload", *parts, ingress(service_name="other"), service("other"))
    assert elsewhere.points == 0 and "No Ingress routes to it" in elsewhere.message
