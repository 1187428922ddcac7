"""Live grading: one sandbox per submission, created, applied into, watched, judged, torn down.

Talks to the cluster only through grading.live.cluster.Cluster; the verdicts and diagnoses are
pure functions of the observed state (grading.live.checks, grading.live.diagnostics). Teardown runs
in `finally`, so a failing stage, an API outage or Celery's soft time limit still deletes the
sandbox; what a killed worker leaves behind the reaper deletes once its TTL has passed.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from grading.checks.objects import ref
from grading.labs import LIVE_CHECK_PREFIX
from grading.live import sandbox
from grading.live.checks import LiveVerdict, live_checks
from grading.live.cluster import ApplyProblem, Cluster, ObservedState
from grading.live.diagnostics import Diagnosis, diagnose, settled
from grading.live.sandbox import IngressRewrite, SandboxSpec

logger = logging.getLogger(__name__)

# Shown to the student on their submission page: plain words, no operator jargon.
SKIPPED_NOTE = ("Podium checked your manifests as written; it did not run them on a cluster this time, so "
                "the checks that need your workload running were left out.")


@dataclass
class LiveResult:
    namespace: str
    problems: list[ApplyProblem] = field(default_factory=list)  # admission refused these (dry run)
    verdicts: list[LiveVerdict] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage
    settled: bool = False
    evidence: dict = field(default_factory=dict)
    tampered: list[str] = field(default_factory=list)  # guardrails the student's apply changed


TAMPERED_ID = f"{LIVE_CHECK_PREFIX}guardrails-intact"


def _tampered_verdict(lines: list[str]) -> LiveVerdict:
    return LiveVerdict(
        TAMPERED_ID,
        "The sandbox's guardrails are intact",
        False,
        "Tampered: the submission changed the sandbox's own guardrails, so it was not run: "
        + "; ".join(lines)
        + ". Leave objects named podium-* alone and open no denied address range.",
        expected="guardrails as Podium made them",
        observed="; ".join(lines)[:500],
    )


def _involved(event: dict) -> str:
    involved = event.get("involvedObject") or {}
    return f"{involved.get('kind')}/{involved.get('name')}"


def _evidence(state: ObservedState, version: str) -> dict:
    pods = [
        {
            "name": p["metadata"]["name"],
            "phase": (p.get("status") or {}).get("phase"),
            "containers": (p.get("status") or {}).get("containerStatuses") or [],
        }
        for p in state.of_kind("Pod")
    ]
    events = [
        {
            "object": _involved(e),
            "type": e.get("type"),
            "reason": e.get("reason"),
            "message": e.get("message"),
        }
        for e in state.events
    ][-50:]
    objects = [
        {"kind": o.get("kind"), "name": (o.get("metadata") or {}).get("name"), "status": o.get("status")}
        for o in state.objects
        if o.get("kind") not in ("Pod", "EndpointSlice")
    ]
    return {"cluster_version": version, "objects": objects, "pods": pods, "events": events}


def grade_live(
    cluster: Cluster,
    *,
    submission_id: int,
    lab: str,
    objects: list[dict],
    time_limit: float,
    ttl_seconds: int,
    pod_security: str = "restricted",
    poll_seconds: float = 1.0,
    now: datetime.datetime | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_stage: Callable[[str], None] | None = None,
    denied_cidrs: tuple[str, ...] | None = None,
    ingress: IngressRewrite | None = None,
) -> LiveResult:
    """Create the sandbox, apply `objects` (dry run first), check its guardrails survived,
    wait until settled or `time_limit`, observe, judge, and always delete the sandbox.
    Ingress hosts are served under the submission's own sandbox domain (`ingress`, from the
    settings by default) and mapped back before judging. Raises ClusterUnavailable /
    ClusterError."""
    from grading import conf

    now = now or datetime.datetime.now(datetime.UTC)
    spec = SandboxSpec(
        submission_id=submission_id,
        lab=lab,
        expires_at=now + datetime.timedelta(seconds=ttl_seconds),
        pod_security=pod_security,
        denied_cidrs=conf.sandbox_denied_cidrs() if denied_cidrs is None else denied_cidrs,
        install=cluster.install,
    )
    ingress = ingress or IngressRewrite(
        submission_id, conf.lab_domain(), conf.sandbox_domain(), conf.sandbox_ingress_class()
    )
    result = LiveResult(namespace=spec.namespace)
    kinds = list(dict.fromkeys((o["apiVersion"], o["kind"]) for o in objects))
    # Whatever the static stage let through, no pod runs with a token (the grader's or any).
    result.problems = [
        ApplyProblem(ref(o), 403, "Forbidden", f"the sandbox refuses it: {line}")
        for o in objects
        for line in sandbox.identity_problems(o)
    ]
    if result.problems:
        return result
    originals = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "Ingress"}
    applied = [ingress.apply(o) for o in objects]

    def timed(name: str, fn):
        if on_stage:
            on_stage(name)
        start = time.perf_counter()
        try:
            return fn()
        finally:
            result.timings[name] = round(1000 * (time.perf_counter() - start), 2)

    try:
        timed("sandbox", lambda: cluster.create_sandbox(spec))
        problems = timed("apply", lambda: cluster.apply(spec.namespace, applied))
        result.problems = [
            ApplyProblem(p.ref, p.status, p.reason, ingress.words(p.message, list(originals.values())))
            for p in problems
        ]
        if result.problems:
            return result
        result.tampered = timed("guardrails", lambda: cluster.tampering(spec))
        if result.tampered:
            result.verdicts = [_tampered_verdict(result.tampered)]
            result.evidence = {"tampered": result.tampered}
            return result

        def wait() -> ObservedState:
            deadline = clock() + time_limit
            while True:
                # Logs feed only the final diagnosis: read them once, after waiting.
                state = cluster.read_state(spec.namespace, kinds, logs=False)
                if settled(state):
                    result.settled = True
                    return state
                left = deadline - clock()
                if left <= 0:
                    return state
                sleep(min(poll_seconds, left))

        state = timed("wait", wait)
        cluster.read_restart_logs(spec.namespace, state)
        # Verdicts and feedback speak in the student's hosts, not the sandbox's.
        state.objects = [
            ingress.restore(o, originals[o["metadata"]["name"]])
            if o.get("kind") == "Ingress" and o["metadata"]["name"] in originals
            else o
            for o in state.objects
        ]
        result.verdicts = live_checks(state)
        result.diagnoses = diagnose(state, spec.namespace)
        result.evidence = _evidence(state, timed("version", cluster.version))
        return result
    finally:
        try:
            timed("teardown", lambda: cluster.delete_sandbox(spec.namespace))
        except Exception:  # the reaper deletes it once its TTL has passed
            logger.warning("could not delete sandbox %s; the reaper will", spec.namespace, exc_info=True)


@dataclass
class ReapReport:
    deleted: list[str] = field(default_factory=list)
    released: dict[str, int] = field(default_factory=dict)  # namespace -> objects whose finalizers went
    stuck: list[str] = field(default_factory=list)  # Terminating for longer than `stuck_after`


def reap(cluster: Cluster, *, now: datetime.datetime, stuck_after: datetime.timedelta) -> ReapReport:
    """Delete sandboxes past their TTL; in sandboxes being deleted, clear finalizers students
    set (they would hold the namespace forever) and report those Terminating too long."""
    report = ReapReport()
    for box in cluster.sandboxes():
        if box.terminating_since is not None:
            released = cluster.clear_finalizers(box.name)
            if released:
                report.released[box.name] = released
            if now - box.terminating_since > stuck_after:
                report.stuck.append(box.name)
        elif box.expired(now):
            cluster.delete_sandbox(box.name)
            report.deleted.append(box.name)
        elif box.expires_at is None:
            # Never deleted on a guess: an unreadable expiry is somebody's edit, not an age.
            logger.warning("reaper: sandbox %s has no readable %s; left alone", box.name, sandbox.EXPIRES_AT)
    return report


def _diagnosis_for(verdict: LiveVerdict, diagnoses: list[Diagnosis]) -> Diagnosis | None:
    """The diagnosis that explains a failed verdict: about the same object, else (for a
    workload or the pods) the first one about a pod or a ReplicaSet."""
    subject = verdict.title.split(" ")[0]
    exact = [d for d in diagnoses if d.subject.split(" ")[0] == subject]
    if exact:
        return exact[0]
    if subject.startswith(("Deployment/", "StatefulSet/")) or verdict.id == "live-pods-ready":
        return next((d for d in diagnoses if d.subject.startswith(("Pod/", "ReplicaSet/"))), None)
    return None


# --- into the grade report (called by grading.services) -----------------------------------------


def merge_into(report, result: LiveResult, parsed_objects: list, resolve_link: Callable[[str], str]) -> None:
    """Add the live stage's outcome to a static GradeReport: admission refusals become errors
    (located like schema errors), verdicts become 0-point checks the lab must also pass,
    diagnoses become notes; timings and evidence go with the stages."""
    from grading.intake.parsing import Problem
    from grading.pipeline import CheckResult

    by_ref = {o.ref: o for o in parsed_objects}
    for problem in result.problems:
        obj = by_ref.get(problem.ref)
        report.errors.append(
            obj.problem([], problem.text())
            if obj
            else Problem("(submission)", None, None, None, problem.text())
        )
    for verdict in result.verdicts:
        diagnosis = _diagnosis_for(verdict, result.diagnoses)
        report.checks.append(
            CheckResult(
                id=verdict.id[:80],
                title=verdict.title[:200],
                passed=verdict.passed,
                points=0.0,
                max_points=0.0,
                message=verdict.message,
                expected=verdict.expected,
                observed=verdict.observed,
                hint=diagnosis.text() if diagnosis and not verdict.passed else "",
                lesson_url=resolve_link(diagnosis.lesson_link) if diagnosis and not verdict.passed else "",
            )
        )
    for diagnosis in result.diagnoses:
        note = f"Diagnosis ({diagnosis.code}): {diagnosis.text()}"
        if diagnosis.evidence:
            note += "\n" + diagnosis.evidence[-1500:]
        report.notes.append(note)
    if result.tampered:
        report.notes.append("Tampered: " + "; ".join(result.tampered))
    if result.verdicts and not all(v.passed for v in result.verdicts):
        report.passed = False
        report.notes.append("The lab passes only when its live checks pass too.")
    if not result.settled and not result.problems and not result.tampered:
        report.notes.append("The sandbox had not settled when the lab's time limit ran out.")
    report.stages.append(
        {
            "name": "live",
            "ms": round(sum(result.timings.values()), 2),
            "timings": result.timings,
            "namespace": result.namespace,
            "diagnoses": [d.as_dict() for d in result.diagnoses],
            "evidence": result.evidence,
        }
    )


@functools.cache
def cluster_for(settings) -> Cluster:
    """One client (and connection pool) per worker process and configuration."""
    return Cluster.from_settings(settings)
