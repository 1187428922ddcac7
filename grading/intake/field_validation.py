"""The API server's field validations that the OpenAPI schema does not express.

The schema says `targetPort` is an int or a string, `data` maps strings to strings and
`memory` is a quantity-shaped string; the API server then refuses `targetPort: '8080'` (a
string must be a port name), a Secret value that is not base64, `memory: 64MB`... Static grading
is the only grading on a default install, so it must refuse these too, or a submission a
cluster would reject scores full marks. The rules follow k8s.io/apimachinery and
pkg/apis/*/validation (Kubernetes 1.31), with the API server's own wording ("Required value",
"Invalid value", "must be between 1 and 65535, inclusive") followed by what to do about it.

Only schema-valid objects come here (grading/intake/validation.py calls it after the schema), but every
reader below still checks types: nothing may raise on JSON-shaped input (see
tests/test_intake_totality.py). Pure: no Django.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal, InvalidOperation

from grading.intake.parsing import ParsedObject, Problem, field_name, shorten

Path = list  # ["spec", "template", "spec", "containers", 0, "env", 1]

_LABEL_NAME = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(_LABEL_NAME)
DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL_NAME}(\.{_LABEL_NAME})*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
IANA_SVC_NAME = re.compile(r"[-a-z0-9]+")
# k8s.io/apimachinery/pkg/api/resource: a signed decimal, then a binary or decimal SI suffix or
# an exponent. `64MB`, `1gb`, `2 Gi`, `500 m` are not quantities.
QUANTITY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?")
_SUFFIX = {"": 1, "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("0.001"), "k": 10**3,
           "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20,
           "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
# What people write for a unit, and what Kubernetes spells it.
_UNIT_HINTS = {"kb": "k", "mb": "M", "gb": "G", "tb": "T", "kib": "Ki", "mib": "Mi", "gib": "Gi",
               "tib": "Ti", "b": "", "byte": "", "bytes": "", "k": "k", "g": "G", "t": "T"}

POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


class _Report:
    """Collects one object's problems, each located by path and worded `<ref>: <field>: <what>`."""

    def __init__(self, obj: ParsedObject):
        self.obj, self.problems = obj, []

    def add(self, path: Path, message: str) -> None:
        where = field_name(path, self.obj.prefix) or "(object)"
        self.problems.append(self.obj.problem(path, f"{self.obj.ref}: {where}: {message}"))


def _get(data: object, *path: str | int) -> object:
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or not 0 <= part < len(data):
                return None
            data = data[part]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(part)
    return data


def _dicts(items: object, path: Path):
    """(path, item) for every mapping in a list (null items are reported elsewhere)."""
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield [*path, i], item


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _shown(value: object) -> str:
    return repr(shorten(value)) if isinstance(value, str) else repr(value)


def validate_fields(obj: ParsedObject) -> list[Problem]:
    """The API server's refusals for one (schema-valid) object."""
    report = _Report(obj)
    data = obj.data
    _null_items(report, data, [])
    kind = data.get("kind")
    _object_name(report, kind, data)
    _metadata(report, data.get("metadata"), ["metadata"])
    spec_path = POD_SPEC_PATHS.get(kind) if isinstance(kind, str) else None
    if spec_path:
        pod_spec = _get(data, *spec_path)
        if isinstance(pod_spec, dict):
            _pod_spec(report, pod_spec, list(spec_path))
        if len(spec_path) > 1:
            template_path = list(spec_path[:-1])
            _metadata(report, _get(data, *template_path, "metadata"), [*template_path, "metadata"])
        _selector(report, _get(data, "spec", "selector"), ["spec", "selector"])
        _selector_matches_template(report, kind, data)
    rules = _KIND_RULES.get(kind) if isinstance(kind, str) else None
    if rules:
        rules(report, data)
    return report.problems


# --- generic: null list items, names, labels ---------------------------------------------------

def _null_items(report: _Report, value: object, path: Path) -> None:
    """A stray `-` is a null list item: valid YAML, valid against the schema (every field is
    nullable there), refused by the API server as a missing required value. Iterative: the
    depth is already capped by the parser, but a check must not depend on that."""
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((item, [*path, key]) for key, item in value.items())
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if item is None:
                    report.add([*path, i], "Required value: an empty list item (a `-` with nothing "
                                           "after it); remove it or complete it")
                else:
                    stack.append((item, [*path, i]))


def _name_problem(value: str, rule: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"must be no more than {limit} characters"
    pattern = {"subdomain": DNS1123_SUBDOMAIN, "label": DNS1123_LABEL, "1035": DNS1035_LABEL}[rule]
    if pattern.fullmatch(value):
        return None
    if rule == "subdomain":
        return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')")
    if rule == "label":
        return ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')")
    return ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')")


def _check_name(report: _Report, path: Path, value: object, rule: str, limit: int) -> None:
    if isinstance(value, str):
        problem = _name_problem(value, rule, limit)
        if problem:
            report.add(path, f"Invalid value: {_shown(value)}: {problem}")


def _object_name(report: _Report, kind: object, data: dict) -> None:
    name = _get(data, "metadata", "name")
    if kind == "Service":
        # Service names become DNS names (<name>.<namespace>.svc): a DNS-1035 label.
        _check_name(report, ["metadata", "name"], name, "1035", 63)
    elif kind in ("Namespace", "StatefulSet"):
        # A StatefulSet's pods are named <name>-<ordinal> (their hostname): the API server wants a
        # label (it once took a subdomain, which could create no pod).
        _check_name(report, ["metadata", "name"], name, "label", 63)
    elif kind == "CronJob":
        # The controller appends an 11-character suffix for each Job it creates.
        _check_name(report, ["metadata", "name"], name, "subdomain", 52)
    else:
        _check_name(report, ["metadata", "name"], name, "subdomain", 253)


def _qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix part must be non-empty"
    if prefix:
        problem = _name_problem(prefix, "subdomain", 253)
        if problem:
            return f"prefix part {problem}"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not QUALIFIED_NAME.fullmatch(name):
        return ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')")
    return None


def _label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not QUALIFIED_NAME.fullmatch(value):
        return ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or "
                "'my_value', or '12345')")
    return None


def _labels(report: _Report, labels: object, path: Path) -> None:
    for key, value in _dict(labels).items():
        problem = _qualified_name_problem(str(key))
        if problem:
            report.add([*path, key], f"Invalid value: {_shown(key)}: {problem}")
        if isinstance(value, str):
            problem = _label_value_problem(value)
            if problem:
                report.add([*path, key], f"Invalid value: {_shown(value)}: {problem}")


def _metadata(report: _Report, metadata: object, path: Path) -> None:
    metadata = _dict(metadata)
    _labels(report, metadata.get("labels"), [*path, "labels"])
    for key in _dict(metadata.get("annotations")):
        # Annotation keys are checked lower-cased (label keys are not).
        problem = _qualified_name_problem(str(key).lower())
        if problem:
            report.add([*path, "annotations", key], f"Invalid value: {_shown(key)}: {problem}")


def _selector(report: _Report, selector: object, path: Path) -> None:
    _labels(report, _dict(selector).get("matchLabels"), [*path, "matchLabels"])


# Workloads whose controller owns the pods its selector matches. A Job's selector is generated
# unless manualSelector is true; a CronJob's Job template is judged when its Jobs are created.
_SELECTOR_MUST_MATCH = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController")


def _selector_matches_template(report: _Report, kind: str, data: dict) -> None:
    """pkg/apis/apps/validation: a controller whose selector does not match its own pod template
    would own none of the pods it creates (and create them forever), so the API server refuses it."""
    spec = _dict(data.get("spec"))
    selector = spec.get("selector")
    if kind == "Job" and spec.get("manualSelector") is not True:
        return
    if kind not in _SELECTOR_MUST_MATCH and kind != "Job":
        return
    if kind == "ReplicationController":
        # A ReplicationController's selector is a plain map of labels.
        selector = {"matchLabels": selector} if isinstance(selector, dict) else None
    if not isinstance(selector, dict):
        return
    labels = _get(spec, "template", "metadata", "labels")
    labels = labels if isinstance(labels, dict) else {}
    verdict = label_selector_matches(selector, labels)
    if verdict is None or verdict:
        return  # an empty or malformed selector is reported by its own rule (or the schema)
    shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
    report.add(["spec", "template", "metadata", "labels"],
               f"Invalid value: {{{shown}}}: `selector` does not match template `labels` (spec.selector "
               f"asks for {selector_text(selector)}; give the pod template those labels, or copy "
               "spec.template.metadata.labels into spec.selector.matchLabels)")


def label_selector_matches(selector: dict, labels: dict) -> bool | None:
    """Whether a metav1.LabelSelector matches a set of labels, as the API server evaluates it;
    None when the selector is empty or malformed (then it matches nothing that can be judged)."""
    match_labels = selector.get("matchLabels")
    expressions = selector.get("matchExpressions")
    match_labels = match_labels if isinstance(match_labels, dict) else {}
    expressions = expressions if isinstance(expressions, list) else []
    if not match_labels and not expressions:
        return None
    for key, value in match_labels.items():
        if key not in labels or str(labels[key]) != str(value):
            return False
    for expression in expressions:
        if not isinstance(expression, dict):
            return None
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
        values = [str(v) for v in values] if isinstance(values, list) else []
        if not isinstance(key, str):
            return None
        present = key in labels
        value = str(labels[key]) if present else None
        if operator == "In":
            ok = present and value in values
        elif operator == "NotIn":
            ok = not present or value not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:
            return None
        if not ok:
            return False
    return True


def selector_text(selector: dict) -> str:
    match_labels = selector.get("matchLabels")
    parts = [f"{k}={v}" for k, v in _dict(match_labels).items()]
    expressions = selector.get("matchExpressions")
    for item in expressions if isinstance(expressions, list) else []:
        if isinstance(item, dict):
            values = item.get("values")
            shown = f" ({', '.join(map(str, values))})" if isinstance(values, list) and values else ""
            parts.append(f"{item.get('key')} {item.get('operator')}{shown}")
    return ", ".join(parts) or "nothing"


# --- ports and quantities ------------------------------------------------------------------------

def _port_number(report: _Report, path: Path, value: object, *, zero: bool = False) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and not (zero and value == 0) \
            and not 1 <= value <= 65535:
        report.add(path, f"Invalid value: {value}: must be between 1 and 65535, inclusive")


def port_name_problem(value: str) -> str | None:
    """IANA_SVC_NAME (RFC 6335), the API server's rule for container port names and for a port
    given by name (targetPort, a probe's port, an Ingress backend's port.name)."""
    if len(value) > 15:
        return "must be no more than 15 characters"
    if not IANA_SVC_NAME.fullmatch(value):
        return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
    if "--" in value:
        return "must not contain consecutive hyphens"
    if not re.search("[a-z]", value):
        return "must contain at least one letter (a-z)"
    if value.startswith("-") or value.endswith("-"):
        return "must not begin or end with a hyphen"
    return None


def _port_name(report: _Report, path: Path, value: object) -> None:
    if isinstance(value, str):
        problem = port_name_problem(value)
        if problem:
            report.add(path, f"Invalid value: {_shown(value)}: {problem}")


def _int_or_string_port(report: _Report, path: Path, value: object, *, zero: bool = False) -> None:
    """A port given as a number or by name. A quoted number is a string, hence a port name, and
    no port name is all digits: `'8080'` means the port named "8080", which cannot exist."""
    if isinstance(value, str):
        if value.isdigit():
            report.add(path, f"Invalid value: {_shown(value)}: must contain at least one letter (a-z): "
                             f"a quoted number is a port name; write {value} without quotes for the "
                             "port number")
        else:
            _port_name(report, path, value)
    else:
        _port_number(report, path, value, zero=zero)


def parse_quantity(value: object) -> Decimal | None:
    """A resource quantity as the API server parses it; None when it is malformed."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value
    else:
        return None
    if len(text) > 100 or not QUANTITY.fullmatch(text):
        return None
    match = re.match(r"[+-]?[0-9.]*", text)
    number, suffix = text[:match.end()], text[match.end():]
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            return Decimal(number + suffix)
        return Decimal(number) * Decimal(_SUFFIX[suffix])
    except (InvalidOperation, KeyError):
        return None


def _quantity_hint(value: str) -> str:
    match = re.fullmatch(r"\s*([+-]?[0-9.]+)\s*([A-Za-z]+)\s*", value)
    if match and match.group(2).lower() in _UNIT_HINTS:
        number, unit = match.groups()
        if unit.lower() in ("kib", "mib", "gib", "tib"):
            fixed = number + unit[0].upper() + "i"
        else:
            fixed = number + _UNIT_HINTS[unit.lower()]
        binary = {"mb": "Mi", "gb": "Gi", "kb": "Ki", "tb": "Ti"}.get(unit.lower())
        if binary:
            return f" (write {number}{binary} for binary units or {fixed} for decimal ones)"
        return f" (write {fixed})"
    return " (e.g. 500m, 1, 128Mi, 1Gi)"


def _quantity(report: _Report, path: Path, value: object, *, non_negative: bool = True) -> Decimal | None:
    if value is None:
        return None
    parsed = parse_quantity(value)
    if parsed is None:
        hint = _quantity_hint(value) if isinstance(value, str) else ""
        report.add(path, f"Invalid value: {_shown(value)}: quantities must match the regular expression "
                         f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'{hint}; a malformed value is "
                         "refused, not ignored")
        return None
    if non_negative and parsed < 0:
        report.add(path, f"Invalid value: {_shown(value)}: must be greater than or equal to 0")
    return parsed


def _overcommit_allowed(name: str) -> bool:
    """cpu, memory, ephemeral-storage (native names) may be requested below their limit;
    hugepages and extended resources such as nvidia.com/gpu may not (v1helper.IsOvercommitAllowed)."""
    return _is_native_resource(name) and not name.startswith("hugepages-")


def _is_native_resource(name: str) -> bool:
    return "/" not in name or name.startswith("kubernetes.io/")


def _resources(report: _Report, resources: object, path: Path) -> None:
    """Quantities, then requests against limits (pkg/apis/core/validation, validateResourceRequirements).
    A request with no limit is fine for cpu and memory; a limit with no request is defaulted to
    the limit before validation, so it is always fine."""
    resources = _dict(resources)
    parsed: dict[str, dict[str, Decimal]] = {"limits": {}, "requests": {}}
    for part in ("limits", "requests"):
        for name, value in _dict(resources.get(part)).items():
            quantity = _quantity(report, [*path, part, name], value)
            if quantity is None:
                continue
            parsed[part][str(name)] = quantity
            if not _is_native_resource(str(name)) and quantity != quantity.to_integral_value():
                report.add([*path, part, name], f"Invalid value: {_shown(value)}: must be an integer "
                                                f"({name} is counted in whole devices)")
    limits = parsed["limits"]
    for name, request in parsed["requests"].items():
        where = [*path, "requests", name]
        shown = _shown(_dict(resources.get("requests")).get(name))
        limit = limits.get(name)
        if limit is None:
            if not _overcommit_allowed(name):
                report.add([*path, "limits"], f"{name}: Required value: Limit must be set for non "
                                              f"overcommitable resources (put {name} under "
                                              "resources.limits too; the request may then be left out)")
            continue
        limit_shown = _shown(_dict(resources.get("limits")).get(name))
        if request != limit and not _overcommit_allowed(name):
            report.add(where, f"Invalid value: {shown}: must be equal to {name} limit of {limit_shown} "
                              f"({name} cannot be overcommitted: make the request equal to the limit, "
                              "or leave it out and it defaults to the limit)")
        elif request > limit:
            report.add(where, f"Invalid value: {shown}: must be less than or equal to {name} limit of "
                              f"{limit_shown} (lower the request or raise the limit: a container cannot "
                              "be guaranteed more than it may use)")


# --- pods -------------------------------------------------------------------------------------------

def _pod_spec(report: _Report, spec: dict, path: Path) -> None:
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for cpath, container in _dicts(spec.get(group), [*path, group]):
            _container(report, container, cpath)
    for vpath, volume in _dicts(spec.get("volumes"), [*path, "volumes"]):
        _check_name(report, [*vpath, "name"], volume.get("name"), "label", 63)
        empty_dir = volume.get("emptyDir")
        if isinstance(empty_dir, dict):
            _quantity(report, [*vpath, "emptyDir", "sizeLimit"], empty_dir.get("sizeLimit"))
    _resources(report, spec.get("resources"), [*path, "resources"])


def _container(report: _Report, container: dict, path: Path) -> None:
    _check_name(report, [*path, "name"], container.get("name"), "label", 63)
    # Unique within the container, as the API server checks (a sidecar may name its port "http" too).
    port_names: set[str] = set()
    for ppath, port in _dicts(container.get("ports"), [*path, "ports"]):
        _port_number(report, [*ppath, "containerPort"], port.get("containerPort"))
        _port_number(report, [*ppath, "hostPort"], port.get("hostPort"), zero=True)
        name = port.get("name")
        if isinstance(name, str):
            _port_name(report, [*ppath, "name"], name)
            if name in port_names:
                report.add([*ppath, "name"], f"Duplicate value: {_shown(name)}: port names must be "
                                             "unique within a container")
            port_names.add(name)
    _resources(report, container.get("resources"), [*path, "resources"])
    for probe_name in PROBES:
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            _handler(report, probe, [*path, probe_name], PROBE_HANDLERS)
    for hook in ("postStart", "preStop"):
        handler = _get(container, "lifecycle", hook)
        if isinstance(handler, dict):
            _handler(report, handler, [*path, "lifecycle", hook], LIFECYCLE_HANDLERS)


def _handler(report: _Report, handler: dict, path: Path, kinds: tuple[str, ...]) -> None:
    present = [kind for kind in kinds if handler.get(kind) is not None]
    if not present:
        report.add(path, f"Required value: must specify a handler type (one of {', '.join(kinds)})")
    elif len(present) > 1:
        report.add([*path, present[1]], f"Forbidden: may not specify more than 1 handler type (found "
                                        f"{' and '.join(present)}; keep one)")
    for kind in ("httpGet", "tcpSocket"):
        action = handler.get(kind)
        if isinstance(action, dict) and "port" in action:
            _int_or_string_port(report, [*path, kind, "port"], action["port"])
    grpc = handler.get("grpc")
    if isinstance(grpc, dict):
        _port_number(report, [*path, "grpc", "port"], grpc.get("port"))


# --- kinds --------------------------------------------------------------------------------------------

def _service(report: _Report, data: dict) -> None:
    spec = _dict(data.get("spec"))
    _labels(report, spec.get("selector"), ["spec", "selector"])
    ports = list(_dicts(spec.get("ports"), ["spec", "ports"]))
    names: set[str] = set()
    for ppath, port in ports:
        _port_number(report, [*ppath, "port"], port.get("port"))
        _port_number(report, [*ppath, "nodePort"], port.get("nodePort"), zero=True)
        if "targetPort" in port:
            _int_or_string_port(report, [*ppath, "targetPort"], port["targetPort"], zero=True)
        name = port.get("name")
        if isinstance(name, str) and name:
            _check_name(report, [*ppath, "name"], name, "label", 63)
            if name in names:
                report.add([*ppath, "name"], f"Duplicate value: {_shown(name)}")
            names.add(name)
        elif len(ports) > 1:
            report.add([*ppath, "name"], "Required value: a Service with more than one port must name "
                                         "each of them")


def _ingress(report: _Report, data: dict) -> None:
    spec = _dict(data.get("spec"))
    annotations = _dict(_get(data, "metadata", "annotations"))
    if spec.get("ingressClassName") is not None and INGRESS_CLASS_ANNOTATION in annotations:
        report.add(["metadata", "annotations", INGRESS_CLASS_ANNOTATION],
                   f"Invalid value: {_shown(annotations[INGRESS_CLASS_ANNOTATION])}: can not be set when "
                   "the class field is also set (keep spec.ingressClassName and remove the annotation)")
    if isinstance(spec.get("defaultBackend"), dict):
        _backend(report, spec["defaultBackend"], ["spec", "defaultBackend"])
    for rpath, rule in _dicts(spec.get("rules"), ["spec", "rules"]):
        for ppath, http_path in _dicts(_get(rule, "http", "paths"), [*rpath, "http", "paths"]):
            value = http_path.get("path")
            if isinstance(value, str) and not value.startswith("/"):
                report.add([*ppath, "path"], f"Invalid value: {_shown(value)}: must be an absolute path")
            if isinstance(http_path.get("backend"), dict):
                _backend(report, http_path["backend"], [*ppath, "backend"])


def _backend(report: _Report, backend: dict, path: Path) -> None:
    service, resource = backend.get("service"), backend.get("resource")
    if (service is None) == (resource is None):
        report.add(path, "Invalid value: exactly one backend (service or resource) must be specified")
    if not isinstance(service, dict):
        return
    _check_name(report, [*path, "service", "name"], service.get("name"), "1035", 63)
    port = service.get("port")
    if not isinstance(port, dict):
        report.add([*path, "service", "port"], "Required value: port name or number is required")
        return
    name, number = port.get("name"), port.get("number")
    if name is not None and number is not None:
        report.add([*path, "service", "port"], "Invalid value: cannot set both port name & port number")
    elif name is None and number is None:
        report.add([*path, "service", "port"], "Required value: port name or number is required")
    _port_name(report, [*path, "service", "port", "name"], name)
    _port_number(report, [*path, "service", "port", "number"], number)


def _data_keys(report: _Report, mapping: object, path: Path) -> None:
    for key in _dict(mapping):
        key = str(key)
        if len(key) > 253 or not CONFIG_KEY.fullmatch(key) or key in (".", ".."):
            report.add([*path, key], f"Invalid value: {_shown(key)}: a valid config key must consist of "
                                     "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or "
                                     "'KEY_NAME', or 'key-name')")


def _secret(report: _Report, data: dict) -> None:
    values = _dict(data.get("data"))
    _data_keys(report, values, ["data"])
    _data_keys(report, data.get("stringData"), ["stringData"])
    for key, value in values.items():
        if isinstance(value, str) and not _is_base64(value):
            report.add(["data", key], "Invalid value: not valid base64: every value under `data` is "
                                      "base64-encoded (put plain text under `stringData` instead, or "
                                      "encode it with `base64 -w0`)")
    if data.get("type") == "kubernetes.io/tls":
        present = set(values) | set(_dict(data.get("stringData")))
        for key in ("tls.crt", "tls.key"):
            if key not in present:
                report.add(["data"], f"data[{key}]: Required value: a Secret of type kubernetes.io/tls "
                                     "holds both tls.crt and tls.key")


def _is_base64(value: str) -> bool:
    # Go's StdEncoding, as the API server decodes []byte: padded, newlines ignored.
    text = value.replace("\n", "").replace("\r", "")
    if len(text) % 4:
        return False
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _config_map(report: _Report, data: dict) -> None:
    _data_keys(report, data.get("data"), ["data"])
    _data_keys(report, data.get("binaryData"), ["binaryData"])
    for key, value in _dict(data.get("binaryData")).items():
        if isinstance(value, str) and not _is_base64(value):
            report.add(["binaryData", key], "Invalid value: not valid base64 (binaryData values are "
                                            "base64-encoded; use `data` for text)")
    for key in set(_dict(data.get("data"))) & set(_dict(data.get("binaryData"))):
        report.add(["binaryData", key], f"Invalid value: {_shown(key)}: duplicate of key present in data")


def _claim(report: _Report, data: dict) -> None:
    _resources(report, _get(data, "spec", "resources"), ["spec", "resources"])


def _stateful_set(report: _Report, data: dict) -> None:
    for cpath, claim in _dicts(_get(data, "spec", "volumeClaimTemplates"), ["spec", "volumeClaimTemplates"]):
        _resources(report, _get(claim, "spec", "resources"), [*cpath, "spec", "resources"])


def _hpa(report: _Report, data: dict) -> None:
    spec = _dict(data.get("spec"))
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    if isinstance(low, int) and not isinstance(low, bool) and low < 1:
        report.add(["spec", "minReplicas"], f"Invalid value: {low}: must be greater than or equal to 1")
    if isinstance(high, int) and not isinstance(high, bool):
        floor = low if isinstance(low, int) and not isinstance(low, bool) else 1
        if high < floor:
            report.add(["spec", "maxReplicas"], f"Invalid value: {high}: must be greater than or equal to "
                                                f"`minReplicas` ({floor})")
    for mpath, metric in _dicts(spec.get("metrics"), ["spec", "metrics"]):
        for source in ("resource", "containerResource", "pods", "object", "external"):
            target = _get(metric, source, "target")
            if not isinstance(target, dict):
                continue
            for key in ("value", "averageValue"):
                _quantity(report, [*mpath, source, "target", key], target.get(key))
            utilization = target.get("averageUtilization")
            if isinstance(utilization, int) and not isinstance(utilization, bool) and utilization <= 0:
                report.add([*mpath, source, "target", "averageUtilization"],
                           f"Invalid value: {utilization}: must be greater than 0")


def _network_policy(report: _Report, data: dict) -> None:
    for direction in ("ingress", "egress"):
        for rpath, rule in _dicts(_get(data, "spec", direction), ["spec", direction]):
            for ppath, port in _dicts(rule.get("ports"), [*rpath, "ports"]):
                if "port" in port:
                    _int_or_string_port(report, [*ppath, "port"], port["port"])
    _selector(report, _get(data, "spec", "podSelector"), ["spec", "podSelector"])


_KIND_RULES = {
    "Service": _service,
    "Ingress": _ingress,
    "Secret": _secret,
    "ConfigMap": _config_map,
    "PersistentVolumeClaim": _claim,
    "StatefulSet": _stateful_set,
    "HorizontalPodAutoscaler": _hpa,
    "NetworkPolicy": _network_policy,
}
