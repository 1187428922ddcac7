"""Read a lab folder (`labs/<slug>/lab.yaml`) into a validated LabSpec.

Pure: no database. `grading.services.labs_import` writes the rows; the `grade` command and the
pipeline use LabSpec directly. Errors name file, line and field, like the course's files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from courses.markdown import LESSON_LINK_RE
from courses.schema import SLUG_RE, Choice, Optional, Slug, validate
from courses.yaml_lines import ContentError, ContentErrors, LocatedYaml, load_located
from grading.checks.base import bind_params

# Results of live checks (grading.live.checks) are stored next to the lab's own checks under
# ids with this prefix; lab files may not use it.
LIVE_CHECK_PREFIX = "live-"

KINDS = ("activity", "practical", "lesson")
DEFAULT_PASS_PERCENT = {"activity": 100, "lesson": 100, "practical": 70}
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})+$")

CHECK_SCHEMA = {
    "id": Slug,
    "title": str,
    "check": Slug,
    "params": Optional(str),  # a mapping: checked against the check function's signature
    "points": float,
    "hint": str,
    "lesson_link": Optional(str, ""),
}

LAB_SCHEMA = {
    "title": str,
    "kind": str,
    "lesson": int,
    "summary": str,
    "instructions": str,
    "deliverable": str,
    "estimated_minutes": int,
    "attempts_allowed": Optional(int, 0),
    "time_limit_seconds": Optional(int, 120),
    "pass_percent": Optional(int),
    "require_readme": Optional(bool, False),
    "namespace_policy": Optional({
        "ingress_domain": Optional(str, "podium.test"),
        # The sandbox enforces Pod Security "restricted" unless the lab states it needs less.
        "pod_security": Optional(Choice("restricted", "baseline"), ""),
    }),
    "checks": [CHECK_SCHEMA],
    "manual": Optional([{"id": Slug, "title": str, "points": float,
                         "description": Optional(str, "")}], []),
}


@dataclass
class CheckSpec:
    id: str
    title: str
    check: str
    params: dict
    points: float
    hint: str
    lesson_link: str = ""
    lesson_url: str = ""


@dataclass
class ManualSpec:
    id: str
    title: str
    points: float
    description: str = ""


@dataclass
class LabSpec:
    slug: str
    title: str
    kind: str = "activity"
    lesson: int = 1
    summary: str = ""
    instructions: str = ""
    deliverable: str = ""
    estimated_minutes: int = 60
    attempts_allowed: int = 0
    time_limit_seconds: int = 120
    pass_percent: int = 100
    require_readme: bool = False
    ingress_domain: str = "podium.test"
    pod_security: str = ""  # "" = the platform default (GRADING_SANDBOX_POD_SECURITY)
    checks: list[CheckSpec] = field(default_factory=list)
    manual: list[ManualSpec] = field(default_factory=list)
    path: Path | None = None

    @property
    def max_points(self) -> float:
        return sum(check.points for check in self.checks)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("path")
        return data


def checks_registry() -> dict:
    """The check functions by name (grading.checks.REGISTRY); one place to look them up."""
    from grading.checks import REGISTRY

    return REGISTRY


# resolve(link) -> (url, None) or (None, "why the link is wrong")
LinkResolver = Callable[[str], tuple[str | None, str | None]]


def read_lab(lab_dir: Path, *, lesson_numbers: set[int] | None = None,
             resolve_link: LinkResolver | None = None, registry: dict | None = None) -> LabSpec:
    """Read and validate `lab_dir/lab.yaml`; raises ContentErrors listing every problem."""
    lab_dir = Path(lab_dir)
    file = lab_dir / "lab.yaml"
    if not SLUG_RE.match(lab_dir.name):
        raise ContentErrors([ContentError(lab_dir, None, None,
                                          "lab folder names must be slugs (lower-case, hyphens)")])
    if not file.is_file():
        raise ContentErrors([ContentError(file, None, None, "lab.yaml not found")])
    try:
        doc = load_located(file.read_text(encoding="utf-8"), file)
    except ContentError as exc:
        raise ContentErrors([exc]) from None
    if not isinstance(doc.data, dict):
        raise ContentErrors([doc.error(None, "lab.yaml must be a mapping of fields")])
    # `params` is free-form: validate the rest, then params against each check's signature.
    stripped = {**doc.data, "checks": [
        {k: v for k, v in item.items() if k != "params"} if isinstance(item, dict) else item
        for item in doc.data.get("checks") or []]}
    meta, errors = validate(doc, LAB_SCHEMA, value=stripped)
    if errors:
        raise ContentErrors(errors)
    if registry is None:
        registry = checks_registry()
    spec = LabSpec(
        slug=lab_dir.name, title=meta["title"], kind=meta["kind"], lesson=meta["lesson"],
        summary=meta["summary"], instructions=meta["instructions"], deliverable=meta["deliverable"],
        estimated_minutes=meta["estimated_minutes"], attempts_allowed=meta["attempts_allowed"],
        time_limit_seconds=meta["time_limit_seconds"],
        pass_percent=meta["pass_percent"] if meta["pass_percent"] is not None
        else DEFAULT_PASS_PERCENT.get(meta["kind"], 100),
        require_readme=meta["require_readme"],
        ingress_domain=(meta["namespace_policy"] or {}).get("ingress_domain") or "podium.test",
        pod_security=(meta["namespace_policy"] or {}).get("pod_security") or "",
        path=lab_dir,
    )
    errors += _check_fields(doc, spec, lesson_numbers)
    for i, item in enumerate(meta["checks"]):
        raw_params = doc.data["checks"][i].get("params")
        params = raw_params if raw_params is not None else {}
        check = CheckSpec(id=item["id"], title=item["title"], check=item["check"], params=params,
                          points=float(item["points"]), hint=item["hint"],
                          lesson_link=item["lesson_link"] or "")
        errors += _check_check(doc, f"checks[{i}]", check, registry, resolve_link)
        spec.checks.append(check)
    for item in meta["manual"]:
        spec.manual.append(ManualSpec(id=item["id"], title=item["title"], points=float(item["points"]),
                                      description=item["description"] or ""))
    errors += _check_ids(doc, spec)
    if errors:
        raise ContentErrors(errors)
    return spec


def _check_fields(doc: LocatedYaml, spec: LabSpec, lesson_numbers: set[int] | None) -> list[ContentError]:
    errors = []
    if spec.kind not in KINDS:
        errors.append(doc.error("kind", f"must be one of {', '.join(KINDS)}, got {spec.kind!r}"))
    if lesson_numbers is not None and spec.lesson not in lesson_numbers:
        errors.append(doc.error("lesson", f"no lesson number {spec.lesson} in this course"))
    if not 0 <= spec.pass_percent <= 100:
        errors.append(doc.error("pass_percent", "must be between 0 and 100"))
    for name in ("attempts_allowed", "time_limit_seconds", "estimated_minutes"):
        if getattr(spec, name) < 0:
            errors.append(doc.error(name, "must not be negative"))
    if not HOST_RE.match(spec.ingress_domain):
        errors.append(doc.error("namespace_policy.ingress_domain",
                                f"{spec.ingress_domain!r} is not a DNS domain (e.g. podium.test)"))
    return errors


def _check_check(doc: LocatedYaml, where: str, check: CheckSpec, registry: dict,
                 resolve_link: LinkResolver | None) -> list[ContentError]:
    errors = []
    if check.points <= 0:
        errors.append(doc.error(f"{where}.points", "must be more than 0"))
    if not isinstance(check.params, dict):
        errors.append(doc.error(f"{where}.params", "must be a mapping of parameter names to values"))
        check.params = {}
    fn = registry.get(check.check)
    if fn is None:
        known = ", ".join(sorted(registry)) or "none registered"
        errors.append(doc.error(f"{where}.check", f"check {check.id!r}: unknown check function "
                                                  f"{check.check!r} (known: {known})"))
    else:
        try:
            bind_params(fn, check.params)
        except TypeError as exc:
            errors.append(doc.error(f"{where}.params", f"check {check.id!r} ({check.check}): {exc}"))
    if check.lesson_link:
        if not LESSON_LINK_RE.match(check.lesson_link):
            errors.append(doc.error(f"{where}.lesson_link",
                                    "must look like NN-slug.md#anchor (a lesson file and a heading)"))
        elif resolve_link is not None:
            url, problem = resolve_link(check.lesson_link)
            if problem:
                errors.append(doc.error(f"{where}.lesson_link", problem))
            check.lesson_url = url or ""
    return errors


def _check_ids(doc: LocatedYaml, spec: LabSpec) -> list[ContentError]:
    errors, seen = [], set()
    for section, items in (("checks", spec.checks), ("manual", spec.manual)):
        for i, item in enumerate(items):
            if item.id in seen:
                errors.append(doc.error(f"{section}[{i}].id", f"duplicate id {item.id!r}"))
            if item.id.startswith(LIVE_CHECK_PREFIX):
                errors.append(doc.error(f"{section}[{i}].id", f"ids starting with "
                                        f"{LIVE_CHECK_PREFIX!r} are kept for the live checks"))
            seen.add(item.id)
    return errors


def lab_dirs(course_dir: Path) -> list[Path]:
    labs = Path(course_dir) / "labs"
    return sorted(p for p in labs.iterdir() if p.is_dir()) if labs.is_dir() else []


def file_link_resolver(course_dir: Path, url_for: Callable[[str], str]) -> LinkResolver:
    """Resolve lesson links from the course's files (for the CLI, without a database): the
    lesson file must exist; anchors are trusted (load_course checks them)."""
    slugs = {}
    for path in Path(course_dir).glob("*.md"):
        match = re.match(r"^(\d{2})-(.+)\.md$", path.name)
        if match:
            slugs[path.name] = match.group(2)

    def resolve(link: str) -> tuple[str | None, str | None]:
        name, _, anchor = link.partition("#")
        if name not in slugs:
            return None, f"no lesson file {name}"
        return url_for(slugs[name]) + (f"#{anchor}" if anchor else ""), None

    return resolve
