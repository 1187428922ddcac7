"""The SVG charts: what they count, the pass mark, escaped text, and their data tables."""

import datetime
import xml.etree.ElementTree as ET

from grading import charts
from grading.gradebook import Gradebook, Row

START = datetime.date(2026, 3, 2)
NOW = datetime.datetime(2026, 3, 18, 12, 0, tzinfo=datetime.UTC)  # in week 3
SVG = "{http://www.w3.org/2000/svg}"


class FakeCohort:
    starts_on = START


class FakeQuiz:
    questions_per_attempt = 10
    pass_percent = 70


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, 9, 0, tzinfo=datetime.UTC)


def row(name: str, done_days: list[int], quiz_best: int | None = None) -> Row:
    return Row(student_id=0, email=f"{name}@example.com", name=name, enrolled_at=at(1), quiz_best=quiz_best,
               done_at={f"lesson:l{i}": at(day) for i, day in enumerate(done_days)})


def book(rows, due=None, quiz=None) -> Gradebook:
    due = due if due is not None else {"lesson:l0": at(4), "lesson:l1": at(6), "lesson:l2": at(12),
                                       "lab:x": at(20), "quiz:c": at(27)}
    return Gradebook(cohort=FakeCohort(), lessons=[], labs=[], practical=None, quiz=quiz, rows=rows, due=due,
                     titles={k: k for k in due}, now=NOW)


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own output; well-formed XML, or this raises


def test_progress_counts_items_due_and_median_done_per_week():
    chart = charts.progress_chart(book([row("ann", [3, 5, 10]), row("ben", [3]), row("cat", [])]))
    assert chart.rows[:4] == [["1", "2026-03-09", "2", "1"], ["2", "2026-03-16", "3", "1"],
                              ["3", "2026-03-23", "4", "1"], ["4", "2026-03-30", "5", ""]]
    assert chart.summary == "week 3: 4 items due, median 1 done; 3 students of 3 behind"
    assert chart.positions == [["0", "1"], ["1", "1"], ["3", "1"]]
    svg = parse(chart.svg)
    assert svg.get("role") == "img" and "The cohort against its schedule" in svg.get("aria-label")
    assert len(svg.findall(f"{SVG}circle")) == 3
    assert svg.find(f"{SVG}polyline[@class='chart-due']") is not None


def test_progress_without_a_schedule_draws_only_what_is_done():
    chart = charts.progress_chart(book([row("ann", [3])], due={}))
    assert parse(chart.svg).find(f"{SVG}polyline[@class='chart-due']") is None
    assert chart.summary.startswith("no schedule yet")
    assert chart.rows[0][2] == "—"
    assert len(chart.rows) == charts.MIN_WEEKS  # an axis, even in the cohort's first week


def test_a_crowd_at_one_position_is_counted_not_drawn_off_the_chart():
    rows = [row(f"s{i}", [3]) for i in range(charts.DOTS_PER_ROW + 6)]
    svg = parse(charts.progress_chart(book(rows)).svg)
    assert len(svg.findall(f"{SVG}circle")) == charts.DOTS_PER_ROW
    assert any(t.text == "+6" for t in svg.findall(f"{SVG}text"))


def test_quiz_distribution_with_the_pass_mark():
    rows = [row("a", [], 9), row("b", [], 9), row("c", [], 4), row("d", [])]
    chart = charts.quiz_chart(book(rows, quiz=FakeQuiz()))
    assert chart.rows == [["4/10", "1"], ["9/10", "2"]]
    assert chart.summary == "3 students took the quiz, 2 reached the pass mark of 7/10"
    svg = parse(chart.svg)
    bars = svg.findall(f"{SVG}rect")
    assert [b.get("class") for b in bars] == ["chart-bar", "chart-bar chart-bar-pass"]
    assert any(t.text == "pass mark 7/10" for t in svg.findall(f"{SVG}text"))


def test_no_quiz_no_quiz_chart():
    assert charts.quiz_chart(book([row("a", [])])) is None


def test_student_names_are_escaped_in_the_svg():
    hostile = '<script>alert(1)</script>"&'
    svg = str(charts.progress_chart(book([row(hostile, [3])])).svg)
    assert "<script>" not in svg
    title = parse(svg).find(f"{SVG}circle/{SVG}title")
    assert title.text == f"{hostile}: 1 items done"  # the text survives, as text
