"""The grading pipeline up to the cluster: parse → validate → policy → static checks.

Pure: no Django, no network. Input is a LabSpec and the raw files; output a GradeReport that
the task stores, the `grade` command prints and the pages show. Part 2 (live grading in a
sandbox namespace) adds stages after `checks`.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from grading import labs
from grading.intake.isolated import Isolation, parse_isolated
from grading.intake.parsing import Limits, ParsedObject, ParseResult, Problem, parse_submission, shorten
from grading.intake.policy import DEFAULT_DENIED_CIDRS, SandboxPolicy, check_policy
from grading.intake.validation import KUBERNETES_VERSION, validate_objects
from grading.labs import LabSpec

logger = logging.getLogger(__name__)

# What a stored report may hold: a hostile upload once put 943 MB into `notes` (and the
# instructor's page rendered it). Past these, the rest is summed up in one line.
MAX_ERRORS = 100
MAX_NOTES = 50
MAX_MESSAGE_CHARS = 2000     # one error's message, or one note
MAX_LOCATION_CHARS = 300     # an error's file or field
MAX_IGNORED_SHOWN = 20       # archive members named in the "Ignored" note


class GraderError(Exception):
    """A bug or misconfiguration in the grader (not in the submission): the submission ends as
    "not graded" and does not use up an attempt."""


@dataclass
class CheckResult:
    id: str
    title: str
    passed: bool
    points: float
    max_points: float
    message: str
    expected: str = ""
    observed: str = ""
    hint: str = ""
    lesson_url: str = ""


@dataclass
class GradeReport:
    lab: str
    score: float = 0.0
    max_score: float = 0.0
    passed: bool = False
    checks: list[CheckResult] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    stages: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A submission refused by the sandbox policy (or Pod Security) still gets the lab's checks run
    # on what parsed, shown as a preview that counts for nothing: one missing runAsNonRoot must
    # not hide every other requirement's feedback. Empty unless refused at the policy stage.
    preview: list[CheckResult] = field(default_factory=list)
    # What was parsed, for the live stage to apply (not part of the report itself).
    objects: list[ParsedObject] = field(default_factory=list, repr=False)

    @property
    def invalid(self) -> bool:
        """The input was refused before the checks ran (exit code 2, status "invalid")."""
        return bool(self.errors)

    @property
    def preview_score(self) -> float:
        return round(sum(c.points for c in self.preview), 2)

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 1) if self.max_score else 0.0

    def cap(self) -> GradeReport:
        """Bound what is stored and shown, whatever added to the report (parse, live stage), and
        make it storable: PostgreSQL refuses NUL characters and lone surrogates (a YAML key
        "a\\0", a tar member name that is not UTF-8), which would end the run "not graded"."""
        if len(self.errors) > MAX_ERRORS:
            hidden = len(self.errors) - (MAX_ERRORS - 1)
            self.errors = self.errors[:MAX_ERRORS - 1] + [Problem(
                "(submission)", None, None, None, f"{hidden} more problems not shown: fix these first")]
        for problem in self.errors:
            problem.message = _cut(_storable(problem.message), MAX_MESSAGE_CHARS)
            problem.file = shorten(_storable(problem.file), MAX_LOCATION_CHARS)
            if problem.field:
                problem.field = shorten(_storable(problem.field), MAX_LOCATION_CHARS)
        if len(self.notes) > MAX_NOTES:
            hidden = len(self.notes) - (MAX_NOTES - 1)
            self.notes = self.notes[:MAX_NOTES - 1] + [f"{hidden} more notes not shown"]
        self.notes = [_cut(_storable(note), MAX_MESSAGE_CHARS) for note in self.notes]
        for check in self.checks + self.preview:
            check.message, check.expected, check.observed = (
                _cut(_storable(text), MAX_MESSAGE_CHARS) for text in (check.message, check.expected,
                                                                       check.observed))
        return self

    def as_dict(self) -> dict:
        return {
            "lab": self.lab, "score": self.score, "max_score": self.max_score, "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "errors": [e.as_dict() for e in self.errors],
            "stages": self.stages, "notes": self.notes,
            **({"preview": [asdict(c) for c in self.preview], "preview_score": self.preview_score}
               if self.preview else {}),
        }


def _storable(text: object) -> str:
    """`text` without NUL characters or lone surrogates (shown escaped instead)."""
    text = str(text)
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _ignored_note(ignored: list[str]) -> str:
    shown = ", ".join(shorten(name) for name in ignored[:MAX_IGNORED_SHOWN])
    more = len(ignored) - MAX_IGNORED_SHOWN
    return f"Ignored (not YAML): {shown}" + (f" and {more} more" if more > 0 else "")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class _Stages:
    def __init__(self, report: GradeReport, on_stage: Callable[[str], None] | None):
        self.report, self.on_stage = report, on_stage

    def start(self, name: str) -> None:
        if self.on_stage:
            self.on_stage(name)
        self.report.stages.append({"name": name, "started": _now(), "finished": None,
                                   "_t": time.perf_counter()})

    def finish(self) -> None:
        stage = self.report.stages[-1]
        stage["finished"] = _now()
        stage["ms"] = round(1000 * (time.perf_counter() - stage.pop("_t")), 2)


def grade_static(lab: LabSpec, files: list[tuple[str, bytes]], *, trusted: bool = False,
                 limits: Limits | None = None, on_stage: Callable[[str], None] | None = None,
                 registry: dict | None = None, namespace: str | None = None,
                 pod_security: str | None = None,
                 denied_cidrs: tuple[str, ...] | None = None,
                 isolation: Isolation | None = Isolation()) -> GradeReport:  # noqa: B008 - frozen
    """Grade `files` against `lab` without a cluster.

    Invalid input (unparseable, schema errors, policy violations, missing README) ends the
    report with `errors` and no checks. `trusted` skips the sandbox policy (reference
    solutions). The upload is parsed in a child process under `isolation`'s memory and CPU
    limits (conf.parse_isolation()); None parses in this process (trusted files, benchmarks of
    the parser itself). Pods must meet `pod_security` (callers pass conf.pod_security_for(lab): the
    lab's level, else the platform's), or the lab's level, else restricted. NetworkPolicy ipBlocks
    may not open `denied_cidrs` (callers pass conf.sandbox_denied_cidrs(); default: the policy's
    DEFAULT_DENIED_CIDRS; link-local is denied whatever they say). Raises GraderError
    when a check itself fails (a grader bug).
    """
    report = GradeReport(lab=lab.slug, max_score=lab.max_points)
    stages = _Stages(report, on_stage)

    stages.start("parse")
    report = _grade(lab, files, report, stages, trusted=trusted, limits=limits or Limits(),
                    registry=registry, namespace=namespace, pod_security=pod_security,
                    denied_cidrs=denied_cidrs, isolation=isolation)
    return report.cap()


def _grade(lab: LabSpec, files: list[tuple[str, bytes]], report: GradeReport, stages: _Stages, *,
           trusted: bool, limits: Limits, registry: dict | None, namespace: str | None,
           pod_security: str | None, denied_cidrs: tuple[str, ...] | None,
           isolation: Isolation | None) -> GradeReport:
    if isolation is None:
        parsed: ParseResult = parse_submission(files, limits)
    else:
        parsed = parse_isolated(files, limits, isolation)
    report.errors += parsed.errors
    report.objects = parsed.objects
    if lab.require_readme and not parsed.readme and not parsed.errors:
        report.errors.append(Problem("(submission)", None, None, None,
                                     "this lab needs a README.md in the submission: explain how to "
                                     "deploy and use your system"))
    if parsed.ignored:
        report.notes.append(_ignored_note(parsed.ignored))
    if not parsed.objects and not report.errors:
        report.errors.append(Problem("(submission)", None, None, None,
                                     "no Kubernetes objects found in the submission"))
    stages.finish()
    if report.errors:
        return report

    stages.start("validate")
    report.errors += validate_objects(parsed.objects, KUBERNETES_VERSION)
    stages.finish()
    if report.errors:
        return report

    if not trusted:
        stages.start("policy")
        policy = SandboxPolicy(ingress_domain=lab.ingress_domain, namespace=namespace,
                               pod_security=pod_security or lab.pod_security or "restricted",
                               denied_cidrs=DEFAULT_DENIED_CIDRS if denied_cidrs is None else denied_cidrs)
        report.errors += check_policy(parsed.objects, policy)
        stages.finish()
        if report.errors:
            report.preview = _preview(lab, parsed.objects, registry)
            return report

    stages.start("checks")
    report.checks = run_checks(lab, [obj.data for obj in parsed.objects], registry=registry)
    judging = say_judging_once(report.checks)
    if judging:
        report.notes.insert(0, judging)
    stages.finish()
    report.score = round(sum(c.points for c in report.checks), 2)
    report.passed = report.max_score > 0 and 100 * report.score >= lab.pass_percent * report.max_score
    return report


def _preview(lab: LabSpec, objects: list[ParsedObject], registry: dict | None) -> list[CheckResult]:
    """The lab's checks on a refused submission (see GradeReport.preview). The objects passed
    parsing and validation; a check that still trips over them only costs the preview."""
    try:
        results = run_checks(lab, [obj.data for obj in objects], registry=registry)
    except GraderError:
        return []
    judging = say_judging_once(results)
    if judging and results:  # said once, on the first preview check (a refusal shows no notes)
        results[0].message = f"{judging} {results[0].message}"
    return results


def say_judging_once(results: list[CheckResult]) -> str:
    """Checks open their message with the object they judged ("Judging Deployment/api: Ingress/web
    routes to it through Service/api."). When several open with the same sentence, strip it from
    them and return it, for the report to say once at the top; else return ""."""
    def opening(message: str) -> str:
        if not message.startswith("Judging "):
            return ""
        end = message.find(". ")
        return message if end < 0 and message.endswith(".") else message[:end + 1] if end > 0 else ""

    counts: dict[str, int] = {}
    for result in results:
        sentence = opening(result.message)
        if sentence:
            counts[sentence] = counts.get(sentence, 0) + 1
    if not counts:
        return ""
    sentence, count = max(counts.items(), key=lambda item: item[1])
    if count < 2:
        return ""
    for result in results:
        if opening(result.message) == sentence:
            result.message = result.message[len(sentence):].strip() or "Done."
    return sentence


def run_checks(lab: LabSpec, items: list[dict], *, registry: dict | None = None) -> list[CheckResult]:
    """Run every check of the lab on the objects. Checks are pure functions (grading.checks)."""
    from grading.checks.objects import Objects

    if registry is None:
        registry = labs.checks_registry()
    objects = Objects(items)
    results = []
    for spec in lab.checks:
        fn = registry.get(spec.check)
        if fn is None:
            raise GraderError(f"lab {lab.slug}: check {spec.id!r} names unknown function {spec.check!r}")
        try:
            outcome = fn(objects, points=spec.points, **spec.params)
        except Exception as exc:
            logger.exception("check %s (%s) of lab %s failed", spec.id, spec.check, lab.slug)
            raise GraderError(f"check {spec.id!r} ({spec.check}) crashed: {exc!r}") from exc
        points = min(max(float(outcome.points), 0.0), spec.points)
        results.append(CheckResult(
            id=spec.id, title=spec.title, passed=bool(outcome.passed), points=points,
            max_points=spec.points, message=outcome.message, expected=outcome.expected,
            observed=outcome.observed, hint=spec.hint,
            lesson_url=spec.lesson_url))
    return results
