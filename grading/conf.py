"""Grading settings: read from django.conf.settings (GRADING_* names) with safe defaults, so
lms/settings.py needs nothing for grading to work. Environment variables override through
lms.env (GRADING_MAX_BYTES=…), like every other Podium setting."""

import re
from dataclasses import dataclass

from django.conf import settings

from grading.intake.parsing import Limits
from grading.intake.pod_security import LEVELS as POD_SECURITY_LEVELS
from lms.env import env, env_bool, env_int, env_list


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

def parse_isolation():
    """The child process that parses uploads (grading/intake/isolated.py): GRADING_PARSE_MEMORY_MB of
    address space above the started interpreter's, GRADING_PARSE_CPU_SECONDS of CPU."""
    from grading.intake.isolated import Isolation

    return Isolation(memory_mb=_int("GRADING_PARSE_MEMORY_MB", Isolation.memory_mb),
                     cpu_seconds=_int("GRADING_PARSE_CPU_SECONDS", Isolation.cpu_seconds))

DEFAULT_LAB_TIME_LIMIT = 120  # Lab.time_limit_seconds' default, for a task not yet tied to a lab

def live_overhead_seconds() -> int:
    """Live grading's work around the lab's wait: the static stages, sandbox create, dry run and
    apply, reading state and logs, teardown (deleting the namespace can take a while)."""
    return _int("GRADING_LIVE_OVERHEAD", 120)

def task_soft_time_limit(lab_time_limit: int | None = None) -> int:
    """Seconds a grading run may take before Celery interrupts it ("not graded"). With live
    grading it is never less than the lab's own wait plus the overhead, so a sandbox that never
    settles ends `failed` with the reason when the lab's time runs out, not `not_graded`.
    GRADING_TASK_SOFT_TIME_LIMIT is the floor (and the whole limit for static-only grading)."""
    floor = _int("GRADING_TASK_SOFT_TIME_LIMIT", 60)
    if cluster_settings() is None:
        return floor
    wait = DEFAULT_LAB_TIME_LIMIT if lab_time_limit is None else lab_time_limit
    return max(floor, wait + live_overhead_seconds())

def task_time_limit(lab_time_limit: int | None = None) -> int:
    """The hard limit (the worker process is killed): the soft limit plus time to store the
    "not graded" result and tear the sandbox down after the interruption."""
    soft = task_soft_time_limit(lab_time_limit)
    return max(_int("GRADING_TASK_TIME_LIMIT", 90), soft + 30)

def task_max_retries() -> int:
    return _int("GRADING_TASK_MAX_RETRIES", 5)

def stale_after_seconds(longest_lab_time_limit: int | None = None) -> int:
    """A submission running longer than this was lost with its worker (the hard time limit of the
    longest lab has long passed), so it may be claimed again."""
    return _int("GRADING_STALE_AFTER", task_time_limit(longest_lab_time_limit) + 30)

def requeue_after_seconds() -> int:
    """A queued submission untouched this long lost its message (broker restarted)."""
    return _int("GRADING_REQUEUE_AFTER", 120)

def max_requeues() -> int:
    return _int("GRADING_MAX_REQUEUES", 5)

def sweep_interval_seconds() -> int:
    return _int("GRADING_SWEEP_INTERVAL", 60)

_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}

def rate_limit() -> tuple[int, int] | None:
    """GRADING_RATE_LIMIT = "<count>/<window>": at most <count> submissions per student and lab
    in any sliding <window> ("10/10m", "20/1h", "5/300"); "0" or "off" turns it off."""
    raw = str(getattr(settings, "GRADING_RATE_LIMIT", env("GRADING_RATE_LIMIT", "10/10m"))).strip().lower()
    if raw in ("", "0", "off"):
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)\s*([smh]?)", raw)
    if not match or int(match[1]) < 1 or int(match[2]) < 1:
        raise ValueError(f'GRADING_RATE_LIMIT must look like "10/10m" (count/window), not {raw!r}')
    return int(match[1]), int(match[2]) * _UNIT_SECONDS[match[3]]

@dataclass(frozen=True)
class ClusterSettings:
    """Where live grading runs. Read by grading/live/cluster.py (the only user of the client)."""

    in_cluster: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    request_timeout: float = 10.0
    install: object = None  # grading.live.sandbox.Install (sandbox_install()); None: a dev install's


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, env(name, default)) or default).strip()


def sandbox_install():
    """Whose sandboxes this worker makes, and the chart ClusterRoles it binds in them (the chart
    sets every one, deploy/helm/podium/templates/worker.yaml): GRADING_INSTALL_ID (per release,
    in every sandbox's name and labels, so two installs on one cluster never touch each other's),
    GRADING_SANDBOX_PREFIX, GRADING_SANDBOX_LABEL ("key=value"), GRADING_SANDBOX_CLUSTERROLE (the
    applier's rules) and GRADING_SANDBOX_GRADER_CLUSTERROLE (the grader's own in a sandbox).
    Unset, a development install's defaults (grading.live.sandbox.Install)."""
    from grading.live.sandbox import Install

    default = Install()
    label = _setting("GRADING_SANDBOX_LABEL", f"{default.label_key}={default.label_value}")
    key, sep, value = label.partition("=")
    if not sep or not key.strip():
        raise ValueError(f'GRADING_SANDBOX_LABEL must look like "key=value", not {label!r}')
    try:
        return Install(
            install_id=_setting("GRADING_INSTALL_ID", default.install_id),
            prefix=_setting("GRADING_SANDBOX_PREFIX", default.prefix),
            label_key=key.strip(),
            label_value=value.strip(),
            applier_clusterrole=_setting("GRADING_SANDBOX_CLUSTERROLE", default.applier_clusterrole),
            grader_clusterrole=_setting("GRADING_SANDBOX_GRADER_CLUSTERROLE", default.grader_clusterrole),
        )
    except ValueError as exc:
        raise ValueError(f"GRADING_INSTALL_ID / GRADING_SANDBOX_PREFIX: {exc}") from None


def cluster_settings() -> ClusterSettings | None:
    """The cluster to grade live in, or None: grading is then static-only, and says so.

    GRADING_KUBE_IN_CLUSTER=1 uses the pod's service account; GRADING_KUBECONFIG=path (plus
    GRADING_KUBE_CONTEXT) a kubeconfig file. KUBECONFIG alone does not switch live grading on:
    a developer's shell must not make the test suite or `make run` talk to their cluster."""
    in_cluster = bool(getattr(settings, "GRADING_KUBE_IN_CLUSTER", env_bool("GRADING_KUBE_IN_CLUSTER")))
    kubeconfig = getattr(settings, "GRADING_KUBECONFIG", env("GRADING_KUBECONFIG")) or None
    if not in_cluster and not kubeconfig:
        return None
    context = getattr(settings, "GRADING_KUBE_CONTEXT", env("GRADING_KUBE_CONTEXT")) or None
    return ClusterSettings(in_cluster=in_cluster, kubeconfig=None if in_cluster else kubeconfig,
                           context=context,
                           request_timeout=float(_int("GRADING_KUBE_REQUEST_TIMEOUT", 10)),
                           install=sandbox_install())

def pod_security_for(lab) -> str:
    """The Pod Security level a lab's sandbox enforces: the lab's own, else the platform's."""
    return lab.pod_security or sandbox_pod_security()


def sandbox_pod_security() -> str:
    """The Pod Security Standard enforced in sandboxes (pinned version in grading/live/sandbox.py)."""
    level = str(getattr(settings, "GRADING_SANDBOX_POD_SECURITY",
                        env("GRADING_SANDBOX_POD_SECURITY", "restricted"))).strip().lower()
    if level not in POD_SECURITY_LEVELS:
        raise ValueError(f"GRADING_SANDBOX_POD_SECURITY must be one of {POD_SECURITY_LEVELS}, not {level!r}")
    return level

def sandbox_ttl_seconds(lab_time_limit: int | None = None) -> int:
    """A sandbox older than this is deleted by the reaper (its worker died before teardown)."""
    return _int("GRADING_SANDBOX_TTL", task_time_limit(lab_time_limit) + 120)

def stuck_terminating_seconds() -> int:
    """A sandbox Terminating longer than this is reported (and its finalizers cleared)."""
    return _int("GRADING_SANDBOX_STUCK_AFTER", 300)

# Ranges no sandbox may reach whatever NetworkPolicies the student adds: the Kubernetes service
# range (the API server's ClusterIP sits in it) and link-local v4/v6 (cloud metadata
# 169.254.169.254). Operators set their cluster's own service CIDR here, plus the nodes' and the
# API server's IPs (comma-separated); the chart passes the same list to its AdminNetworkPolicy.
def sandbox_denied_cidrs() -> tuple[str, ...]:
    from grading.live.sandbox import DEFAULT_DENIED_CIDRS as DEFAULT_SANDBOX_DENIED_CIDRS
    from grading.live.sandbox import parse_cidrs

    value = getattr(settings, "GRADING_SANDBOX_DENIED_CIDRS", None)
    if value is None:
        value = env_list("GRADING_SANDBOX_DENIED_CIDRS", list(DEFAULT_SANDBOX_DENIED_CIDRS))
    if isinstance(value, str):
        value = value.split(",")
    try:
        return parse_cidrs(value)
    except ValueError as exc:
        raise ValueError(f"GRADING_SANDBOX_DENIED_CIDRS: {exc}") from None

def lab_domain() -> str:
    """The domain labs ask students to serve under (`api.podium.test`)."""
    return str(getattr(settings, "GRADING_LAB_DOMAIN", env("GRADING_LAB_DOMAIN", "podium.test"))).strip(".")

def sandbox_domain() -> str:
    """Sandbox Ingress hosts become `<x>.<submission id>.<this>`. Never Podium's own domain: the
    system check grading.E001 refuses one that equals, contains or sits under ALLOWED_HOSTS."""
    return str(getattr(settings, "GRADING_SANDBOX_DOMAIN",
                       env("GRADING_SANDBOX_DOMAIN", "sandbox.podium-labs.test"))).strip().strip(".").lower()

def ingress_classes() -> tuple[str, ...]:
    """The ingressClassName values labs may use: the classes the course's clusters serve
    (GRADING_INGRESS_CLASSES, comma-separated; default traefik). Live grading rewrites the class
    to the sandbox's own at apply time; the static check judges what the student wrote."""
    value = getattr(settings, "GRADING_INGRESS_CLASSES", None)
    if value is None:
        value = env_list("GRADING_INGRESS_CLASSES", ["traefik"])
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if str(v).strip()) or ("traefik",)

def sandbox_ingress_class() -> str:
    """The IngressClass of the sandboxes' own ingress controller (never Podium's)."""
    return str(getattr(settings, "GRADING_SANDBOX_INGRESS_CLASS",
                       env("GRADING_SANDBOX_INGRESS_CLASS", "podium-sandbox"))).strip()

def site_url() -> str:
    """Podium's address for links in emails sent without a request (digests, posted grades):
    PODIUM_SITE_URL, else the first CSRF_TRUSTED_ORIGINS entry, else the development server's."""
    explicit = getattr(settings, "PODIUM_SITE_URL", env("PODIUM_SITE_URL", ""))
    origins = [str(o) for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", []) if "*" not in str(o)]
    return str(explicit or (origins[0] if origins else "http://127.0.0.1:8000")).rstrip("/")

# Merged into the Celery app's beat schedule by grading/apps.py (no edit of lms/settings.py).
def beat_schedule() -> dict:
    schedule = {
        "grading-sweep-stuck-submissions": {
            "task": "grading.sweep_stuck_submissions",
            "schedule": float(sweep_interval_seconds()),
        },
    }
    # Digests (grading/digests.py): daily at GRADING_DIGEST_HOUR UTC; the instructors' summary on
    # Mondays at the same hour.
    from celery.schedules import crontab

    hour = _int("GRADING_DIGEST_HOUR", 7)
    schedule["grading-daily-digests"] = {"task": "grading.send_daily_digests",
                                         "schedule": crontab(minute=0, hour=hour)}
    schedule["grading-weekly-summaries"] = {"task": "grading.send_weekly_summaries",
                                            "schedule": crontab(minute=15, hour=hour, day_of_week="mon")}
    if cluster_settings():
        schedule["grading-reap-sandboxes"] = {"task": "grading.reap_sandboxes",
                                              "schedule": float(_int("GRADING_REAP_INTERVAL", 60))}
    return schedule
