"""Read a course directory (course.yaml + NN-slug.md lessons) into validated specs.

Pure: no database. `courses.services.course_import` turns the specs into rows.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from courses.schema import Optional, Slug, validate
from courses.yaml_lines import ContentError, ContentErrors, load_located

LESSON_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")

_TEXT_ITEM = {"title": str, "text": str}
_TOOL = {"name": str, "purpose": str, "url": Optional(str)}

COURSE_SCHEMA = {
    "title": str,
    "code": str,
    "summary": str,
    "duration_hours": int,
    "difficulty": str,
    "prerequisites": [{"key": Slug, "text": str, "optional": Optional(bool, False)}],
    "learning_outcomes": [_TEXT_ITEM],
    "success_criteria": [{
        "key": Slug,
        "text": str,
        # What lets Podium tick it by itself; without evidence the student ticks it.
        "evidence": Optional({
            "lessons": Optional([int]),
            "quiz": Optional(bool),
            "labs": Optional([Slug]),
        }),
    }],
    "time_estimates": {
        "components": [{"component": str, "hours": str}],
        "total": str,
    },
    "recommended_pace": [{"schedule": str, "duration": str}],
    "tools": {"required": [_TOOL], "recommended": [_TOOL], "optional": [_TOOL]},
    "resources": [{"title": str, "url": str, "kind": str}],
    "whats_next": [_TEXT_ITEM],
    "tips": [_TEXT_ITEM],
    "pitfalls": [{"title": str, "symptoms": str, "solution": str, "lesson": Optional(int)}],
    "use_cases": Optional([{"title": str, "challenge": str, "solution": str, "benefit": str}], []),
    # The course is complete when every lesson is done and these are passed.
    "completion": Optional({"quiz": Optional(bool, False), "labs": Optional([Slug], [])}, {}),
}

# versions.yaml: the tool versions the lessons pin (courses/tests/test_versions.py checks the lessons).
VERSION_COMPONENT_SCHEMA = {
    "version": str,
    "source": str,
    "note": Optional(str),
    "node_image": Optional(str),
    "chart_version": Optional(str),
    "retired_names": Optional([str]),
}

LESSON_SCHEMA = {
    "title": str,
    "number": int,
    "duration_hours": float,
    "objectives": [str],
    "hands_on": Optional(Slug, ""),
}


@dataclass
class LessonSpec:
    path: Path
    slug: str
    number: int
    title: str
    duration_hours: Decimal
    objectives: list[str]
    hands_on: str
    body: str
    body_line: int  # line of the body's first line in the file, for error messages
    field_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class CourseSpec:
    path: Path
    slug: str
    meta: dict
    lessons: list[LessonSpec] = field(default_factory=list)
    lab_slugs: set[str] | None = None  # None until the course has a labs/ folder
    versions: dict | None = None  # versions.yaml's components, when the course has one


def read_course(path: Path) -> CourseSpec:
    """Read and validate a course directory; raises ContentErrors listing every problem."""
    path = Path(path)
    errors: list[ContentError] = []
    course_file = path / "course.yaml"
    if not course_file.is_file():
        raise ContentErrors([ContentError(course_file, None, None, "course.yaml not found")])
    meta, doc = {}, None
    try:
        doc = load_located(course_file.read_text(encoding="utf-8"), course_file)
        meta, found = validate(doc, COURSE_SCHEMA)
        errors += found
        errors += _check_unique_keys(doc, meta)
    except ContentError as exc:
        errors.append(exc)

    labs_dir = path / "labs"
    lab_slugs = {p.name for p in labs_dir.iterdir() if p.is_dir()} if labs_dir.is_dir() else None
    versions = _read_versions(path / "versions.yaml", errors)
    lessons: list[LessonSpec] = []
    for file in sorted(path.glob("*.md")):
        try:
            lessons.append(read_lesson(file))
        except ContentErrors as exc:
            errors += exc.errors
    errors += _check_lessons(lessons, lab_slugs)
    if meta:
        errors += _check_criteria_refs(doc, meta, lessons, lab_slugs)
    if errors:
        raise ContentErrors(errors)
    return CourseSpec(path=path, slug=path.name, meta=meta, lessons=lessons, lab_slugs=lab_slugs,
                      versions=versions)


def _read_versions(file: Path, errors: list[ContentError]) -> dict | None:
    """versions.yaml is optional; when present, every component needs a version and a source."""
    if not file.is_file():
        return None
    try:
        doc = load_located(file.read_text(encoding="utf-8"), file)
    except ContentError as exc:
        errors.append(exc)
        return None
    components = doc.data.get("components") if isinstance(doc.data, dict) else None
    if not isinstance(components, dict) or not components:
        errors.append(doc.error(None, "needs a 'components' mapping: name -> {version, source}"))
        return None
    versions = {}
    for name, spec in components.items():
        versions[name], found = validate(doc, VERSION_COMPONENT_SCHEMA, spec, f"components.{name}")
        errors += found
    return versions


def read_lesson(file: Path) -> LessonSpec:
    match = LESSON_FILE_RE.match(file.name)
    if not match:
        raise ContentErrors([ContentError(
            file, None, None, "lesson file names must look like NN-slug.md (e.g. 03-core-resources.md)")])
    text = file.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ContentErrors([ContentError(
            file, 1, None, "missing front matter: the file must start with a '---' line")])
    end = text.find("\n---\n", 3)
    if end == -1:
        raise ContentErrors([ContentError(
            file, 1, None, "front matter is not closed: add a '---' line after it")])
    front = text[4:end + 1]
    try:
        doc = load_located(front, file, line_offset=1)
    except ContentError as exc:
        raise ContentErrors([exc]) from None
    fm, errors = validate(doc, LESSON_SCHEMA)
    if not errors and fm["number"] != int(match.group(1)):
        errors.append(doc.error("number", f"is {fm['number']} but the file name says {int(match.group(1))}"))
    if errors:
        raise ContentErrors(errors)
    body_line = front.count("\n") + 3
    return LessonSpec(
        path=file,
        slug=match.group(2),
        number=fm["number"],
        title=fm["title"],
        duration_hours=Decimal(str(fm["duration_hours"])),
        objectives=fm["objectives"],
        hands_on=fm["hands_on"] or "",
        body=text[end + 5:],
        body_line=body_line,
        field_lines={key: doc.line(key) for key in LESSON_SCHEMA},
    )


def _check_unique_keys(doc, meta: dict) -> list[ContentError]:
    errors = []
    for section in ("prerequisites", "success_criteria"):
        seen: set[str] = set()
        for i, item in enumerate(meta.get(section) or []):
            key = item.get("key")
            if key in seen:
                errors.append(doc.error(f"{section}[{i}].key", f"duplicate key {key!r}"))
            seen.add(key)
    return errors


def _check_lessons(lessons: list[LessonSpec], lab_slugs: set[str] | None) -> list[ContentError]:
    errors = []
    by_number: dict[int, LessonSpec] = {}
    for lesson in lessons:
        if lesson.number in by_number:
            errors.append(ContentError(lesson.path, lesson.field_lines.get("number"), "number",
                                       f"duplicate lesson number {lesson.number} "
                                       f"(also {by_number[lesson.number].path.name})"))
        by_number[lesson.number] = lesson
        if lesson.hands_on and lab_slugs is not None and lesson.hands_on not in lab_slugs:
            known = ", ".join(sorted(lab_slugs))
            errors.append(ContentError(lesson.path, lesson.field_lines.get("hands_on"), "hands_on",
                                       f"unknown lab {lesson.hands_on!r} (labs: {known})"))
    return errors


def _check_criteria_refs(doc, meta: dict, lessons: list[LessonSpec],
                         lab_slugs: set[str] | None) -> list[ContentError]:
    errors = []
    numbers = {lesson.number for lesson in lessons}
    for i, item in enumerate(meta.get("success_criteria") or []):
        evidence = item.get("evidence") or {}
        for n in evidence.get("lessons") or []:
            if n not in numbers:
                errors.append(doc.error(f"success_criteria[{i}].evidence.lessons",
                                        f"no lesson number {n}"))
        for slug in evidence.get("labs") or []:
            if lab_slugs is not None and slug not in lab_slugs:
                errors.append(doc.error(f"success_criteria[{i}].evidence.labs",
                                        f"unknown lab {slug!r}"))
    for slug in (meta.get("completion") or {}).get("labs") or []:
        if lab_slugs is not None and slug not in lab_slugs:
            errors.append(doc.error("completion.labs", f"unknown lab {slug!r}"))
    return errors
