"""/metrics: Prometheus text format, request latency, queue depth, outcomes, stage durations."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from courses.tests.conftest import alice, make_user, write_course  # noqa: F401 - fixtures
from grading.tests.conftest import course, course_dir, fake_checks, lab  # noqa: F401 - fixtures
from lms import metrics

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def scrape(client: Client | None = None, **extra) -> dict[str, float]:
    response = (client or Client(HTTP_HOST="10.1.2.3")).get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


@pytest.fixture
def production(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["podium.example.com"]
    settings.METRICS_PORT = 80  # the test client's SERVER_PORT: scrapes arrive on the metrics port
    return settings


def submit(lab, user, status):  # noqa: F811 - fixtures by name
    from grading.models import Submission

    return Submission.objects.create(lab=lab, user=user, status=status, queued_at=timezone.now())


def test_metrics_answer_the_pod_ip_over_plain_http_in_prometheus_format(production):
    samples = scrape()
    assert samples["podium_metrics_database_up{}"] == 1
    assert samples["podium_grading_queue_depth{}"] == 0


def test_queue_depth_counts_queued_submissions_and_status_counts_every_outcome(production, lab, alice):  # noqa: F811
    for status in ("queued", "queued", "running", "passed", "failed", "failed"):
        submit(lab, alice, status)
    samples = scrape()
    assert samples["podium_grading_queue_depth{}"] == 2
    assert samples["podium_submissions{status=queued}"] == 2
    assert samples["podium_submissions{status=running}"] == 1
    assert samples["podium_submissions{status=passed}"] == 1
    assert samples["podium_submissions{status=failed}"] == 2
    assert samples["podium_submissions{status=not_graded}"] == 0


def test_a_scrape_costs_one_database_query(production, django_assert_num_queries):
    with django_assert_num_queries(1):
        scrape()


def test_request_latency_is_observed_per_view_and_status_class(production):
    client = Client(HTTP_HOST="podium.example.com", headers={"X-Forwarded-Proto": "https"})
    key = "podium_http_request_duration_seconds_count{method=GET,status=2xx,view=pygments-css}"
    before = scrape().get(key, 0)
    assert client.get("/pygments.css").status_code == 200
    assert client.get("/pygments.css").status_code == 200
    assert scrape()[key] == before + 2


def test_unknown_paths_share_one_label_so_cardinality_stays_bounded(production):
    client = Client(HTTP_HOST="podium.example.com", headers={"X-Forwarded-Proto": "https"})
    key = "podium_http_request_duration_seconds_count{method=GET,status=4xx,view=unmatched}"
    before = scrape().get(key, 0)
    for n in range(3):
        client.get(f"/no-such-page-{n}/")
    assert scrape()[key] == before + 3


def test_metrics_answer_only_on_the_metrics_port_when_one_is_set(production):
    production.METRICS_PORT = 9102
    assert Client(HTTP_HOST="10.1.2.3").get("/metrics", SERVER_PORT="8000").status_code == 404
    assert Client(HTTP_HOST="10.1.2.3").get("/metrics", SERVER_PORT="9102").status_code == 200


def test_metrics_are_never_public_when_no_metrics_port_is_set(production):
    production.METRICS_PORT = 0
    for port in ("80", "8000", "9102"):
        response = Client(HTTP_HOST="10.1.2.3").get("/metrics", SERVER_PORT=port)
        assert response.status_code == 404 and b"podium_" not in response.content


def test_metrics_still_answer_when_the_database_is_down(production, monkeypatch):
    from grading.models import Submission

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(Submission.objects, "order_by", broken)
    samples = scrape()
    assert samples["podium_metrics_database_up{}"] == 0
    assert "podium_grading_queue_depth{}" not in samples


def test_a_finished_grading_run_counts_its_outcome_and_stage_durations(production, lab, alice):  # noqa: F811
    from grading.models import Submission
    from grading.tasks import grade_submission

    submission = submit(lab, alice, "passed")
    Submission.objects.filter(pk=submission.pk).update(stages=[
        {"name": "parse", "ms": 2.0}, {"name": "validate", "ms": 30.0}, {"name": "checks", "ms": 4.0}])
    before = scrape()
    metrics._on_task_postrun(sender=grade_submission, args=(submission.pk,), kwargs={}, retval="passed")
    after = scrape()
    assert after["podium_grading_submissions_total{outcome=passed}"] == \
        before.get("podium_grading_submissions_total{outcome=passed}", 0) + 1
    for stage in ("parse", "validate", "checks"):
        key = f"podium_grading_stage_duration_seconds_count{{stage={stage}}}"
        assert after[key] == before.get(key, 0) + 1
    key = "podium_grading_stage_duration_seconds_sum{stage=validate}"
    assert after[key] == pytest.approx(before.get(key, 0) + 0.030)


def test_skipped_or_retried_runs_are_not_counted():
    before = metrics.GRADING_OUTCOMES.labels("passed")._value.get()
    metrics.observe_grading("skipped", [{"name": "parse", "ms": 1}])
    metrics.observe_grading(None, None)
    assert metrics.GRADING_OUTCOMES.labels("passed")._value.get() == before


def test_request_timing_overhead_is_a_few_microseconds(rf):
    from django.http import HttpResponse

    response = HttpResponse("ok")
    middleware = metrics.MetricsMiddleware(lambda request: response)
    request = rf.get("/courses/")
    rounds = 20_000
    start = time.perf_counter()
    for _ in range(rounds):
        middleware(request)
    per_request = (time.perf_counter() - start) / rounds
    # ~5-15 µs measured on a 2-core machine; the bound only catches a pathological regression.
    assert per_request < 100e-6, f"{per_request * 1e6:.1f} µs per request"


MULTIPROCESS_SCRIPT = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
import django
django.setup()
from lms import metrics
if sys.argv[1] == "observe":
    metrics.observe_grading("failed", [{"name": "checks", "ms": 5}])
else:
    sys.stdout.write(metrics.render(include_database=False).decode())
"""


def test_samples_from_several_processes_are_aggregated_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "SECRET_KEY": "x" * 50}

    def run(mode: str) -> str:
        return subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT, mode], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120, check=True).stdout

    run("observe")
    run("observe")
    text = run("render")
    assert 'podium_grading_submissions_total{outcome="failed"} 2.0' in text
    assert 'podium_grading_stage_duration_seconds_count{stage="checks"} 2.0' in text


def test_a_celery_worker_serves_its_metrics_on_the_metrics_port(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.METRICS_PORT = port
    server, thread = metrics._on_worker_ready()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
            body = response.read().decode()
        assert 'podium_grading_submissions_total{outcome="passed"}' in body
    finally:
        server.shutdown()
        thread.join(5)


def test_a_celery_worker_without_a_metrics_port_serves_nothing(settings):
    settings.METRICS_PORT = 0
    assert metrics._on_worker_ready() is None
