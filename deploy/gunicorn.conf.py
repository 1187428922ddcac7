"""gunicorn settings for the Podium image (web pods). Every value can be overridden with the
environment variable named beside it, so the chart tunes it without a new image."""

import os
import shutil
from pathlib import Path

from gunicorn.glogging import Logger

_port = os.environ.get("PORT", "8000")
_metrics_port = os.environ.get("METRICS_PORT", "")
bind = [f"0.0.0.0:{_port}"] + ([f"0.0.0.0:{_metrics_port}"] if _metrics_port else [])
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# readOnlyRootFilesystem: gunicorn's heartbeat files go to a memory-backed emptyDir.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/tmp")  # noqa: S108 - an emptyDir in the pod
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# No runtime control socket (gunicorn >= 27): nothing in a pod uses it, and $HOME is read-only.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '{"remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, ' \
                    '"bytes": "%(B)s", "ms": %(M)s, "agent": "%(a)s"}'

QUIET_PATHS = ("/healthz", "/readyz", "/metrics")


class PodiumLogger(Logger):
    """Access log without probes and scrapes: they come every few seconds from every kubelet."""

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO", "").rstrip("/") in QUIET_PATHS:
            return
        super().access(resp, req, environ, request_time)


logger_class = PodiumLogger


def on_starting(server):
    """Start each pod with an empty multiprocess metrics directory (it survives restarts)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
