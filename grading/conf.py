"""Grading settings: read from django.conf.settings (GRADING_* names) with safe defaults, so
lms/settings.py needs nothing for grading to work. Environment variables override through
lms.env (GRADING_MAX_BYTES=…), like every other Podium setting."""

from django.conf import settings

from grading.parsing import Limits
from grading.validation import KUBERNETES_VERSION
from lms.env import env_int

__all__ = ["KUBERNETES_VERSION", "Limits", "limits"]

def _int(name: str, default: int) -> int:
    return int(getattr(settings, name, env_int(name, default)))

def limits() -> Limits:
    return Limits(
        max_bytes=_int("GRADING_MAX_BYTES", Limits.max_bytes),
        max_documents=_int("GRADING_MAX_DOCUMENTS", Limits.max_documents),
        max_depth=_int("GRADING_MAX_DEPTH", Limits.max_depth),
        max_nodes=_int("GRADING_MAX_NODES", Limits.max_nodes),
        max_files=_int("GRADING_MAX_FILES", Limits.max_files),
    )

def task_soft_time_limit() -> int:
    return _int("GRADING_TASK_SOFT_TIME_LIMIT", 60)

def task_time_limit() -> int:
    return _int("GRADING_TASK_TIME_LIMIT", 90)

def task_max_retries() -> int:
    return _int("GRADING_TASK_MAX_RETRIES", 5)

def stale_after_seconds() -> int:
    """A submission running longer than this was lost with its worker (the hard time limit has
    long passed), so it may be claimed again."""
    return _int("GRADING_STALE_AFTER", task_time_limit() + 30)

def requeue_after_seconds() -> int:
    """A queued submission untouched this long lost its message (broker restarted)."""
    return _int("GRADING_REQUEUE_AFTER", 120)

def max_requeues() -> int:
    return _int("GRADING_MAX_REQUEUES", 5)

def sweep_interval_seconds() -> int:
    return _int("GRADING_SWEEP_INTERVAL", 60)

# Merged into the Celery app's beat schedule by grading/apps.py (no edit of lms/settings.py).
def beat_schedule() -> dict:
    return {
        "grading-sweep-stuck-submissions": {
            "task": "grading.sweep_stuck_submissions",
            "schedule": float(sweep_interval_seconds()),
        },
    }
