"""labs_with_status in one raw statement and a per-process snapshot (issue 17) answers exactly
what the ORM query it replaced answered. That query is kept here, as the reference: alice has
every kind of history, bob a different one on the same labs, carol none."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Subquery, Sum
from django.utils import timezone

from courses.models import Course
from grading import selectors
from grading.models import Lab, LabCheck, Submission
from grading.tests.conftest import make_user

Status = Submission.Status
DAY = datetime.timedelta(days=1)


def orm_labs_with_status(user, course):
    """grading.selectors.labs_with_status as it was before issue 17 (commit 1c33b0e)."""
    labs = Lab.objects.filter(course=course).select_related("lesson").defer(
        "instructions", "instructions_html", *selectors.LESSON_BODY_FIELDS).annotate(
        points=Subquery(LabCheck.objects.filter(lab=OuterRef("pk")).order_by().values("lab")
                        .annotate(total=Sum("points")).values("total")))
    if user.is_authenticated:
        mine = Submission.objects.filter(user=user, lab=OuterRef("pk"))
        labs = labs.annotate(
            has_passed=Exists(mine.filter(status=Status.PASSED)),
            has_attempted=Exists(mine.exclude(status=Status.NOT_GRADED)),
            has_active=Exists(mine.filter(status__in=Submission.ACTIVE)),
            has_awaiting=Exists(mine.filter(status=Status.AWAITING)))
        since = timezone.now() - selectors.GRADE_NOTICE_DAYS
        graded = mine.filter(graded_at__gte=since).order_by("-graded_at")
        labs = labs.annotate(graded_id=Subquery(graded.values("pk")[:1]),
                             graded_passed=Subquery(graded.values("passed")[:1]),
                             graded_when=Subquery(graded.values("graded_at")[:1]))
    rows = []
    for lab in labs:
        graded_id = getattr(lab, "graded_id", None)
        rows.append(selectors.LabStatus(
            lab, getattr(lab, "has_passed", False), getattr(lab, "has_attempted", False),
            getattr(lab, "has_active", False), getattr(lab, "has_awaiting", False),
            (graded_id, lab.graded_passed, lab.graded_when) if graded_id else None))
    return rows


def compared(rows):
    """Everything a caller reads from the rows, with the exact types."""
    return [(row.lab.pk, row.lab.slug, row.lab.title, row.lab.kind, row.lab.summary,
             row.lab.estimated_minutes, row.lab.lesson_id, row.lab.lesson.number if row.lab.lesson else None,
             row.lab.lesson.title if row.lab.lesson else None, row.lab.points, type(row.lab.points),
             row.passed, row.attempted, row.active, row.awaiting, row.graded,
             tuple(type(value) for value in row.graded or ()))
            for row in rows]


def sub(user, lab, status, *, passed=False, graded=None, late=False):
    """A submission in `status`; `graded`: days ago its manual grade was posted."""
    submission = Submission.objects.create(user=user, lab=lab, status=status, passed=passed, late=late,
                                           queued_at=timezone.now())
    if graded is not None:
        submission.graded_at = timezone.now() - graded * DAY
        submission.save(update_fields=["graded_at"])
    return submission


@pytest.fixture
def carol(db):
    return make_user("carol@example.com")


@pytest.fixture
def labs(course, lab, practical):
    """The fixture course's two labs and eight more: lesson labs and activities, with and without
    a lesson, checks worth fractional points or no checks at all (points NULL)."""
    lesson = course.lessons.order_by("number").last()
    made = {lab.slug: lab, practical.slug: practical}
    for i in range(8):
        extra = Lab.objects.create(
            course=course, slug=f"extra-{i}", title=f"Extra <{i}>", kind="lesson" if i % 2 else "activity",
            lesson=lesson if i % 3 else None, summary=f"Summary {i} & more", instructions="x",
            instructions_html="<p>x</p>", deliverable="y", estimated_minutes=30 + i)
        for position in range(i % 3):
            LabCheck.objects.create(lab=extra, position=position, check_id=f"c{position}", title="t",
                                    function="has-kind", points=1.25 + position, hint="")
        made[extra.slug] = extra
    return made


@pytest.fixture
def histories(labs, alice, bob):
    """alice: one kind of history per lab; bob: a different one on the same labs."""
    sub(alice, labs["extra-0"], Status.QUEUED)
    sub(alice, labs["extra-1"], Status.RUNNING)
    sub(alice, labs["extra-2"], Status.FAILED)
    sub(alice, labs["extra-2"], Status.INVALID)
    sub(alice, labs["extra-3"], Status.PASSED, passed=True)
    sub(alice, labs["extra-3"], Status.FAILED)  # passed, then failed: still passed
    sub(alice, labs["extra-4"], Status.AWAITING)
    sub(alice, labs["extra-5"], Status.NOT_GRADED)  # our side failed: not an attempt
    sub(alice, labs["extra-6"], Status.PASSED, passed=True, late=True)
    # The practical: graded long ago, then again, then lately (the latest in two weeks shows).
    sub(alice, labs["practical"], Status.PASSED, passed=True, graded=20)
    sub(alice, labs["practical"], Status.FAILED, graded=5)
    latest = sub(alice, labs["practical"], Status.PASSED, passed=True, graded=2)
    sub(alice, labs["extra-7"], Status.FAILED, graded=1)  # graded, not passed
    for slug in ("first-deployment", "extra-0", "extra-2", "extra-5"):  # alice's "todo" and "failed" labs
        sub(bob, labs[slug], Status.PASSED, passed=True, graded=1)
    sub(bob, labs["extra-3"], Status.QUEUED)
    sub(bob, labs["extra-4"], Status.RUNNING)
    sub(bob, labs["extra-6"], Status.AWAITING)
    return latest


def states(user, course):
    return {entry.slug: entry.state for entry in selectors.lab_entries(user, course)}


def test_every_history_reads_as_the_orm_read_it(course, histories, alice, bob, carol):
    assert set(states(alice, course).values()) == {"todo", "active", "failed", "done", "awaiting"}
    for user in (alice, bob, carol, AnonymousUser()):
        new = selectors.labs_with_status(user, course)
        assert len(new) == 10
        assert compared(new) == compared(orm_labs_with_status(user, course)), user
        selectors.forget_snapshots()  # built, then read from the snapshot: the same
        assert compared(selectors.labs_with_status(user, course)) == compared(new)


def test_lab_entries_and_the_dashboard_line_read_as_before(course, histories, alice, bob, carol, monkeypatch):
    for user in (alice, bob, carol, AnonymousUser()):
        assert selectors.lab_entries(user, course) == selectors.lab_entries(
            user, course, orm_labs_with_status(user, course))
    new = {user: selectors.dashboard_status(user, course) for user in (alice, bob, carol)}
    monkeypatch.setattr(selectors, "labs_with_status", orm_labs_with_status)
    for user, status in new.items():
        assert status == selectors.dashboard_status(user, course), user


def test_the_states_and_notice_are_the_expected_ones(course, histories, alice, bob):
    assert states(alice, course) == {
        "first-deployment": "todo", "extra-0": "active", "extra-1": "active", "extra-2": "failed",
        "extra-3": "done", "extra-4": "awaiting", "extra-5": "todo", "extra-6": "done",
        "extra-7": "failed", "practical": "done"}
    rows = {row.lab.slug: row for row in selectors.labs_with_status(alice, course)}
    latest = histories
    assert rows["practical"].graded == (latest.pk, True, latest.graded_at)
    assert rows["extra-7"].graded[1] is False
    assert sorted(slug for slug, row in rows.items() if row.graded) == ["extra-7", "practical"]
    status, passed = selectors.dashboard_status(alice, course)
    assert passed == {"extra-3", "extra-6", "practical"}
    assert status["notice"]["url"].endswith(f"/{rows['extra-7'].graded[0]}/")  # graded a day ago: the latest


def test_another_students_work_never_shows(course, labs, alice, bob):
    for lab in labs.values():  # bob has every kind of history on every lab; alice has none
        for status in (Status.PASSED, Status.QUEUED, Status.AWAITING, Status.FAILED):
            sub(bob, lab, status, passed=status == Status.PASSED, graded=1)
    assert set(states(bob, course).values()) == {"done"}
    for row in selectors.labs_with_status(alice, course):
        assert (row.passed, row.attempted, row.active, row.awaiting, row.graded) == (
            False, False, False, False, None), row.lab.slug
    status, passed = selectors.dashboard_status(alice, course)
    assert passed == set() and status["notice"] is None and status["text"] == "0 of 10 labs passed"
    mine = sub(alice, labs["extra-1"], Status.FAILED, graded=3)
    graded = [row.graded for row in selectors.labs_with_status(alice, course) if row.graded]
    assert graded == [(mine.pk, False, mine.graded_at)]


def test_one_query_whether_the_snapshot_is_built_or_read(course, histories, alice,
                                                         django_assert_num_queries):
    selectors.forget_snapshots()
    with django_assert_num_queries(1):
        rows = selectors.labs_with_status(alice, course)
    with django_assert_num_queries(1):
        selectors.labs_with_status(alice, course)
    with django_assert_num_queries(1):
        selectors.lab_entries(alice, course)
    with django_assert_num_queries(1):
        selectors.dashboard_status(alice, course)
    with django_assert_num_queries(0):  # what the pages and the notice read is loaded
        [(row.lab.title, row.lab.lesson and row.lab.lesson.title, row.lab.get_absolute_url()) for row in rows]


def test_a_change_to_a_listed_column_shows_on_the_next_call(course, labs, alice):
    before = {entry.slug: entry for entry in selectors.lab_entries(alice, course)}
    # UPDATEs that move no content hash (as tests and the admin's shell may do): still seen.
    Lab.objects.filter(pk=labs["extra-0"].pk).update(title="Renamed", estimated_minutes=99)
    LabCheck.objects.create(lab=labs["extra-0"], position=0, check_id="new", title="t", function="has-kind",
                            points=2.5, hint="")
    course.lessons.filter(pk=labs["extra-1"].lesson_id).update(title="Lesson renamed")
    after = {entry.slug: entry for entry in selectors.lab_entries(alice, course)}
    assert (after["extra-0"].title, after["extra-0"].minutes, after["extra-0"].points) == ("Renamed", 99, 2.5)
    assert before["extra-0"].points == 0
    assert after["extra-1"].lesson_title == "Lesson renamed" != before["extra-1"].lesson_title
    assert after == {entry.slug: entry for entry in selectors.lab_entries(
        alice, course, orm_labs_with_status(alice, course))}


def test_a_renamed_course_links_its_labs_at_the_new_address(course, labs, alice):
    assert selectors.lab_entries(alice, course)[0].url.startswith("/courses/test-course/labs/")
    Course.objects.filter(pk=course.pk).update(slug="moved")  # nothing else changes
    course.refresh_from_db()
    urls = [entry.url for entry in selectors.lab_entries(alice, course)]
    assert urls and all(url.startswith("/courses/moved/labs/") for url in urls)


def test_callers_changing_their_rows_do_not_change_the_next_callers(course, labs, alice, bob):
    rows = selectors.labs_with_status(alice, course)
    rows[0].lab.title = "Scribbled"
    rows[0].lab.course = None
    again = selectors.labs_with_status(bob, course)
    assert again[0].lab.title == labs[again[0].lab.slug].title != "Scribbled"
    assert again[0].lab.course is course
