"""Validate submitted objects against the Kubernetes OpenAPI schema, strictly (unknown fields
are errors, as `kubectl apply --validate=strict` would say).

The schemas are kubernetes-validate's JSON files for the configured Kubernetes version. Its own
`validate()` re-reads the 1.3 MB definitions file on every call (~7 ms per object); here one
jsonschema validator per (kind, apiVersion) is built once, with the definitions' `$ref`s
inlined, and cached for the process (well under 1 ms per object). Pure: no Django.
"""

from __future__ import annotations

import contextlib
import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate

from grading.intake.field_validation import validate_fields
from grading.intake.parsing import ParsedObject, Problem, shorten

# The schemas of the Kubernetes the course runs (versions.yaml; courses/tests/test_versions.py checks).
KUBERNETES_VERSION = "1.36"
SCHEMA_ROOT = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
MAX_ERRORS_PER_OBJECT = 20

# Custom resources the sandbox allows (prometheus-operator). The Kubernetes schema does not
# know them; their shape is checked here loosely: the object's frame strictly, the spec as a map.
_OBJECT_META = {"$ref": "https://kubernetes.io/api/_definitions.json#/$defs/"
                        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
_LABEL_SELECTOR = {"$ref": "https://kubernetes.io/api/_definitions.json#/$defs/"
                           "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}


def _monitor_schema(kind: str, endpoints_key: str) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"enum": ["monitoring.coreos.com/v1"]},
            "kind": {"enum": [kind]},
            "metadata": _OBJECT_META,
            "spec": {
                "type": "object",
                "required": ["selector"],
                "properties": {
                    "selector": _LABEL_SELECTOR,
                    endpoints_key: {"type": "array", "items": {"type": "object"}},
                    "namespaceSelector": {"type": "object"},
                    "jobLabel": {"type": "string"},
                },
            },
        },
    }


CUSTOM_SCHEMAS = {
    ("ServiceMonitor", "monitoring.coreos.com/v1"): _monitor_schema("ServiceMonitor", "endpoints"),
    ("PodMonitor", "monitoring.coreos.com/v1"): _monitor_schema("PodMonitor", "podMetricsEndpoints"),
}


@cache
def _memo(version: str) -> dict:
    """The inlined definitions of one Kubernetes version, shared by all its kinds' validators."""
    return {}


class UnknownKind(Exception):
    pass


def _schema_dir(version: str) -> Path:
    return SCHEMA_ROOT / f"v{version}.0-local-strict"


@cache
def _definitions(version: str) -> dict:
    return json.loads((_schema_dir(version) / "_definitions.json").read_text())["$defs"]


def _inline_refs(schema: object, definitions: dict, memo: dict) -> object:
    """Replace every `$ref` into _definitions.json by the (shared, inlined) definition itself.

    jsonschema resolves a `$ref` on every descent through `referencing`; inlined, validating a
    typical object takes about half the time. Shared dicts keep it small, and recursive
    definitions become cyclic dicts, which validation follows only as deep as the instance."""
    if isinstance(schema, list):
        return [_inline_refs(item, definitions, memo) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and "#/$defs/" in ref:
        name = ref.split("#/$defs/", 1)[1]
        if name not in memo:
            memo[name] = target = {}
            target.update(_inline_refs(definitions[name], definitions, memo))  # type: ignore[arg-type]
        return memo[name]
    return {key: _inline_refs(value, definitions, memo) for key, value in schema.items()}


def _schema_file(version: str, kind: str, api_version: str) -> Path:
    # Same naming as kubernetes-validate: networking.k8s.io/v1 -> networking-v1, v1 -> v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return _schema_dir(version) / f"{kind.lower()}-{group_version}.json"


@cache
def validator_for(version: str, kind: str, api_version: str) -> jsonschema.protocols.Validator:
    """The cached validator for one kind; raises UnknownKind if the version has no such kind."""
    custom = CUSTOM_SCHEMAS.get((kind, api_version))
    if custom is not None:
        return jsonschema.Draft202012Validator(_inline_refs(custom, _definitions(version), _memo(version)))
    # Length first: a 5,000-character kind made is_file() raise "File name too long" (not graded).
    if (len(kind) > 63 or len(api_version) > 253 or not re.fullmatch(r"[A-Za-z0-9]+", kind)
            or not re.fullmatch(r"[a-z0-9.-]*/?[a-z0-9]+", api_version)):
        raise UnknownKind(kind)
    path = _schema_file(version, kind, api_version)
    try:
        found = path.is_file()
    except OSError:
        found = False
    if not found:
        raise UnknownKind(kind)
    schema = _inline_refs(json.loads(path.read_text()), _definitions(version), _memo(version))
    return jsonschema.Draft202012Validator(schema)


def validate_objects(objects: list[ParsedObject], version: str) -> list[Problem]:
    """Problems for every object that does not match its Kubernetes schema."""
    problems: list[Problem] = []
    for obj in objects:
        problems += validate_object(obj, version)
    return problems


def validate_object(obj: ParsedObject, version: str) -> list[Problem]:
    kind, api_version = obj.data["kind"], obj.data["apiVersion"]
    try:
        validator = validator_for(version, kind, api_version)
    except UnknownKind:
        return [obj.problem(["kind"], f"Kubernetes {version} has no kind {shorten(kind)!r} in apiVersion "
                                      f"{shorten(api_version)!r} (check the spelling, and the apiVersion "
                                      "that serves this kind)")]
    problems = []
    errors = sorted(validator.iter_errors(obj.data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors[:MAX_ERRORS_PER_OBJECT]:
        problems += _describe(obj, error)
    if len(errors) > MAX_ERRORS_PER_OBJECT:
        problems.append(obj.problem([], f"{len(errors) - MAX_ERRORS_PER_OBJECT} more schema errors "
                                        f"in {obj.ref} not shown"))
    if not problems:
        # What the schema cannot say (port names, quantities, base64, null list items...): only
        # on a schema-valid object, so one mistake is not reported twice in two wordings.
        found = validate_fields(obj)
        problems += found[:MAX_ERRORS_PER_OBJECT]
        if len(found) > MAX_ERRORS_PER_OBJECT:
            problems.append(obj.problem([], f"{len(found) - MAX_ERRORS_PER_OBJECT} more problems in "
                                            f"{obj.ref} not shown"))
    return problems


def _describe(obj: ParsedObject, error: jsonschema.ValidationError) -> list[Problem]:
    path = list(error.absolute_path)
    where = f"{obj.ref}: "
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        return [obj.problem(path + [name], f"{where}unknown field {name!r} (Kubernetes has no such "
                                           "field here; check its spelling and indentation)")
                for name in error.instance if name not in known]
    if error.validator == "required":
        return [obj.problem(path, f"{where}{error.message.replace('property', 'field')}")]
    if error.validator == "type":
        expected = error.validator_value
        types = [t for t in (expected if isinstance(expected, list) else [expected]) if t != "null"]
        return [obj.problem(path, f"{where}must be {' or '.join(types)}, got {error.instance!r}")]
    if error.validator == "enum":
        return [obj.problem(path, f"{where}must be one of {', '.join(map(repr, error.validator_value))}, "
                                  f"got {error.instance!r}")]
    if error.validator == "oneOf" and not isinstance(error.instance, dict | list):
        return [obj.problem(path, f"{where}{error.instance!r} is not a valid value here "
                                  "(expected a number or a string such as \"500m\" or \"80\")")]
    return [obj.problem(path, f"{where}{error.message}")]


def warm(version: str, kinds: list[tuple[str, str]]) -> None:
    """Build the registry and some validators ahead of time (a worker does this at start)."""
    _definitions(version)
    for kind, api_version in kinds:
        with contextlib.suppress(UnknownKind):
            validator_for(version, kind, api_version)
