"""Load trusted YAML content files while remembering the line of every field.

Errors in course files must name file, line and field; PyYAML's node tree has the marks, so we
compose nodes once and build both the data and a map from field path to line.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_LAST_SEGMENT = re.compile(r"(\.[^.\[]+|\[\d+\])$")
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class ContentError(Exception):
    file: Path | str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f":{self.line}" if self.line else "")
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message}"


class ContentErrors(Exception):
    """Several content errors, reported together so an author fixes them in one pass."""

    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class LocatedYaml:
    data: object
    lines: dict[str, int]
    file: Path | str
    line_offset: int = 0

    def line(self, field: str) -> int | None:
        """Line of `field` (e.g. "objectives[2]"), else of its nearest parent that has one."""
        path = field
        while path:
            if path in self.lines:
                return self.lines[path] + self.line_offset
            parent = _LAST_SEGMENT.sub("", path)
            if parent == path:
                break
            path = parent
        return self.line_offset or None

    def error(self, field: str | None, message: str) -> ContentError:
        line = self.line(field) if field else (self.line_offset or None)
        return ContentError(self.file, line, field, message)


def load_located(text: str, file: Path | str, line_offset: int = 0) -> LocatedYaml:
    """Parse one YAML document; raises ContentError with the line of a syntax error."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        raise ContentError(file, line, None, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if node is not None:
        _index(node, "", lines)
    return LocatedYaml(data, lines, file, line_offset)


def _index(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if path:
        lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            lines[child] = key.start_mark.line + 1
            _index(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, f"{path}[{i}]", lines)
