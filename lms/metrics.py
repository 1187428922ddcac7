"""Prometheus metrics at `/metrics` (text exposition format).

What is measured:
- `podium_http_request_duration_seconds{method,view,status}`: request latency, a histogram
  observed by `MetricsMiddleware` (labels are low-cardinality: the URL name, not the path);
- `podium_grading_queue_depth`: Submission rows waiting in the `queued` state, and
  `podium_submissions{status}`: rows per status (outcome), both read from the database at
  scrape time by one GROUP BY query (web pods only, so every replica reports the same value:
  aggregate with max(), not sum());
- `podium_grading_submissions_total{outcome}` and
  `podium_grading_stage_duration_seconds{stage}`: counted by the Celery worker that graded
  the submission (parse, validate, policy, checks; later the cluster stages).

Several processes: gunicorn runs several workers and Celery several pool processes. Set
`PROMETHEUS_MULTIPROC_DIR` to an empty writable directory (the chart mounts an emptyDir) and
every process writes its samples there; a scrape of any one process then aggregates them all
(prometheus_client's multiprocess mode; `deploy/gunicorn.conf.py` clears the directory at
start and marks dead workers). Without it (runserver, tests) the process's own registry is
served. The Celery worker serves its metrics on `METRICS_PORT` from its main process.

`/metrics` answers only when `METRICS_PORT` is set, and only on that local port, so the public
Ingress (which reaches the web port) cannot read it; without `METRICS_PORT` it is 404 everywhere
(for a local scrape, run the server on the port you set as METRICS_PORT). Probes and scrapes
use the pod IP, so the answer comes before ALLOWED_HOSTS validation and the HTTPS redirect.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from grading.models import Submission

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


REQUEST_LATENCY = Histogram(
    "podium_http_request_duration_seconds", "Time to answer an HTTP request, by view.",
    ["method", "view", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRADING_STAGE_DURATION = Histogram(
    "podium_grading_stage_duration_seconds", "Time spent in each grading pipeline stage.", ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
GRADING_OUTCOMES = Counter(
    "podium_grading_submissions", "Grading runs finished by a worker, by outcome.", ["outcome"],
)
FINAL_OUTCOMES = tuple(status.value for status in Submission.FINAL)
if multiprocess_dir():  # samples are written as files there, so it must exist before the first one
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)
for _outcome in FINAL_OUTCOMES:  # export zeros from the start, so rate() works before the first run
    GRADING_OUTCOMES.labels(_outcome)


class SubmissionsCollector(Collector):
    """Queue depth and submissions per status, read from the database when scraped."""

    def collect(self) -> Iterable[Metric]:
        from django.db.models import Count

        from grading.models import Submission

        up = GaugeMetricFamily("podium_metrics_database_up",
                               "1 if the database answered the metrics query.")
        try:
            counts = dict(Submission.objects.order_by().values_list("status").annotate(n=Count("id")))
        except Exception as exc:  # a scrape must still answer when the database is down
            logger.warning("metrics: submissions query failed: %r", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("podium_grading_queue_depth", "Submissions waiting to be graded.")
        depth.add_metric([], counts.get(Submission.Status.QUEUED, 0))
        yield depth
        by_status = GaugeMetricFamily("podium_submissions", "Submissions stored, by status (outcome).",
                                      labels=["status"])
        for status in Submission.Status.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status


DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)
DATABASE_REGISTRY.register(SubmissionsCollector())


def process_registry() -> CollectorRegistry:
    """The samples of this process, or of every process sharing the multiprocess directory."""
    path = multiprocess_dir()
    if not path:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    return registry


def render(*, include_database: bool = True) -> bytes:
    body = generate_latest(process_registry())
    if include_database:
        body += generate_latest(DATABASE_REGISTRY)
    return body


def _local_port(request: HttpRequest) -> int | None:
    """The port the request arrived on: gunicorn's socket, else SERVER_PORT."""
    sock = request.META.get("gunicorn.socket")
    try:
        if sock is not None:
            return int(sock.getsockname()[1])
        return int(request.META.get("SERVER_PORT", 0))
    except (OSError, TypeError, ValueError, IndexError):
        return None


def metrics_view(request: HttpRequest) -> HttpResponse:
    # Deny unless configured: without METRICS_PORT there is no port the Ingress cannot reach,
    # so /metrics (queue depth, outcomes, view names) would be public.
    port = getattr(settings, "METRICS_PORT", 0)
    if not port or _local_port(request) != port:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    response = HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class MetricsMiddleware:
    """Serve /metrics before host validation and time every other request.

    Per request it costs two perf_counter calls and one histogram observation (a few
    microseconds; measured in lms/tests/test_metrics.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == METRICS_PATH and request.method in ("GET", "HEAD"):
            return metrics_view(request)
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        key = (request.method if request.method in _METHODS else "other",
               (match.view_name or "unnamed") if match else "unmatched",
               _STATUS_CLASSES.get(response.status_code // 100, "other"))
        child = _latency_children.get(key)
        if child is None:  # labels() costs more than the observation; views are few, so cache
            child = _latency_children.setdefault(key, REQUEST_LATENCY.labels(*key))
        child.observe(time.perf_counter() - start)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = {n: f"{n}xx" for n in range(1, 6)}
_latency_children: dict[tuple[str, str, str], object] = {}


def observe_grading(outcome: object, stages: list[dict] | None) -> None:
    """Count a finished grading run and observe how long each of its stages took."""
    if outcome not in FINAL_OUTCOMES:
        return
    GRADING_OUTCOMES.labels(str(outcome)).inc()
    for stage in stages or []:
        ms = stage.get("ms") if isinstance(stage, dict) else None
        if isinstance(ms, int | float) and stage.get("name"):
            GRADING_STAGE_DURATION.labels(str(stage["name"])).observe(ms / 1000)


def _on_task_postrun(sender=None, args=None, kwargs=None, retval=None, **_extra) -> None:
    if getattr(sender, "name", None) != "grading.grade_submission" or retval not in FINAL_OUTCOMES:
        return
    submission_id = (kwargs or {}).get("submission_id") or ((args or [None])[0])
    try:
        from grading.models import Submission

        stages = Submission.objects.filter(pk=submission_id).values_list("stages", flat=True).first()
        observe_grading(retval, stages)
    except Exception as exc:  # metrics must never break grading
        logger.warning("metrics: could not record submission %s: %r", submission_id, exc)


def _on_worker_ready(**_extra) -> object:
    """Serve /metrics from the Celery worker's main process (a daemon thread) on METRICS_PORT."""
    port = getattr(settings, "METRICS_PORT", 0)
    if not port:
        return None
    from prometheus_client import start_http_server

    server = start_http_server(port, registry=process_registry())
    logger.info("metrics: serving /metrics on port %s", port)
    return server


def _on_worker_process_shutdown(pid=None, **_extra) -> None:
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


def connect_celery_signals() -> None:
    """Hook the Celery worker: outcomes and stage durations, and a metrics port."""
    from celery import signals

    signals.task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="podium-metrics-postrun")
    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="podium-metrics-ready")
    signals.worker_process_shutdown.connect(_on_worker_process_shutdown, weak=False,
                                            dispatch_uid="podium-metrics-shutdown")
