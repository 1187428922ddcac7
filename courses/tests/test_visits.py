"""'Continue where you left off': the visit row the lesson page keeps up to date."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from courses.models import CourseVisit
from courses.services import VISIT_REFRESH_SECONDS, lesson_record_visit


def visit(user):
    return CourseVisit.objects.get(user=user)


def test_first_visit_is_stored(course, alice):
    lesson = course.lessons.get(number=2)
    lesson_record_visit(user=alice, lesson=lesson)
    assert visit(alice).lesson == lesson


def test_staying_on_a_lesson_writes_nothing_until_the_visit_is_stale(course, alice):
    lesson = course.lessons.get(number=2)
    lesson_record_visit(user=alice, lesson=lesson)
    first = visit(alice).visited_at
    lesson_record_visit(user=alice, lesson=lesson)
    assert visit(alice).visited_at == first  # fresh: untouched

    stale = first - datetime.timedelta(seconds=VISIT_REFRESH_SECONDS + 1)
    CourseVisit.objects.filter(user=alice).update(visited_at=stale)
    lesson_record_visit(user=alice, lesson=lesson)
    assert visit(alice).visited_at > stale


def test_moving_to_another_lesson_updates_at_once(course, alice, bob):
    lesson_record_visit(user=alice, lesson=course.lessons.get(number=2))
    lesson_record_visit(user=bob, lesson=course.lessons.get(number=1))
    before = timezone.now()
    lesson_record_visit(user=alice, lesson=course.lessons.get(number=3))
    assert visit(alice).lesson.number == 3 and visit(alice).visited_at >= before
    assert visit(bob).lesson.number == 1  # only her row
    assert CourseVisit.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks are read from PostgreSQL's xmax: run with DATABASE_URL=postgres://…")
def test_an_unchanged_visit_does_not_lock_the_row(course, alice):
    # The point of the statement's shape: a locked row gets the transaction's id in xmax, and a
    # transaction that locked or wrote a row must flush WAL at commit. An unchanged visit must not.
    lesson = course.lessons.get(number=2)
    lesson_record_visit(user=alice, lesson=lesson)

    def xmax() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT xmax::text FROM courses_coursevisit WHERE user_id = %s", [alice.pk])
            return cursor.fetchone()[0]

    assert xmax() == "0"
    lesson_record_visit(user=alice, lesson=lesson)
    assert xmax() == "0"
    CourseVisit.objects.filter(user=alice).update(visited_at=timezone.now() - datetime.timedelta(hours=1))
    lesson_record_visit(user=alice, lesson=lesson)  # stale: written, which is right
    assert visit(alice).visited_at > timezone.now() - datetime.timedelta(minutes=1)
