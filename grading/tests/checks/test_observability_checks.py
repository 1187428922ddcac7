import pytest

from grading.tests.checks.builders import container, deployment, run, service

HTTP_PROBE = {"httpGet": {"path": "/healthz", "port": "http"}}
METRICS_PORTS = (("http", 8080), ("metrics", 9100))
SCRAPE = {"prometheus.io/scrape": "true", "prometheus.io/port": "9100", "prometheus.io/path": "/metrics"}


def probed(**probes):
    return deployment("api", containers=[container(ports=METRICS_PORTS, **probes)])


def test_probes_present_on_declared_ports():
    d = probed(livenessProbe=HTTP_PROBE, readinessProbe={"tcpSocket": {"port": 8080}})
    assert run("probes", d).passed
    assert not run("probes", d, types=["startup"]).passed


def test_probe_on_an_undeclared_port_fails_naming_it():
    d = probed(livenessProbe=HTTP_PROBE, readinessProbe={"httpGet": {"path": "/", "port": "web"}})
    outcome = run("probes", d, points=2)
    assert not outcome.passed and outcome.points == 1
    assert "points at port 'web', which is not one of its ports (http:8080, metrics:9100)" in outcome.message


def test_exec_probes_need_no_port_and_sidecars_without_ports_are_not_serving():
    exec_probe = {"exec": {"command": ["redis-cli", "ping"]}}
    sidecar = container("log-shipper", ports=())
    d = deployment(
        "api", containers=[container(livenessProbe=exec_probe, readinessProbe=exec_probe), sidecar]
    )
    assert run("probes", d).passed


def test_unknown_probe_type_is_a_type_error():
    with pytest.raises(TypeError):
        run("probes", probed(), types=["health"])


def test_metrics_port_by_name_or_annotation():
    assert run("metrics-port", probed()).passed
    by_annotation = deployment(
        "api",
        containers=[container(ports=(("http", 8080), (None, 9100)))],
        annotations={"prometheus.io/port": "9100"},
    )
    assert run("metrics-port", by_annotation).passed
    assert not run("metrics-port", deployment("api")).passed


def test_scrape_annotation_on_template_or_service():
    assert run(
        "prometheus-scrape",
        deployment("api", containers=[container(ports=METRICS_PORTS)], annotations=SCRAPE),
    ).passed
    assert run("prometheus-scrape", probed(), service("api", annotations=SCRAPE)).passed
    assert not run("prometheus-scrape", probed(), service("api")).passed


def test_scrape_annotation_naming_an_undeclared_port_fails():
    bad = {**SCRAPE, "prometheus.io/port": "9000"}
    outcome = run(
        "prometheus-scrape", deployment("api", containers=[container(ports=METRICS_PORTS)], annotations=bad)
    )
    assert not outcome.passed and "prometheus.io/port: '9000', which no container declares" in outcome.message


def service_monitor(port="metrics"):
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "api"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "endpoints": [{"port": port}]},
    }


def test_service_monitor_or_pod_monitor_instead_of_annotations():
    svc = service("api", ports=((80, "http"), (9100, "metrics")))
    assert run("prometheus-scrape", probed(), svc, service_monitor()).passed
    assert not run("prometheus-scrape", probed(), svc, service_monitor("web")).passed
    pod_monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "api"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "podMetricsEndpoints": [{"port": "metrics"}]},
    }
    assert run("prometheus-scrape", probed(), pod_monitor).passed


def test_monitoring_half_credit_each_part():
    with_both = deployment("api", containers=[container(ports=METRICS_PORTS)], annotations=SCRAPE)
    assert run("monitoring", with_both).passed
    port_only = run("monitoring", probed(), points=4)
    assert not port_only.passed and port_only.points == 2 and "Nothing tells Prometheus" in port_only.message
    assert run("monitoring", deployment("api"), points=4).points == 0
