"""A tiny declarative schema for content files, with errors that name field and line.

A schema is a type (str, int, float, bool), `Slug`, `Choice("a", "b")`, `[item_schema]` for a non-empty list,
`{name: schema}` for a mapping with exactly those keys, or `Optional(schema, default)` for a
key that may be left out. Unknown keys are errors: a typo must not be silently ignored.
"""

import re
from dataclasses import dataclass
from typing import Any

from courses.yaml_lines import ContentError, LocatedYaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Slug:
    """A lower-case slug such as `kubernetes-fundamentals`."""


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def __init__(self, *values: str):
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Optional:
    schema: Any
    default: Any = None


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               Slug: "a slug (lower-case letters, digits and hyphens)"}


def validate(
    doc: LocatedYaml, schema: Any, value: Any = None, path: str = ""
) -> tuple[Any, list[ContentError]]:
    """Check `value` (default: the whole document) against `schema`.

    Returns the value with defaults filled in and the list of errors found.
    """
    errors: list[ContentError] = []
    result = _check(doc, schema, doc.data if value is None and not path else value, path, errors)
    return result, errors


def _check(doc: LocatedYaml, schema: Any, value: Any, path: str, errors: list[ContentError]) -> Any:
    if isinstance(schema, Optional):
        schema = schema.schema
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(doc.error(path or None, "must be a mapping of fields"))
            return {}
        out = {}
        for key in value:
            if key not in schema:
                allowed = ", ".join(sorted(schema))
                errors.append(doc.error(_join(path, key), f"unknown field (allowed: {allowed})"))
        for key, sub in schema.items():
            child = _join(path, key)
            if key not in value or value[key] is None:
                if isinstance(sub, Optional):
                    out[key] = sub.default
                else:
                    errors.append(doc.error(path or None, f"missing required field '{child}'"))
                continue
            out[key] = _check(doc, sub, value[key], child, errors)
        return out
    if isinstance(schema, list):
        if not isinstance(value, list) or not value:
            errors.append(doc.error(path, "must be a non-empty list"))
            return []
        return [_check(doc, schema[0], item, f"{path}[{i}]", errors) for i, item in enumerate(value)]
    return _check_scalar(doc, schema, value, path, errors)


def _check_scalar(doc: LocatedYaml, schema: Any, value: Any, path: str, errors: list[ContentError]) -> Any:
    if isinstance(schema, Choice):
        if value not in schema.values:
            errors.append(doc.error(path, f"must be one of {', '.join(schema.values)}, got {value!r}"))
        return value
    ok = {
        str: lambda v: isinstance(v, str) and v.strip() != "",
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        bool: lambda v: isinstance(v, bool),
        Slug: lambda v: isinstance(v, str) and bool(SLUG_RE.match(v)),
    }[schema](value)
    if not ok:
        errors.append(doc.error(path, f"must be {_TYPE_NAMES[schema]}, got {value!r}"))
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
