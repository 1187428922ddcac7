"""Who is at risk of not finishing, and why: the rules, in one place.

Each rule is a pure function of what the gradebook read about one student (`Facts`), that
student's schedule (`Schedule`, due dates with their extensions applied) and the time now; it
returns the reason in words, or None. No database here: the gradebook, REVIEW's weekly
instructor summary and the tests all feed these functions plain values.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

BEHIND_BY = 2  # items behind the schedule that put a student at risk
INACTIVE_DAYS = 7
QUIZ_FAILURES = 2
LAB_FAILURES = 3

ON_TRACK, BEHIND, AT_RISK, COMPLETE = "on_track", "behind", "at_risk", "complete"
STATUS_LABELS = {ON_TRACK: "On track", BEHIND: "Behind", AT_RISK: "At risk", COMPLETE: "Complete"}


@dataclass(frozen=True)
class Facts:
    """What the rules read of one student."""

    done: frozenset[str]  # item keys done: a lesson read, the quiz passed, a lab passed
    enrolled_at: datetime.datetime
    last_active: datetime.datetime | None = None
    quiz_failures: int = 0  # submitted attempts that did not pass (voided ones do not count)
    quiz_passed: bool = False
    lab_failures: dict[str, int] = field(default_factory=dict)  # lab key -> failed submissions
    labs_passed: frozenset[str] = frozenset()  # lab keys


@dataclass(frozen=True)
class Schedule:
    """One student's due dates (extensions applied) and the items' names, in course order."""

    due: dict[str, datetime.datetime] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    def due_by(self, moment: datetime.datetime) -> list[str]:
        return [key for key, when in self.due.items() if when <= moment]

    def title(self, key: str) -> str:
        return self.titles.get(key, key.partition(":")[2])


def items_behind(facts: Facts, schedule: Schedule, now: datetime.datetime) -> int:
    """Items due by now minus items done, counting work done ahead of time: a position, not a list."""
    return max(0, len(schedule.due_by(now)) - len(facts.done))


def behind_schedule(facts: Facts, schedule: Schedule, now: datetime.datetime) -> str | None:
    behind = items_behind(facts, schedule, now)
    if behind >= BEHIND_BY:
        return f"Behind the schedule by {behind} items"
    return None


def overdue_items(facts: Facts, schedule: Schedule, now: datetime.datetime) -> str | None:
    late = [key for key in schedule.due_by(now) if key not in facts.done]
    if not late:
        return None
    names = ", ".join(schedule.title(key) for key in late[:3])
    more = f" and {len(late) - 3} more" if len(late) > 3 else ""
    return f"Overdue: {names}{more}"


def inactive(facts: Facts, schedule: Schedule, now: datetime.datetime) -> str | None:
    since = facts.last_active or facts.enrolled_at
    days = (now - since).days
    if days < INACTIVE_DAYS:
        return None
    if facts.last_active is None:
        return f"No activity since enrolling {days} days ago"
    return f"No activity for {days} days"


def quiz_failed_twice(facts: Facts, schedule: Schedule, now: datetime.datetime) -> str | None:
    if facts.quiz_passed or facts.quiz_failures < QUIZ_FAILURES:
        return None
    return f"Failed the quiz {facts.quiz_failures} times without passing"


def lab_failed_repeatedly(facts: Facts, schedule: Schedule, now: datetime.datetime) -> str | None:
    stuck = [key for key, failures in facts.lab_failures.items()
             if failures >= LAB_FAILURES and key not in facts.labs_passed]
    if not stuck:
        return None
    return "; ".join(f"Failed {schedule.title(key)} {facts.lab_failures[key]} times without a pass"
                     for key in stuck)


Rule = Callable[[Facts, Schedule, datetime.datetime], "str | None"]
RULES: tuple[Rule, ...] = (behind_schedule, overdue_items, inactive, quiz_failed_twice, lab_failed_repeatedly)


def reasons(facts: Facts, schedule: Schedule, now: datetime.datetime) -> list[str]:
    """Why the student is at risk, one line per rule that fires; empty when they are not."""
    return [reason for rule in RULES if (reason := rule(facts, schedule, now))]


def status(facts: Facts, *, complete: bool, reasons: list[str], cohort_schedule: Schedule,
           now: datetime.datetime) -> str:
    """The student's overall status. "Behind" is behind the cohort's own dates (an extension
    keeps a student off the at-risk list, not off this one)."""
    if complete:
        return COMPLETE
    if reasons:
        return AT_RISK
    if items_behind(facts, cohort_schedule, now) > 0:
        return BEHIND
    return ON_TRACK
