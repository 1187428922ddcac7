"""Reading JSON-shaped manifests without trusting their shape (grading/policy*.py): a null is
absent, anything else where a mapping or a list belongs is a Problem naming the field. Pure."""

from __future__ import annotations

from grading.intake.parsing import ParsedObject, Problem, field_name


def value_at(data: object, path: list) -> object:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def kind_of_value(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def mapping_at(obj: ParsedObject, path: list, problems: list[Problem], value: object = ...) -> dict:
    """The mapping at `path` (or `value`); {} when absent, and a Problem when something else is there."""
    value = value_at(obj.data, path) if value is ... else value
    if isinstance(value, dict):
        return value
    if value is not None:
        problems.append(obj.problem(path, f"{obj.ref}: {field_name(path)} must be a mapping "
                                          f"(found {kind_of_value(value)})"))
    return {}


def list_at(obj: ParsedObject, path: list, problems: list[Problem], value: object = ...) -> list:
    """The list at `path` (or `value`); [] when absent, and a Problem when something else is there."""
    value = value_at(obj.data, path) if value is ... else value
    if isinstance(value, list):
        return value
    if value is not None:
        problems.append(obj.problem(path, f"{obj.ref}: {field_name(path)} must be a list "
                                          f"(found {kind_of_value(value)})"))
    return []


def as_mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}
