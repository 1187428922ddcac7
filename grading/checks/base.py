"""The check registry, the outcome type and the helpers every check uses to score itself.

A check is a pure function `fn(objects, *, points, **params) -> CheckOutcome`, registered by
name with `@check("name")`. Lab files name checks by that registry name and pass `params` as
keyword arguments, so a misspelt parameter is a TypeError the lab loader can report.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grading.checks.objects import Objects


@dataclass
class CheckOutcome:
    passed: bool
    points: float  # partial credit allowed, 0 <= points <= max_points
    max_points: float
    message: str  # one or two sentences for the student, naming the object(s)
    expected: str = ""  # "replicas >= 3"
    observed: str = ""  # "Deployment/iris-api has replicas: 1"


CheckFn = Callable[..., CheckOutcome]
REGISTRY: dict[str, CheckFn] = {}


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` under `name`. Names are stable: lab files refer to them."""

    def register(fn: CheckFn) -> CheckFn:
        if name in REGISTRY:
            raise ValueError(f"check {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def _lookup(name: str) -> CheckFn:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown check {name!r} (known checks: {known})") from None


def bind_params(fn: CheckFn, params: dict[str, Any] | None) -> None:
    """Raise TypeError when the check function `fn` does not take `params` (with `points`)."""
    inspect.signature(fn).bind(None, points=1.0, **(params or {}))


def validate_params(name: str, params: dict[str, Any] | None) -> None:
    """Raise KeyError for an unknown check and TypeError for parameters it does not take."""
    fn = _lookup(name)
    try:
        bind_params(fn, params)
    except TypeError as exc:
        raise TypeError(f"check {name!r}: {exc}") from None


def run_check(name: str, objects: Objects, params: dict[str, Any] | None = None, *,
              points: float = 1.0) -> CheckOutcome:
    """Run the registered check `name`. `points` may be given here or inside `params`."""
    params = dict(params or {})
    points = float(params.pop("points", points))
    validate_params(name, params)
    return _lookup(name)(objects, points=points, **params)


def scored(parts_ok: int, parts: int, points: float, *, message_ok: str, message_bad: str,
           expected: str = "", observed: str = "") -> CheckOutcome:
    """An outcome with partial credit: `parts_ok` of `parts` parts were right."""
    if parts <= 0:
        return CheckOutcome(False, 0.0, points, message_bad, expected, observed)
    passed = parts_ok == parts
    earned = round(points * parts_ok / parts, 2)
    return CheckOutcome(passed, earned if not passed else float(points), float(points),
                        message_ok if passed else message_bad, expected, observed)


def passed(points: float, message: str, *, expected: str = "", observed: str = "") -> CheckOutcome:
    return CheckOutcome(True, float(points), float(points), message, expected, observed)


def failed(points: float, message: str, *, expected: str = "", observed: str = "") -> CheckOutcome:
    return CheckOutcome(False, 0.0, float(points), message, expected, observed)


def cap(text: str) -> str:
    """Capitalise the first letter only (str.capitalize would lower-case the rest)."""
    return text[:1].upper() + text[1:]


def join(items: list[str], limit: int = 6) -> str:
    """'a, b and c' — keeps messages short when many objects are listed."""
    items = list(items)
    if len(items) > limit:
        items = items[:limit] + [f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
