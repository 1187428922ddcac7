"""What a course asks of a student besides reading, named and counted one way on every page.

A course has lessons, labs of three kinds (activities, lesson labs, the practical) and a quiz.
Grading supplies the labs (courses knows nothing of grading: see progress.register_feature),
as `LabEntry` rows; every page that counts or lists them goes through `lab_groups` and
`course_parts`, so the dashboard, the course page, the lab list and the lesson page say the
same numbers with the same words.
"""

from dataclasses import dataclass, field

# Kinds in the order pages list them: (kind, one, many). The words students read.
LAB_KINDS = (
    ("activity", "Activity", "Activities"),
    ("lesson", "Lesson lab", "Lesson labs"),
    ("practical", "Practical", "Practical"),
)
KIND_NAMES = {kind: (one, many) for kind, one, many in LAB_KINDS}
# Lesson labs are practice: the course is complete without them (grading's Lab.required_for_completion).
PRACTICE_KINDS = frozenset({"lesson"})


def kind_label(kind: str) -> str:
    """A lab kind as students read it ("Lesson lab", not the model's "Lesson hands-on")."""
    return KIND_NAMES.get(kind, (kind.title(), ""))[0]


def say_minutes(minutes: int) -> str:
    """An estimated time as people say it: "90 minutes", "2 hours", "2.5 hours"."""
    if minutes < 60 or minutes % 60:
        return f"{minutes} minutes" if minutes < 120 else f"{minutes / 60:.1f} hours"
    hours = minutes // 60
    return f"{hours} hour" + ("s" if hours > 1 else "")


@dataclass(frozen=True)
class LabEntry:
    """One lab as course pages show it. `slug` is for matching course.yaml evidence, never shown."""

    slug: str
    title: str
    kind: str  # activity | lesson | practical
    summary: str
    minutes: int
    points: float
    lesson_number: int | None
    lesson_title: str
    url: str
    state: str = "todo"  # todo | active | failed | awaiting (manual grading) | done
    due: object = None  # a due date, when the instructor sets one

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def belongs_to(self) -> str:
        """What the lab belongs to, in words: the lab list's left column."""
        if self.kind == "practical":
            return "End of course"
        if self.lesson_number is None:
            return "Course"
        return f"Lesson {self.lesson_number}: {self.lesson_title}"

    @property
    def hours(self) -> str:
        return say_minutes(self.minutes)

    @property
    def points_text(self) -> str:
        points = int(self.points) if float(self.points).is_integer() else self.points
        return f"{points} point" + ("" if points == 1 else "s")

    @property
    def state_text(self) -> str:
        return {"done": "Passed", "active": "Being graded", "failed": "Not passed yet",
                "awaiting": "Awaiting instructor grading"}.get(
            self.state, "Not started")

    @property
    def passed(self) -> bool:
        return self.state == "done"


@dataclass(frozen=True)
class LabGroup:
    kind: str
    label: str  # "Activities"
    labs: list

    @property
    def passed(self) -> int:
        return sum(1 for lab in self.labs if lab.passed)

    @property
    def practice(self) -> bool:
        return self.kind in PRACTICE_KINDS

    @property
    def text(self) -> str:
        if len(self.labs) == 1:
            return self.labs[0].state_text
        return f"{self.passed} of {len(self.labs)} passed"


def lab_groups(labs: list[LabEntry]) -> list[LabGroup]:
    """The labs by kind, kinds in LAB_KINDS order, empty kinds left out."""
    groups = [LabGroup(kind, many, [lab for lab in labs if lab.kind == kind]) for kind, _, many in LAB_KINDS]
    return [group for group in groups if group.labs]


def labs_summary(labs: list[LabEntry]) -> str:
    """'10 labs: 5 activities, 4 lesson labs and 1 practical': the one way pages count labs."""
    if not labs:
        return "No labs yet"
    parts = [f"{len(g.labs)} {g.label.lower() if len(g.labs) > 1 else KIND_NAMES[g.kind][0].lower()}"
             for g in lab_groups(labs)]
    head = f"{len(labs)} lab" + ("s" if len(labs) > 1 else "")
    if len(parts) == 1:
        return head
    return f"{head}: {', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class Part:
    """One part of the course in the progress bar: lessons, activities, the quiz, the practical."""

    label: str
    done: int
    total: int
    practice: bool = False  # shown, but not counted towards the course

    @property
    def text(self) -> str:
        if self.total == 1:
            return "passed" if self.done else "not passed yet"
        return f"{self.done} of {self.total}"


@dataclass
class CourseParts:
    parts: list[Part] = field(default_factory=list)

    @property
    def counted(self) -> list[Part]:
        return [part for part in self.parts if not part.practice]

    @property
    def done(self) -> int:
        return sum(part.done for part in self.counted)

    @property
    def total(self) -> int:
        return sum(part.total for part in self.counted)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def course_parts(lessons_done: int, lessons_total: int, labs: list[LabEntry],
                 quiz_passed: bool | None) -> CourseParts:
    """Lessons, each kind of lab and the quiz, in the order a student meets them. The percent
    counts what completes the course (every lesson, activity, the quiz and the practical);
    lesson labs are listed as practice. `quiz_passed` is None when the course has no quiz."""
    parts = [Part("Lessons", lessons_done, lessons_total)]
    groups = {group.kind: group for group in lab_groups(labs)}
    for kind in ("activity", "lesson"):
        if kind in groups:
            group = groups[kind]
            parts.append(Part(group.label, group.passed, len(group.labs), practice=group.practice))
    if quiz_passed is not None:
        parts.append(Part("Quiz", int(quiz_passed), 1))
    if "practical" in groups:
        group = groups["practical"]
        parts.append(Part(group.label if len(group.labs) == 1 else "Practicals", group.passed,
                          len(group.labs)))
    return CourseParts(parts)
