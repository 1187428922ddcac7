"""Every registered check, the sandbox policy and the field validation are total over JSON-shaped
input: Hypothesis takes a lab's reference solution, puts nulls, wrong types, empty maps and lists,
unicode and huge numbers at random places, and no exception may escape (a crash ends a
submission "not graded"; issue 13). Bounded and derandomised so `make test` stays fast and stable.
"""

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from yaml.error import Mark
from yaml.nodes import MappingNode

from grading.checks import REGISTRY, Objects
from grading.checks.base import CheckOutcome
from grading.intake.field_validation import validate_fields
from grading.intake.parsing import Limits, ParsedObject, parse_submission
from grading.intake.policy import SandboxPolicy, check_policy
from grading.intake.validation import KUBERNETES_VERSION, validate_objects
from grading.labs import read_lab
from grading.pipeline import grade_static

LABS = sorted(p for p in (Path(__file__).resolve().parents[2]
                          / "courses/content/kubernetes-fundamentals/labs").iterdir() if p.is_dir())


def solution(lab: Path) -> list[dict]:
    files = [(f.name, f.read_bytes()) for f in sorted((lab / "solution").glob("*.y*ml"))]
    return [o.data for o in parse_submission(files, Limits()).objects]


SOLUTIONS = {lab.name: solution(lab) for lab in LABS}
# Every check with the parameters the labs give it (a check may be used with several).
USES = sorted({(c["check"], json.dumps(c.get("params") or {}, sort_keys=True), lab.name)
               for lab in LABS for c in yaml.safe_load((lab / "lab.yaml").read_text())["checks"]})
KEYS = ["spec", "metadata", "name", "labels", "annotations", "template", "containers", "initContainers",
        "env", "envFrom", "valueFrom", "secretKeyRef", "configMapKeyRef", "secretRef", "volumes",
        "volumeMounts", "ports", "containerPort", "targetPort", "port", "resources", "limits", "requests",
        "selector", "matchLabels", "matchExpressions", "rules", "http", "paths", "backend", "service",
        "tls", "hosts", "host", "metrics", "target", "scaleTargetRef", "minReplicas", "maxReplicas",
        "tolerations", "nodeSelector", "affinity", "readinessProbe", "livenessProbe", "startupProbe",
        "httpGet", "data", "stringData", "type", "endpoints", "persistentVolumeClaim", "claimName"]
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
           | st.floats(allow_nan=False) | st.text(max_size=6)
           | st.sampled_from(["", "é✓\u202e", "8080", "http", "64MB", "1Gi", "500m", "nvidia.com/gpu",
                              "traefik", "Exists", "In", "true", "Deployment", "x" * 300]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner, max_size=3),
                    max_leaves=6)


def paths_of(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths_of(item, prefix + (i,))


# What parsing guarantees before anything else runs: kind and apiVersion non-empty strings,
# metadata a mapping with a string name.
PARSED = {("kind",), ("apiVersion",), ("metadata",), ("metadata", "name")}
HUGE = st.sampled_from([2**63 - 1, -(2**63), 2**31, -1, 0, 10**15])
TEXT = st.text(max_size=8) | st.sampled_from(["", "é✓\u202e", "8080", "x" * 300, "-", "0", "null"])


def replacement(value):
    """A value the schema may still admit where `value` was: null, an empty or shortened
    container, other text or numbers (and the other half of an IntOrString)."""
    if isinstance(value, dict):
        return st.none() | st.just({})
    if isinstance(value, list):
        return st.none() | st.just([]) | st.just(value[:1]) | st.just(value + value[:1])
    if isinstance(value, bool):
        return st.none() | st.just(not value)
    if isinstance(value, int | float):
        return st.none() | HUGE | TEXT | st.floats(allow_nan=False)
    return st.none() | TEXT | HUGE


@st.composite
def mutated(draw, objects: list[dict], *, any_json: bool = True) -> list[dict]:
    """The objects, 1 to 4 random places replaced: by any JSON (`any_json`), else by a value of
    the same type, a null or an empty container (what the schema lets through)."""
    objects = copy.deepcopy(objects)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(objects) - 1))
        paths = [p for p in paths_of(objects[i]) if p and p not in PARSED]
        path = draw(st.sampled_from(paths))
        parent = objects[i]
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(JSON if any_json else replacement(parent[path[-1]]))
    return objects


def as_object(data: dict) -> ParsedObject:
    # Lines are not the point here: a bare mapping node stands for the document (composing the
    # mutated data again would cost more than the checks themselves).
    document = MappingNode("tag:yaml.org,2002:map", [], Mark("a.yaml", 0, 0, 0, None, None))
    return ParsedObject(data, "a.yaml", 1, document)


@pytest.mark.parametrize("lab", sorted(SOLUTIONS))
def test_every_check_is_total_over_what_validation_admits(lab):
    # Checks run only on objects that passed the schema and the field validation (the pipeline
    # stops before them otherwise), so that is their domain: nulls anywhere a field may be absent,
    # empty maps and lists, any text or number where the schema takes one, ports as names.
    uses = [(REGISTRY[name], json.loads(params)) for name, params, used_in in USES if used_in == lab]
    seen = []

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(objects=mutated(SOLUTIONS[lab], any_json=False))
    def run(objects):
        assume(validate_objects([as_object(o) for o in objects], KUBERNETES_VERSION) == [])
        seen.append(objects)
        for fn, kwargs in uses:
            outcome = fn(Objects(objects), points=1.0, **kwargs)
            assert isinstance(outcome, CheckOutcome) and isinstance(outcome.message, str)
            assert 0 <= outcome.points <= 1.0

    run()
    assert len(seen) >= 12  # most mutations reach the checks (the rest the schema refuses)


def test_every_registered_check_is_exercised_by_some_lab():
    assert {name for name, _, _ in USES} == set(REGISTRY)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.sampled_from(sorted(SOLUTIONS)).flatmap(lambda lab: mutated(SOLUTIONS[lab])))
def test_policy_and_field_validation_are_total_over_mutated_reference_solutions(data):
    objects = [as_object(item) for item in data]
    for obj in objects:
        assert all(p.message for p in validate_fields(obj))
    assert all(p.message for p in check_policy(objects, SandboxPolicy()))


# --- the crash examples, end to end ---------------------------------------------------------

NULL_ITEM_LISTS = ["env", "envFrom", "ports", "volumeMounts", "volumes", "tls", "rules", "paths", "metrics",
                   "tolerations"]


def first_list(lists_of: str) -> tuple[str, int, tuple]:
    """(lab, object index, path) of the first list under the key `lists_of` in a reference solution."""
    for lab in sorted(SOLUTIONS):
        for i, data in enumerate(SOLUTIONS[lab]):
            for path in paths_of(data):
                if path and path[-1] == lists_of and isinstance(_at(data, path), list):
                    return lab, i, path
    raise AssertionError(f"no reference solution has a list {lists_of!r}")


def _at(data, path):
    for part in path:
        data = data[part]
    return data


@pytest.mark.parametrize("key", NULL_ITEM_LISTS)
def test_a_stray_dash_in_a_reference_solution_is_refused_not_a_crash(key):
    lab, index, path = first_list(key)
    objects = copy.deepcopy(SOLUTIONS[lab])
    _at(objects[index], path).append(None)
    text = yaml.safe_dump_all(objects, sort_keys=False).encode()
    report = grade_static(read_lab(LABS[0].parent / lab), [("all.yaml", text)], isolation=None)
    [error] = report.errors
    assert error.file == "all.yaml" and error.line
    assert error.field.endswith(f"{key}[{len(_at(objects[index], path)) - 1}]")
    assert "Required value" in error.message and report.checks == []
