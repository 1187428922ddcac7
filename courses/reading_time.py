"""How a lesson's time splits into reading and hands-on, for the line under its title.

A lesson's `duration_hours` (front matter) is the whole lesson: reading it, running its examples
on a cluster and its own lab (a lab of kind "lesson"). Reading time comes from the words of its
prose (code is not counted: it is typed, not read); the rest is hands-on. Activities and the
practical that follow a lesson are extra time, said apart.

The labs come as the lesson page already has them (courses.coursework.LabEntry rows, supplied by
grading through courses.progress): anything with a `kind` and `minutes`. Pure: no queries here.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

WORDS_PER_MINUTE = 200  # a careful reader of technical prose
# A lesson's own lab is inside its duration; activities and the practical come on top.
PART_OF_LESSON_KINDS = frozenset({"lesson"})
# How the time line names the labs that come after a lesson: (one, many).
EXTRA_KIND_WORDS = {"activity": ("activity", "activities"), "practical": ("practical", "practicals")}


@dataclass(frozen=True)
class LessonTime:
    total_minutes: int
    reading_minutes: int
    hands_on_minutes: int
    lab_minutes: int  # the lesson's own lab, inside hands_on_minutes
    extra_minutes: int  # activities and the practical that follow the lesson
    extra_kinds: str = ""  # what they are, in words: "activity and the practical"

    @property
    def total(self) -> str:
        return duration(self.total_minutes)

    @property
    def reading(self) -> str:
        return duration(self.reading_minutes)

    @property
    def hands_on(self) -> str:
        return duration(self.hands_on_minutes)

    @property
    def lab(self) -> str:
        return duration(self.lab_minutes)

    @property
    def extra(self) -> str:
        return duration(self.extra_minutes)


def _round5(minutes: float) -> int:
    return max(5, int(5 * math.ceil(minutes / 5)))


def lesson_time(lesson, labs: Iterable = ()) -> LessonTime:
    """`lesson` needs duration_hours and word_count; `labs` are the labs attached to it."""
    labs = list(labs or ())
    total = int(round(float(lesson.duration_hours) * 60))
    reading = _round5(lesson.word_count / WORDS_PER_MINUTE) if lesson.word_count else 0
    lab = sum(item.minutes for item in labs if item.kind in PART_OF_LESSON_KINDS)
    hands_on = max(total - reading, lab, 0)
    after = [item for item in labs if item.kind not in PART_OF_LESSON_KINDS]
    return LessonTime(total_minutes=reading + hands_on, reading_minutes=reading,
                      hands_on_minutes=hands_on, lab_minutes=lab,
                      extra_minutes=sum(item.minutes for item in after), extra_kinds=_kinds(after))


def _kinds(labs: list) -> str:
    counts: dict[str, int] = {}
    for item in labs:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    words = [EXTRA_KIND_WORDS.get(kind, (kind, kind))[count > 1] for kind, count in counts.items()]
    return " and the ".join(words)


def duration(minutes: int) -> str:
    """'35 minutes', '1 hour', '6 hours 25 minutes': words, as the lab lists say them."""
    hours, rest = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours > 1 else ""))
    if rest or not hours:
        parts.append(f"{rest} minute" + ("s" if rest != 1 else ""))
    return " ".join(parts)
