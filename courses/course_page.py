"""The course page's lists, rendered for less (issue 17: the page a student sees right after
acting is rendered afresh).

What a lesson row or a lab card shows of the course (title, link, hours, summary, points) is the
same for every reader of a content version: it is rendered once per process from its partial in
templates/courses/course.html and kept, keyed by exactly what it is rendered from. Per request,
the page adds only the reader's own state around it: done, the lab's state, their due date. A
checklist item has few states (ticked, verified, signed in): each is kept the same way.
"""

from dataclasses import dataclass, replace

from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.safestring import SafeString

from courses import schedule
from courses.coursework import LabEntry, LabGroup
from courses.progress import Checklists, CourseProgress
from lms import page_cache
from lms.memo import ProcessMemo

MAX_FRAGMENTS = 4096  # rows of every content version a process serves
_fragments: ProcessMemo = ProcessMemo(MAX_FRAGMENTS)


@dataclass(frozen=True)
class LessonRow:
    head: SafeString  # number, title (a link for a signed-in reader), hours
    done: bool
    due: object = None  # courses.schedule.StudentDue, when the reader's cohort dates the lesson


@dataclass(frozen=True)
class LabCard:
    head: SafeString  # title, summary, what it belongs to, time, points
    lab: LabEntry
    state: SafeString  # the reader's state (courses/_lab_state.html); empty signed out
    due: object = None


@dataclass(frozen=True)
class LabCards:
    group: LabGroup
    cards: list[LabCard]


def _fragment(template: str, key: tuple, context: dict) -> SafeString:
    """`template` rendered with `context`, once per process for each `key` (which must cover
    everything the template reads from the context)."""
    found = _fragments.get((template, key))
    if found is None:
        found = _fragments.remember((template, key), SafeString(get_template(template).render(context)))
    return found


def lesson_rows(progress: CourseProgress, signed_in: bool, due: dict) -> list[LessonRow]:
    rows = []
    for index, lesson in enumerate(progress.lessons):
        first = index == 0
        head = _fragment("courses/course.html#lesson-head", (lesson, signed_in, first),
                         {"lesson": lesson, "signed_in": signed_in, "first": first})
        done = lesson.pk in progress.completed_ids
        rows.append(LessonRow(head, done, due.get(schedule.lesson_key(lesson.slug))))
    return rows


def lab_cards(progress: CourseProgress, signed_in: bool, due: dict) -> list[LabCards]:
    groups = []
    for group in progress.lab_groups:
        cards = []
        for lab in group.labs:
            listed = replace(lab, state="")  # the card's head does not show the state
            head = _fragment("courses/course.html#lab-head", (listed, signed_in),
                             {"lab": listed, "signed_in": signed_in})
            state = _fragment("courses/_lab_state.html", (lab.state,), {"lab": lab}) if signed_in else ""
            cards.append(LabCard(head, lab, state, due.get(schedule.lab_key(lab.slug))))
        groups.append(LabCards(group, cards))
    return groups


def checklist_items(request, course, checklists: Checklists) -> dict[str, list[SafeString]]:
    """Each checklist item rendered (the `checklist-item` partial), by list. An item's rendering is
    kept per process for its text, its state and the reader being signed in or not; its form's CSRF
    token is written as the page cache's placeholder and replaced by this page's token."""
    signed_in = request.user.is_authenticated
    token = str(page_cache.csrf(request).get("csrf_token") or get_token(request)) if signed_in else ""
    placeholder = page_cache.csrf_placeholder()
    lists = {}
    for kind, items in (("prerequisite", checklists.prerequisites), ("criterion", checklists.criteria)):
        rendered = []
        for item in items:
            key = (course.slug, kind, signed_in, *vars(item).values())
            html = _fragment("courses/course.html#checklist-item", key, {
                "course": course, "kind": kind, "item": item, "user": request.user,
                "csrf_token": placeholder})
            rendered.append(SafeString(html.replace(placeholder, token)) if token != placeholder else html)
        lists[kind] = rendered
    return {"prerequisites": lists["prerequisite"], "criteria": lists["criterion"]}

