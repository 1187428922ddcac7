"""Pictures of a cohort, drawn on the server as SVG (no chart library, no script).

Two charts: the cohort against its schedule (items due vs items done, week by week, and where
each student stands this week) and the quiz score distribution with the pass mark. Each comes
with the numbers it draws, which the page shows as a table for screen readers (and for anyone
who would rather read them). Every piece of text in the SVG goes through `escape`: student
names are student-controlled. Colours come from classes in static/css/gradebook.css (the CSP
forbids inline styles), so light and dark themes both apply.
"""

from __future__ import annotations

import bisect
import datetime
import statistics
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from courses.models.quiz import pass_score
from grading.gradebook import Gradebook

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 56
MAX_WEEKS = 52
MIN_WEEKS = 4
DOTS_PER_ROW = 24  # students drawn side by side at one position before the rest are counted


@dataclass
class Chart:
    title: str
    summary: str  # one sentence: the SVG's accessible name
    svg: SafeString
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    positions: list[list[str]] = field(default_factory=list)  # progress: items done -> students


def _svg(title: str, summary: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below went through escape()
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}: {escape(summary)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, cls: str = "chart-label", anchor: str = "middle") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'


def _axes(y_max: int, y_label: str, x_label: str) -> list[str]:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" class="chart-axis"/>',
             f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" class="chart-axis"/>',
             _text(LEFT + (right - LEFT) / 2, HEIGHT - 8, x_label),
             f'<text x="12" y="{TOP + (bottom - TOP) / 2:.1f}" class="chart-label" text-anchor="middle" '
             f'transform="rotate(-90 12 {TOP + (bottom - TOP) / 2:.1f})">{escape(y_label)}</text>']
    step = max(1, -(-y_max // 5))
    for value in range(0, y_max + 1, step):
        y = _y(value, y_max)
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="chart-grid"/>')
        parts.append(_text(LEFT - 8, y + 4, str(value), anchor="end"))
    return parts


def _y(value: float, y_max: int) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * value / max(1, y_max)


def _x(index: float, count: int) -> float:
    return LEFT + 12 + (WIDTH - RIGHT - LEFT - 24) * index / max(1, count - 1)


def _students(n: int) -> str:
    return f"{n} student" + ("" if n == 1 else "s")


def progress_chart(book: Gradebook) -> Chart:
    """Items due and items done (the cohort's median) at the end of each week since the start,
    and this week every student as a dot at the number of items they have done."""
    start = timezone.make_aware(datetime.datetime.combine(book.cohort.starts_on, datetime.time.min))
    week_ends = []
    # Up to the last due date, the cohort's end or now, whichever is latest; four weeks at least.
    ends = [timezone.make_aware(datetime.datetime.combine(book.cohort.ends_on, datetime.time.max))] \
        if getattr(book.cohort, "ends_on", None) else []
    last = max([*book.due.values(), *ends, book.now, start + datetime.timedelta(weeks=MIN_WEEKS)])
    while len(week_ends) < MAX_WEEKS and (not week_ends or week_ends[-1] < last):
        week_ends.append(start + datetime.timedelta(weeks=len(week_ends) + 1))
    due_times = sorted(book.due.values())
    due = [bisect.bisect_right(due_times, end) for end in week_ends]
    done_times = [sorted(row.done_at.values()) for row in book.rows]
    this_week = next((i for i, end in enumerate(week_ends) if book.now < end), len(week_ends) - 1)
    median = [statistics.median(bisect.bisect_right(t, end) for t in done_times) if done_times else 0
              for end in week_ends[:this_week + 1]]
    total = max(len(book.titles), max(due, default=0), 1)
    count = len(week_ends)

    body = _axes(total, "Items", "Week since the cohort started")
    for i in range(count):
        if count <= 20 or i % max(1, count // 10) == 0:
            body.append(_text(_x(i, count), HEIGHT - BOTTOM + 16, str(i + 1)))
    if book.due:
        points = " ".join(f"{_x(i, count):.1f},{_y(v, total):.1f}" for i, v in enumerate(due))
        body.append(f'<polyline points="{points}" class="chart-due"/>')
    points = " ".join(f"{_x(i, count):.1f},{_y(v, total):.1f}" for i, v in enumerate(median))
    body.append(f'<polyline points="{points}" class="chart-done"/>')
    now_x = _x(this_week, count)
    body.append(f'<line x1="{now_x:.1f}" y1="{TOP}" x2="{now_x:.1f}" y2="{HEIGHT - BOTTOM}" '
                'class="chart-now"/>')
    positions: dict[int, list[str]] = {}
    for row, times in zip(book.rows, done_times, strict=True):
        positions.setdefault(len(times), []).append(row.name or row.email)
    for done, names in sorted(positions.items()):
        y = _y(done, total)
        for i, name in enumerate(names[:DOTS_PER_ROW]):
            x = now_x + 6 + 4 * i if now_x < WIDTH / 2 else now_x - 6 - 4 * i
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="chart-student">'
                        f'<title>{escape(name)}: {done} items done</title></circle>')
        if len(names) > DOTS_PER_ROW:
            x = now_x + 10 + 4 * DOTS_PER_ROW if now_x < WIDTH / 2 else now_x - 10 - 4 * DOTS_PER_ROW
            body.append(_text(x, y + 4, f"+{len(names) - DOTS_PER_ROW}", anchor="start" if now_x < WIDTH / 2
                              else "end"))
    body.append(_text(LEFT + 8, HEIGHT - 24, "— due", "chart-legend chart-legend-due", "start"))
    body.append(_text(LEFT + 80, HEIGHT - 24, "— done (median)", "chart-legend chart-legend-done", "start"))
    body.append(_text(LEFT + 220, HEIGHT - 24, "● a student, this week", "chart-legend", "start"))

    behind = sum(1 for t in done_times if len(t) < due[this_week]) if book.due else 0
    if book.due:
        summary = (f"week {this_week + 1}: {due[this_week]} items due, median {median[-1]:g} done; "
                   f"{_students(behind)} of {len(book.rows)} behind")
    else:
        summary = f"no schedule yet; week {this_week + 1}: median {median[-1]:g} items done"
    rows = [[str(i + 1), week_ends[i].strftime("%Y-%m-%d"), str(due[i]) if book.due else "—",
             f"{median[i]:g}" if i < len(median) else ""] for i in range(count)]
    title = "The cohort against its schedule"
    return Chart(title, summary, _svg(title, summary, body),
                 ["Week", "Ends", "Items due by then", "Items done (median)"], rows,
                 [[str(done), str(len(names))] for done, names in sorted(positions.items())])


def quiz_chart(book: Gradebook) -> Chart | None:
    """How many students have each best score, and the pass mark."""
    quiz = book.quiz
    if quiz is None:
        return None
    most = quiz.questions_per_attempt
    mark = pass_score(most, quiz.pass_percent)
    counts = [0] * (most + 1)
    for row in book.rows:
        if row.quiz_best is not None:
            counts[min(row.quiz_best, most)] += 1
    top = max(max(counts), 1)
    body = _axes(top, "Students", "Best score")
    slot = (WIDTH - RIGHT - LEFT) / (most + 1)
    for score, n in enumerate(counts):
        x = LEFT + score * slot
        if n:
            cls = "chart-bar chart-bar-pass" if score >= mark else "chart-bar"
            y = _y(n, top)
            body.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{slot - 2:.1f}" '
                        f'height="{HEIGHT - BOTTOM - y:.1f}" class="{cls}">'
                        f'<title>{score}/{most}: {_students(n)}</title></rect>')
        if most <= 30 or score % 5 == 0:
            body.append(_text(x + slot / 2, HEIGHT - BOTTOM + 16, str(score)))
    mark_x = LEFT + mark * slot
    body.append(f'<line x1="{mark_x:.1f}" y1="{TOP}" x2="{mark_x:.1f}" y2="{HEIGHT - BOTTOM}" '
                f'class="chart-mark"/>')
    body.append(_text(mark_x + 4, TOP + 12, f"pass mark {mark}/{most}", "chart-legend", "start"))
    took = sum(counts)
    passed = sum(counts[mark:])
    summary = f"{_students(took)} took the quiz, {passed} reached the pass mark of {mark}/{most}"
    rows = [[f"{score}/{most}", str(n)] for score, n in enumerate(counts) if n]
    return Chart("Quiz scores", summary, _svg("Quiz scores", summary, body), ["Best score", "Students"], rows)
