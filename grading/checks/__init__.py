"""The check library: pure functions from submitted Kubernetes objects to verdicts.

`REGISTRY` maps a check name (as written in lab.yaml) to its function; `run_check` runs one.
No Django, network or I/O in here, so the same checks serve static grading and, later, live
grading. Importing the modules below registers their checks.
"""

from grading.checks import (  # noqa: F401  (imported to register their checks)
    autoscaling,
    config,
    gpu,
    ingress,
    observability,
    services,
    storage,
    workloads,
)
from grading.checks.base import REGISTRY, CheckOutcome, check, run_check, validate_params
from grading.checks.objects import Objects

__all__ = ["REGISTRY", "CheckOutcome", "Objects", "check", "run_check", "validate_params"]
