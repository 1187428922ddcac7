"""The at-risk rules, one by one: pure functions, plain values in, a reason or None out."""

import datetime

from grading import at_risk
from grading.at_risk import Facts, Schedule

NOW = datetime.datetime(2026, 3, 20, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
ENROLLED = NOW - 20 * DAY

DUE = {"lesson:one": NOW - 10 * DAY, "lesson:two": NOW - 5 * DAY, "lab:first": NOW - 2 * DAY,
       "quiz:course": NOW + 3 * DAY}
TITLES = {"lesson:one": "Lesson 01: Pods", "lesson:two": "Lesson 02: Deployments", "lab:first": "First lab",
          "quiz:course": "The quiz"}
SCHEDULE = Schedule(due=DUE, titles=TITLES)


def facts(**kwargs) -> Facts:
    return Facts(**{"done": frozenset(), "enrolled_at": ENROLLED, "last_active": NOW - DAY, **kwargs})


def test_behind_by_two_items_is_a_reason():
    assert at_risk.behind_schedule(facts(done=frozenset({"lesson:one"})), SCHEDULE, NOW) == \
        "Behind the schedule by 2 items"


def test_behind_by_one_item_is_not():
    assert at_risk.behind_schedule(facts(done=frozenset({"lesson:one", "lesson:two"})), SCHEDULE, NOW) is None


def test_work_done_ahead_counts_towards_the_position():
    ahead = facts(done=frozenset({"lesson:one", "quiz:course"}))  # quiz done early, lesson two not
    assert at_risk.items_behind(ahead, SCHEDULE, NOW) == 1
    assert at_risk.behind_schedule(ahead, SCHEDULE, NOW) is None


def test_no_schedule_means_nobody_is_behind_or_overdue():
    empty = Schedule()
    assert at_risk.behind_schedule(facts(), empty, NOW) is None
    assert at_risk.overdue_items(facts(), empty, NOW) is None


def test_an_overdue_item_is_named():
    done = frozenset({"lesson:one", "lesson:two"})
    assert at_risk.overdue_items(facts(done=done), SCHEDULE, NOW) == "Overdue: First lab"


def test_an_item_due_later_is_not_overdue():
    done = frozenset({"lesson:one", "lesson:two", "lab:first"})
    assert at_risk.overdue_items(facts(done=done), SCHEDULE, NOW) is None


def test_an_extension_moves_the_due_date():
    extended = Schedule(due={**DUE, "lab:first": NOW + DAY}, titles=TITLES)
    done = frozenset({"lesson:one", "lesson:two"})
    assert at_risk.overdue_items(facts(done=done), extended, NOW) is None


def test_many_overdue_items_are_summarised():
    due = {f"lesson:l{i}": NOW - (10 - i) * DAY for i in range(5)}
    reason = at_risk.overdue_items(facts(), Schedule(due=due), NOW)
    assert reason == "Overdue: l0, l1, l2 and 2 more"


def test_seven_days_without_activity():
    assert at_risk.inactive(facts(last_active=NOW - 8 * DAY), SCHEDULE, NOW) == "No activity for 8 days"
    assert at_risk.inactive(facts(last_active=NOW - 6 * DAY), SCHEDULE, NOW) is None


def test_never_active_counts_from_enrolment():
    never = facts(last_active=None)
    assert at_risk.inactive(never, SCHEDULE, NOW) == "No activity since enrolling 20 days ago"
    recent = facts(last_active=None, enrolled_at=NOW - 2 * DAY)
    assert at_risk.inactive(recent, SCHEDULE, NOW) is None


def test_quiz_failed_twice():
    assert at_risk.quiz_failed_twice(facts(quiz_failures=2), SCHEDULE, NOW) == \
        "Failed the quiz 2 times without passing"
    assert at_risk.quiz_failed_twice(facts(quiz_failures=1), SCHEDULE, NOW) is None
    assert at_risk.quiz_failed_twice(facts(quiz_failures=3, quiz_passed=True), SCHEDULE, NOW) is None


def test_lab_failed_three_times_without_a_pass():
    stuck = facts(lab_failures={"lab:first": 3})
    assert at_risk.lab_failed_repeatedly(stuck, SCHEDULE, NOW) == "Failed First lab 3 times without a pass"
    assert at_risk.lab_failed_repeatedly(facts(lab_failures={"lab:first": 2}), SCHEDULE, NOW) is None
    passed = facts(lab_failures={"lab:first": 5}, labs_passed=frozenset({"lab:first"}))
    assert at_risk.lab_failed_repeatedly(passed, SCHEDULE, NOW) is None


def test_reasons_lists_every_rule_that_fires():
    reasons = at_risk.reasons(facts(last_active=NOW - 9 * DAY, quiz_failures=2), SCHEDULE, NOW)
    assert reasons == ["Behind the schedule by 3 items", "Overdue: Lesson 01: Pods, Lesson 02: Deployments, "
                       "First lab", "No activity for 9 days", "Failed the quiz 2 times without passing"]


def status(f: Facts, *, complete: bool = False, reasons: tuple = ()) -> str:
    return at_risk.status(f, complete=complete, reasons=list(reasons), cohort_schedule=SCHEDULE, now=NOW)


def test_status_order():
    on_time = facts(done=frozenset(DUE))
    assert status(on_time, complete=True, reasons=["x"]) == "complete"
    assert status(on_time, reasons=["x"]) == "at_risk"
    assert status(on_time) == "on_track"
    # Behind the cohort's own dates, but an extension keeps them off the at-risk list.
    assert status(facts(done=frozenset({"lesson:one", "lesson:two"}))) == "behind"
