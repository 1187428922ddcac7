"""Every lab folder, read straight from disk with only grading.checks: reference solutions pass
every check, each broken variant fails exactly the checks it lists, and the files themselves
are sound (valid Kubernetes 1.31, sandbox-friendly, links to real lesson headings)."""

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from courses.markdown import render_markdown
from grading.checks import REGISTRY, Objects, run_check, validate_params
from grading.intake.parsing import Limits, parse_submission
from grading.intake.policy import SandboxPolicy, check_policy
from grading.intake.validation import KUBERNETES_VERSION, validate_objects

COURSE = Path(__file__).resolve().parents[3] / "courses" / "content" / "kubernetes-fundamentals"
LABS = sorted(p for p in (COURSE / "labs").iterdir() if p.is_dir())
PRACTICAL_IDS = [
    "replicas",
    "service",
    "ingress-tls",
    "configmap",
    "secret",
    "persistent-storage",
    "resource-limits",
    "health-checks",
    "autoscaling",
    "monitoring",
]
EXPECTED_LABS = {
    "activity-1-first-deployment": 1,
    "activity-2-ml-stack": 4,
    "activity-3-autoscaling": 10,
    "activity-4-ingress-tls": 5,
    "activity-5-gpu": 9,
    "practical": 10,
    "lesson-03-inference-pod": 3,
    "lesson-06-model-storage": 6,
    "lesson-07-config-secrets": 7,
    "lesson-10-monitoring": 10,
}


def lab_spec(lab: Path) -> dict:
    return yaml.safe_load((lab / "lab.yaml").read_text())


def load_objects(folder: Path) -> list[dict]:
    docs: list[dict] = []
    for file in sorted(folder.glob("*.y*ml")):
        if file.name == "expect.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(file.read_text()) if d]
    return docs


def variants(lab: Path) -> list[Path]:
    return sorted(p for p in (lab / "broken").iterdir() if p.is_dir())


def all_variants() -> list[tuple[Path, Path]]:
    return [(lab, v) for lab in LABS for v in variants(lab)]


def run_all(lab: Path, folder: Path) -> dict:
    objects = Objects(load_objects(folder))
    return {
        c["id"]: run_check(c["check"], objects, c.get("params") or {}, points=c["points"])
        for c in lab_spec(lab)["checks"]
    }


@cache
def lesson_anchors() -> dict[str, set[str]]:
    return {f.name: render_markdown(f.read_text()).anchors for f in COURSE.glob("[0-9][0-9]-*.md")}


def test_every_lab_named_by_a_lesson_exists_with_its_lesson_number():
    found = {lab.name: lab_spec(lab)["lesson"] for lab in LABS}
    assert found == EXPECTED_LABS
    hands_on = {}
    for lesson in COURSE.glob("[0-9][0-9]-*.md"):
        match = re.search(r"^hands_on: (\S+)$", lesson.read_text(), re.MULTILINE)
        if match and match.group(1) != "null":
            hands_on[match.group(1)] = int(lesson.name[:2])
    assert {slug: found[slug] for slug in hands_on} == hands_on


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_lab_file_names_registered_checks_with_valid_params(lab):
    spec = lab_spec(lab)
    ids = [c["id"] for c in spec["checks"]]
    assert len(ids) == len(set(ids))
    for c in spec["checks"]:
        assert c["check"] in REGISTRY
        validate_params(c["check"], c.get("params") or {})
        assert c["points"] > 0 and c["title"] and c["hint"]
    for field in ("title", "kind", "summary", "instructions", "deliverable", "estimated_minutes"):
        assert spec[field], field
    assert spec["kind"] in ("activity", "practical", "lesson")


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_lesson_links_point_at_real_headings(lab):
    anchors = lesson_anchors()
    for c in lab_spec(lab)["checks"]:
        file, _, anchor = c["lesson_link"].partition("#")
        assert file in anchors, c["lesson_link"]
        assert not anchor or anchor in anchors[file], c["lesson_link"]


def test_practical_has_exactly_the_ten_published_check_ids():
    spec = lab_spec(COURSE / "labs" / "practical")
    assert [c["id"] for c in spec["checks"]] == PRACTICAL_IDS
    assert spec["require_readme"] is True
    assert (COURSE / "labs" / "practical" / "solution" / "README.md").is_file()


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_reference_solution_passes_every_check(lab):
    outcomes = run_all(lab, lab / "solution")
    failing = {cid: o.message for cid, o in outcomes.items() if not o.passed or o.points != o.max_points}
    assert failing == {}


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_lab_has_at_least_two_broken_variants(lab):
    assert len(variants(lab)) >= 2


@pytest.mark.parametrize(("lab", "variant"), all_variants(), ids=lambda p: p.name)
def test_broken_variant_fails_exactly_the_listed_checks(lab, variant):
    expected = set(yaml.safe_load((variant / "expect.yaml").read_text())["fails"])
    assert expected, "a broken variant must fail something"
    assert expected <= {c["id"] for c in lab_spec(lab)["checks"]}
    outcomes = run_all(lab, variant)
    assert {cid for cid, o in outcomes.items() if not o.passed} == expected
    for o in outcomes.values():
        assert 0 <= o.points <= o.max_points
        assert o.message


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_every_lab_runs_under_the_restricted_pod_security_standard(lab):
    # The course teaches restricted (lesson 03, "Running as non-root"); no lab may lower its
    # sandbox to get away with root containers.
    assert (lab_spec(lab).get("namespace_policy") or {}).get("pod_security") in (None, "restricted")


def manifest_folders() -> list[Path]:
    return [f for lab in LABS for f in [lab / "solution", *variants(lab)]]


@pytest.mark.parametrize(
    "folder",
    manifest_folders(),
    ids=lambda p: (
        f"{p.parents[1].name}/{p.name}" if p.parent.name == "broken" else f"{p.parent.name}/{p.name}"
    ),
)
def test_lab_manifests_are_valid_kubernetes_and_fit_the_sandbox(folder):
    # Exactly what a student's submission meets: parsing, the Kubernetes schemas (strict, CRDs
    # included) and the sandbox policy (no namespace, ClusterIP only, hosts under the lab's domain,
    # no hostPath or privileged pods) at the lab's Pod Security level (restricted by default).
    lab = folder.parent if folder.name == "solution" else folder.parents[1]
    policy = lab_spec(lab).get("namespace_policy") or {}
    files = [(f.name, f.read_bytes()) for f in sorted(folder.iterdir()) if f.name != "expect.yaml"]
    parsed = parse_submission(files, Limits())
    assert parsed.errors == [] and parsed.objects
    assert [str(p) for p in validate_objects(parsed.objects, KUBERNETES_VERSION)] == []
    refused = check_policy(parsed.objects, SandboxPolicy(
        ingress_domain=policy.get("ingress_domain", "podium.test"),
        pod_security=policy.get("pod_security") or "restricted"))
    assert [str(p) for p in refused] == []


# Each top-level list item of a lab's instructions is a requirement, and ends with a marker that
# says how it is graded: "*Check: id, id.*" (checks of this lab), "*Enforced at intake: ….*" (the
# sandbox refuses the submission otherwise) or "*Not auto-graded: ….*". Issue 13: a requirement
# listed but never checked let a Deployment alone score 100 % in activity-1.
REQUIREMENT_ITEM = re.compile(r"^(\d+\.|-) ")
MARKER = re.compile(r"\*(Check|Enforced at intake|Not auto-graded): ([^*]+)\*")


def requirement_items(instructions: str) -> list[str]:
    items: list[str] = []
    for line in instructions.splitlines():
        if REQUIREMENT_ITEM.match(line):
            items.append(line)
        elif items and line.startswith(" ") and line.strip() and not items[-1].endswith("\n"):
            items[-1] += " " + line.strip()
        elif items:
            items[-1] += "\n"  # a blank or unindented line ends the item
    return [item.strip() for item in items]


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_every_listed_requirement_is_a_check_or_marked_not_auto_graded(lab):
    spec = lab_spec(lab)
    check_ids = {c["id"] for c in spec["checks"]}
    items = requirement_items(spec["instructions"])
    assert items, f"{lab.name}: the instructions list no requirements"
    named: set[str] = set()
    for item in items:
        markers = MARKER.findall(item)
        assert markers, f"{lab.name}: requirement {item[:70]!r}… says neither which check grades it nor " \
                        "that it is enforced at intake or not auto-graded"
        for kind, text in markers:
            if kind == "Check":
                ids = {i.strip() for i in text.split("(")[0].rstrip(".").split(",")}
                assert ids <= check_ids, f"{lab.name}: {item[:50]!r} names unknown checks {ids - check_ids}"
                named |= ids
    assert named == check_ids, f"{lab.name}: checks no requirement names: {check_ids - named}"


def test_activity_1_deployment_alone_no_longer_scores_full_marks():
    lab = COURSE / "labs" / "activity-1-first-deployment"
    objects = Objects(load_objects(lab / "broken" / "deployment-without-service"))
    failing = [c["id"] for c in lab_spec(lab)["checks"]
               if not run_check(c["check"], objects, c.get("params"), points=c["points"]).passed]
    assert failing == ["service"]
