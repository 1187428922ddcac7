"""Issue 18, schedule and due dates: proposals from the pace, accepting, shifting, editing,
extensions, what a student sees, and late / closed."""

import datetime

import pytest
from django.utils import timezone

from courses import schedule
from courses.models import Cohort, DueDate, Enrollment, Extension, LessonCompletion
from courses.tests.conftest import make_user

UTC = datetime.UTC


def at(day: int, hour: int = 23, minute: int = 59, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def quiz_cohort(quiz_course, ivy, alice):
    cohort = Cohort.objects.create(name="Spring", course=quiz_course, starts_on=datetime.date(2026, 3, 1))
    cohort.instructors.add(ivy)
    Enrollment.objects.create(cohort=cohort, student=alice)
    return cohort


def test_items_are_lessons_in_order_then_the_quiz(quiz_course):
    found = schedule.items(quiz_course)
    assert [i.key for i in found] == ["lesson:lesson-1", "lesson:lesson-2", "lesson:lesson-3",
                                      "quiz:test-course"]
    assert [i.hours for i in found[:3]] == [1.0, 1.0, 1.0]
    assert found[-1].kind == "quiz" and found[-1].url == "/courses/test-course/quiz/"


def test_quiz_hours_come_from_the_course_time_estimates(quiz_course):
    quiz_course.details["time_estimates"] = {"components": [{"component": "Quiz", "hours": "1–3"}]}
    quiz_course.save(update_fields=["details"])
    assert schedule.items(quiz_course)[-1].hours == 3.0


def test_part_time_proposal_spreads_the_hours_over_the_week(quiz_cohort):
    # 10 h/week: 1 h of work is 0.7 days -> due the first day; 3 h 2.1 days -> the third day.
    proposal = schedule.propose(quiz_cohort)
    assert [p.due_at for p in proposal] == [at(1), at(2), at(3), at(4)]  # the quiz (2 h): 5 h -> 3.5 days


def test_full_time_and_custom_paces(quiz_cohort):
    quiz_cohort.pace = Cohort.Pace.FULL_TIME
    assert {p.due_at for p in schedule.propose(quiz_cohort)} == {at(1)}  # 5 h at 40 h/week
    quiz_cohort.pace, quiz_cohort.hours_per_week = Cohort.Pace.CUSTOM, 1
    assert [p.due_at for p in schedule.propose(quiz_cohort)] == [at(7), at(14), at(21), at(4, month=4)]


def test_the_pace_is_read_from_course_yaml(quiz_cohort):
    quiz_cohort.course.details["recommended_pace"] = [{"schedule": "Part-time (7 h/week)", "duration": "x"}]
    assert schedule.pace_hours(quiz_cohort) == 7
    quiz_cohort.pace = Cohort.Pace.FULL_TIME
    assert schedule.pace_hours(quiz_cohort) == 40  # not in course.yaml: the default


def test_accept_writes_every_date_and_keeps_close_at_due(quiz_cohort):
    assert schedule.accept(quiz_cohort) == 4
    DueDate.objects.filter(item_key="lesson:lesson-2").update(close_at_due=True)
    quiz_cohort.pace = Cohort.Pace.FULL_TIME
    assert schedule.accept(quiz_cohort) == 3  # lesson 1 is due the first day either way
    assert schedule.due_dates(quiz_cohort)["lesson:lesson-2"] == at(1)
    assert DueDate.objects.get(item_key="lesson:lesson-2").close_at_due is True
    assert schedule.accept(quiz_cohort) == 0


def test_shift_all_moves_dates_and_extensions(quiz_cohort, alice):
    schedule.accept(quiz_cohort)
    schedule.grant_extension(quiz_cohort, student_id=alice.pk, item_key="lesson:lesson-1", due_at=at(10))
    assert schedule.shift_all(quiz_cohort, 7) == 4
    assert schedule.due_dates(quiz_cohort)["lesson:lesson-1"] == at(8)
    assert Extension.objects.get().due_at == at(17)
    schedule.shift_all(quiz_cohort, -2)
    assert schedule.due_dates(quiz_cohort)["quiz:test-course"] == at(9)
    for bad in (0, 400, -400):
        with pytest.raises(schedule.ScheduleError, match="Shift by"):
            schedule.shift_all(quiz_cohort, bad)


def test_shift_all_touches_only_that_cohort(quiz_cohort, quiz_course, charlie):
    other = Cohort.objects.create(name="Autumn", course=quiz_course, starts_on=datetime.date(2026, 3, 1))
    schedule.accept(quiz_cohort)
    schedule.accept(other)
    schedule.shift_all(quiz_cohort, 3)
    assert schedule.due_dates(other)["lesson:lesson-1"] == at(1)


def test_set_due_edits_one_and_refuses_unknown_items(quiz_cohort):
    schedule.set_due(quiz_cohort, "lesson:lesson-3", due_at=at(20), close_at_due=True)
    assert schedule.due_dates(quiz_cohort) == {"lesson:lesson-3": at(20)}
    with pytest.raises(schedule.ScheduleError, match="not part of this course"):
        schedule.set_due(quiz_cohort, "lab:<script>", due_at=at(20), close_at_due=False)


def test_extensions_only_for_students_who_accepted_a_place(quiz_cohort, bob):
    with pytest.raises(schedule.ScheduleError, match="not in this cohort"):  # not in the cohort
        schedule.grant_extension(quiz_cohort, student_id=bob.pk, item_key="lesson:lesson-1", due_at=at(9))
    Enrollment.objects.create(cohort=quiz_cohort, student=bob, status=Enrollment.Status.INVITED)
    with pytest.raises(schedule.ScheduleError, match="not in this cohort"):  # invited, not accepted
        schedule.grant_extension(quiz_cohort, student_id=bob.pk, item_key="lesson:lesson-1", due_at=at(9))
    assert not Extension.objects.exists()


def test_effective_due_applies_the_students_own_extension(quiz_cohort, alice, bob):
    schedule.accept(quiz_cohort)
    Enrollment.objects.create(cohort=quiz_cohort, student=bob)
    schedule.grant_extension(quiz_cohort, student_id=alice.pk, item_key="lesson:lesson-2", due_at=at(12),
                             reason="Ill")
    assert schedule.effective_due(alice, quiz_cohort, "lesson:lesson-2") == at(12)
    assert schedule.effective_due(bob, quiz_cohort, "lesson:lesson-2") == at(2)
    assert schedule.effective_due(bob, quiz_cohort, "lesson:nope") is None


def test_revoke_extension_only_within_the_cohort(quiz_cohort, quiz_course, alice):
    schedule.accept(quiz_cohort)
    extension = schedule.grant_extension(quiz_cohort, student_id=alice.pk, item_key="lesson:lesson-1",
                                         due_at=at(12))
    other = Cohort.objects.create(name="Autumn", course=quiz_course, starts_on=datetime.date(2026, 3, 1))
    assert schedule.revoke_extension(other, extension.pk) is False
    assert schedule.revoke_extension(quiz_cohort, extension.pk) is True


def test_deadline_late_and_closed(quiz_cohort, quiz_course, alice, bob):
    schedule.accept(quiz_cohort)
    key = "lesson:lesson-1"
    assert not schedule.is_late(alice, quiz_course, key, at(1, 23, 0))
    assert schedule.is_late(alice, quiz_course, key, at(2, 0, 0))
    assert not schedule.is_closed(alice, quiz_course, key, at(2, 0, 0))  # late, not closed
    DueDate.objects.filter(item_key=key).update(close_at_due=True)
    assert schedule.is_closed(alice, quiz_course, key, at(2, 0, 0))
    schedule.grant_extension(quiz_cohort, student_id=alice.pk, item_key=key, due_at=at(3))
    deadline = schedule.deadline_for(alice, quiz_course, key)
    assert deadline.extended and deadline.due_at == at(3) and deadline.close_at_due
    assert not schedule.is_closed(alice, quiz_course, key, at(2, 0, 0))
    # Not in a scheduled cohort: nothing is ever late or closed.
    assert schedule.deadline_for(bob, quiz_course, key) is None
    assert not schedule.is_late(bob, quiz_course, key, at(30))


def test_withdrawn_students_have_no_deadlines(quiz_cohort, quiz_course, alice):
    schedule.accept(quiz_cohort)
    Enrollment.objects.filter(student=alice).update(status=Enrollment.Status.WITHDRAWN)
    assert schedule.deadline_for(alice, quiz_course, "lesson:lesson-1") is None
    assert schedule.student_due(alice, quiz_course) == []


def test_deadline_for_is_one_query(quiz_cohort, quiz_course, alice, django_assert_num_queries):
    schedule.accept(quiz_cohort)
    with django_assert_num_queries(1):
        schedule.deadline_for(alice, quiz_course, "quiz:test-course")


def test_student_due_overdue_due_soon_and_done(quiz_cohort, quiz_course, alice):
    schedule.accept(quiz_cohort)
    LessonCompletion.objects.create(user=alice, lesson=quiz_course.lessons.get(number=1))
    rows = schedule.due_by_key(schedule.student_due(alice, quiz_course, now=at(2, 12, 0)))
    assert rows["lesson:lesson-1"].done and not rows["lesson:lesson-1"].overdue
    assert not rows["lesson:lesson-2"].overdue and rows["lesson:lesson-2"].due_soon
    rows = schedule.due_by_key(schedule.student_due(alice, quiz_course, now=at(4, 0, 0)))
    assert rows["lesson:lesson-2"].overdue and rows["lesson:lesson-3"].overdue
    assert rows["quiz:test-course"].due_soon and not rows["quiz:test-course"].overdue


def test_a_student_sees_only_their_own_extension(quiz_cohort, quiz_course, alice, bob):
    schedule.accept(quiz_cohort)
    Enrollment.objects.create(cohort=quiz_cohort, student=bob)
    schedule.grant_extension(quiz_cohort, student_id=bob.pk, item_key="lesson:lesson-2", due_at=at(20))
    mine = schedule.due_by_key(schedule.student_due(alice, quiz_course, now=at(1, 0, 0)))
    assert mine["lesson:lesson-2"].due_at == at(2) and not mine["lesson:lesson-2"].extended
    theirs = schedule.due_by_key(schedule.student_due(bob, quiz_course, now=at(1, 0, 0)))
    assert theirs["lesson:lesson-2"].due_at == at(20) and theirs["lesson:lesson-2"].extended


def test_student_due_is_empty_without_a_schedule_or_cohort(quiz_cohort, quiz_course, alice, bob):
    assert schedule.student_due(alice, quiz_course) == []
    schedule.accept(quiz_cohort)
    assert schedule.student_due(bob, quiz_course) == []
    outsider = make_user("zed@example.com")
    assert schedule.student_due(outsider, quiz_course) == []


def test_the_latest_active_cohort_applies(quiz_cohort, quiz_course, alice):
    newer = Cohort.objects.create(name="Later", course=quiz_course, starts_on=datetime.date(2026, 5, 1))
    Enrollment.objects.filter(cohort=quiz_cohort, student=alice).update(status=Enrollment.Status.COMPLETED)
    Enrollment.objects.create(cohort=newer, student=alice)
    schedule.accept(quiz_cohort)
    schedule.accept(newer)
    assert schedule.deadline_for(alice, quiz_course, "lesson:lesson-1").due_at == at(1, month=5)


def test_student_due_query_budget(quiz_cohort, quiz_course, alice, django_assert_max_num_queries):
    schedule.accept(quiz_cohort)
    schedule.items(quiz_course)  # the outline snapshot is per process, built once
    with django_assert_max_num_queries(9):
        rows = schedule.student_due(alice, quiz_course, now=timezone.now())
    assert len(rows) == 4


# --- the quiz: late and closed ------------------------------------------------------------------

def test_a_quiz_submitted_after_its_due_date_is_late(quiz_cohort, quiz, alice):
    from courses.quiz import services

    schedule.accept(quiz_cohort)  # the quiz is due 4 March 23:59
    on_time = services.attempt_start(quiz=quiz, user=alice, now=at(4, 10, 0))
    assert services.attempt_submit(attempt=on_time, now=at(4, 11, 0)).late is False
    late = services.attempt_start(quiz=quiz, user=alice, now=at(6, 10, 0))
    assert services.attempt_submit(attempt=late, now=at(6, 11, 0)).late is True
    late.refresh_from_db()
    assert late.late is True and late.score is not None


def test_a_closed_quiz_refuses_a_new_attempt_and_stores_nothing(quiz_cohort, quiz, alice):
    from courses.models import Attempt
    from courses.quiz import services

    schedule.accept(quiz_cohort)
    DueDate.objects.filter(item_key="quiz:test-course").update(close_at_due=True)
    with pytest.raises(services.QuizError, match="closed at its due date"):
        services.attempt_start(quiz=quiz, user=alice, now=at(6, 10, 0))
    assert not Attempt.objects.exists()
    schedule.grant_extension(quiz_cohort, student_id=alice.pk, item_key="quiz:test-course", due_at=at(8))
    assert services.attempt_start(quiz=quiz, user=alice, now=at(6, 10, 0)).pk


def test_an_attempt_open_at_the_close_may_still_be_submitted_late(quiz_cohort, quiz, alice):
    from courses.quiz import services

    schedule.accept(quiz_cohort)
    DueDate.objects.filter(item_key="quiz:test-course").update(close_at_due=True)
    attempt = services.attempt_start(quiz=quiz, user=alice, now=at(4, 23, 30))
    assert services.attempt_submit(attempt=attempt, now=at(5, 0, 10)).late is True


def test_quiz_deadline_is_one_query(quiz_cohort, quiz, alice, django_assert_num_queries):
    schedule.accept(quiz_cohort)
    with django_assert_num_queries(1):
        deadline = schedule.quiz_deadline(alice.pk, quiz.pk)
    assert deadline.due_at == at(4)


# --- the admin's Schedule page ------------------------------------------------------------------

def schedule_url(cohort) -> str:
    from django.urls import reverse

    return reverse("admin:courses_cohort_schedule", args=[cohort.pk])


def test_the_schedule_page_shows_proposed_dates_and_accepts_them(client, ivy, quiz_cohort):
    client.force_login(ivy)
    html = client.get(schedule_url(quiz_cohort)).content.decode()
    assert "Accept the proposed schedule" in html and "Lesson 01: Lesson 1" in html
    assert "Sun 1 Mar 2026, 23:59" in html and "students see no dates" in html
    response = client.post(schedule_url(quiz_cohort), {"action": "accept"}, follow=True)
    assert "Accepted the proposed schedule (4 due date(s)" in response.content.decode()
    assert schedule.due_dates(quiz_cohort)["quiz:test-course"] == at(4)


def test_the_schedule_page_saves_the_pace_and_shifts(client, ivy, quiz_cohort):
    client.force_login(ivy)
    response = client.post(schedule_url(quiz_cohort), {"action": "pace", "pace-pace": "custom",
                                                       "pace-hours_per_week": ""})
    assert "Say how many hours a week" in response.content.decode()
    client.post(schedule_url(quiz_cohort),
                {"action": "pace", "pace-pace": "custom", "pace-hours_per_week": "1"})
    quiz_cohort.refresh_from_db()
    assert quiz_cohort.pace == "custom" and quiz_cohort.hours_per_week == 1
    client.post(schedule_url(quiz_cohort), {"action": "accept"})
    client.post(schedule_url(quiz_cohort), {"action": "shift", "shift-days": "-3"})
    assert schedule.due_dates(quiz_cohort)["lesson:lesson-1"] == at(4)


def due_post(rows: list[tuple[str, str, bool]], initial: int = 0) -> dict:
    data = {"action": "save", "due-TOTAL_FORMS": str(len(rows)), "due-INITIAL_FORMS": str(initial)}
    for i, (key, due, close) in enumerate(rows):
        data[f"due-{i}-key"], data[f"due-{i}-due_at"] = key, due
        if close:
            data[f"due-{i}-close_at_due"] = "on"
    return data


def test_the_schedule_page_edits_one_date_and_close_at_due(client, ivy, quiz_cohort):
    client.force_login(ivy)
    client.post(schedule_url(quiz_cohort), {"action": "accept"})
    rows = [("lesson:lesson-1", "2026-03-01T23:59", False), ("lesson:lesson-2", "2026-03-09T12:00", True),
            ("lesson:lesson-3", "2026-03-03T23:59", False), ("quiz:test-course", "", False)]
    response = client.post(schedule_url(quiz_cohort), due_post(rows), follow=True)
    assert "Saved 2 due date(s)." in response.content.decode()
    row = DueDate.objects.get(item_key="lesson:lesson-2")
    assert row.due_at == at(9, 12, 0) and row.close_at_due
    assert "quiz:test-course" not in schedule.due_dates(quiz_cohort)  # cleared: undated


def test_the_schedule_page_refuses_a_hostile_item_key(client, ivy, quiz_cohort):
    client.force_login(ivy)
    rows = [("lesson:lesson-1", "2026-03-05T10:00", False),
            ("<script>alert(1)</script>", "2026-03-05T10:00", True),
            ("lesson:lesson-3", "", False), ("quiz:test-course", "", False)]
    html = client.post(schedule_url(quiz_cohort), due_post(rows), follow=True).content.decode()
    assert "not part of this course" in html and "<script>alert(1)</script>" not in html
    assert not DueDate.objects.exists()  # all or nothing
    html = client.post(schedule_url(quiz_cohort), due_post(rows[:2]), follow=True).content.decode()
    assert "changed while you were editing" in html and html.count('type="datetime-local"') == 4 + 1
    assert not DueDate.objects.exists()


def test_the_schedule_page_grants_and_removes_extensions(client, ivy, alice, quiz_cohort):
    client.force_login(ivy)
    html = client.get(schedule_url(quiz_cohort)).content.decode()
    assert '<option value="alice@example.com">' in html
    client.post(schedule_url(quiz_cohort), {"action": "extend", "ext-student": "ALICE@example.com",
                                            "ext-item": "lesson:lesson-2", "ext-due_at": "2026-03-20T09:00",
                                            "ext-reason": "Ill for a week"})
    extension = Extension.objects.get()
    assert extension.due_at == at(20, 9, 0) and extension.granted_by == ivy
    assert "Ill for a week" in client.get(schedule_url(quiz_cohort)).content.decode()
    client.post(schedule_url(quiz_cohort), {"action": "revoke", "extension": extension.pk})
    assert not Extension.objects.exists()


def test_no_extension_for_a_student_of_another_cohort(client, ivy, bob, quiz_cohort, quiz_course):
    other = Cohort.objects.create(name="Autumn", course=quiz_course, starts_on=datetime.date(2026, 9, 1))
    Enrollment.objects.create(cohort=other, student=bob)
    client.force_login(ivy)
    html = client.get(schedule_url(quiz_cohort)).content.decode()
    assert "bob@example.com" not in html
    response = client.post(schedule_url(quiz_cohort), {"action": "extend", "ext-student": "bob@example.com",
                                                       "ext-item": "lesson:lesson-1",
                                                       "ext-due_at": "2026-03-20T09:00"})
    assert "No student of this cohort has that email address." in response.content.decode()
    assert not Extension.objects.exists()


def test_an_instructor_of_another_cohort_gets_403(client, charlie, alice, quiz_cohort):
    schedule.accept(quiz_cohort)
    extension = schedule.grant_extension(quiz_cohort, student_id=alice.pk, item_key="lesson:lesson-1",
                                         due_at=at(9))
    client.force_login(charlie)
    assert client.get(schedule_url(quiz_cohort)).status_code == 403
    for data in ({"action": "accept"}, {"action": "shift", "shift-days": "5"},
                 {"action": "revoke", "extension": extension.pk}):
        assert client.post(schedule_url(quiz_cohort), data).status_code == 403
    assert schedule.due_dates(quiz_cohort)["lesson:lesson-1"] == at(1)
    assert Extension.objects.filter(pk=extension.pk).exists()


def test_revoking_another_cohorts_extension_is_refused(client, ivy, charlie, bob, quiz_cohort, quiz_course):
    other = Cohort.objects.create(name="Autumn", course=quiz_course, starts_on=datetime.date(2026, 9, 1))
    other.instructors.add(charlie)
    Enrollment.objects.create(cohort=other, student=bob)
    theirs = schedule.grant_extension(other, student_id=bob.pk, item_key="lesson:lesson-1", due_at=at(9))
    client.force_login(ivy)
    response = client.post(schedule_url(quiz_cohort), {"action": "revoke", "extension": theirs.pk})
    assert response.status_code == 403
    assert client.post(schedule_url(quiz_cohort), {"action": "revoke", "extension": "x"}).status_code == 403
    assert Extension.objects.filter(pk=theirs.pk).exists()


def test_students_cannot_open_the_schedule_page(client, alice, quiz_cohort):
    client.force_login(alice)
    response = client.get(schedule_url(quiz_cohort))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_schedule_page_needs_csrf(ivy, quiz_cohort):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(ivy)
    assert client.post(schedule_url(quiz_cohort), {"action": "accept"}).status_code == 403
    assert not DueDate.objects.exists()


def test_the_schedule_page_query_count_is_constant(client, ivy, quiz_cohort, quiz_course,
                                                   django_assert_max_num_queries):
    client.force_login(ivy)
    schedule.accept(quiz_cohort)
    for n in range(30):
        student = make_user(f"s{n}@example.com")
        Enrollment.objects.create(cohort=quiz_cohort, student=student)
        schedule.grant_extension(quiz_cohort, student_id=student.pk, item_key="lesson:lesson-1", due_at=at(9))
    client.get(schedule_url(quiz_cohort))  # warm the outline snapshot
    with django_assert_max_num_queries(14):
        assert client.get(schedule_url(quiz_cohort)).status_code == 200


# --- what students see ----------------------------------------------------------------------------

@pytest.fixture
def dated(quiz_cohort):
    """Accepted from today: lessons due in 0, 1 and 2 days, the quiz in 3 (end of day, UTC)."""
    Cohort.objects.filter(pk=quiz_cohort.pk).update(starts_on=timezone.now().date())
    quiz_cohort.refresh_from_db()
    schedule.accept(quiz_cohort)
    return quiz_cohort


def test_the_dashboard_lists_overdue_and_due_this_week(client, alice, dated):
    from django.urls import reverse

    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    DueDate.objects.filter(item_key="lesson:lesson-1").update(due_at=two_days_ago)
    client.force_login(alice)
    html = client.get(reverse("dashboard")).content.decode()
    overdue, soon = html.split("<h3>Overdue</h3>")[1].split("<h3>Due this week</h3>")
    assert "Lesson 01: Lesson 1" in overdue and "Lesson 02" not in overdue
    assert "Lesson 02: Lesson 2" in soon and "Test quiz" in soon


def test_the_course_and_quiz_pages_show_due_dates_in_the_readers_zone(client, alice, quiz_cohort,
                                                                      quiz_course):
    from django.urls import reverse

    schedule.accept(quiz_cohort)
    client.force_login(alice)
    client.cookies["tz"] = "America/New_York"
    html = client.get(quiz_course.get_absolute_url()).content.decode()
    assert "Due <time datetime=\"2026-03-01T18:59:00-05:00\">Sun 1 Mar 2026, 18:59 EST</time>" in html
    assert html.count('class="due meta"') == 4  # three lessons and the quiz
    html = client.get(reverse("quiz", args=[quiz_course.slug])).content.decode()
    assert "Wed 4 Mar 2026, 18:59 EST" in html and "Overdue" in html


def test_a_student_sees_their_extension_and_not_anothers(client, alice, bob, quiz_cohort, quiz_course):
    schedule.accept(quiz_cohort)
    Enrollment.objects.create(cohort=quiz_cohort, student=bob)
    schedule.grant_extension(quiz_cohort, student_id=bob.pk, item_key="lesson:lesson-2", due_at=at(20),
                             reason="PRIVATE-REASON")
    client.force_login(alice)
    html = client.get(quiz_course.get_absolute_url()).content.decode()
    assert "Fri 20 Mar" not in html and "extended for you" not in html
    client.force_login(bob)
    html = client.get(quiz_course.get_absolute_url()).content.decode()
    assert "Fri 20 Mar 2026, 23:59 UTC</time> (extended for you)" in html and "PRIVATE-REASON" not in html


def test_closed_items_say_so(client, alice, quiz_cohort, quiz_course):
    from django.urls import reverse

    schedule.accept(quiz_cohort)
    DueDate.objects.filter(item_key="quiz:test-course").update(close_at_due=True)
    client.force_login(alice)
    html = client.get(reverse("quiz", args=[quiz_course.slug])).content.decode()
    assert "closed, no more work is accepted" in html
    assert 'id="closed"' in html and reverse("quiz-start", args=[quiz_course.slug]) not in html


def test_no_due_dates_shown_without_a_schedule(client, alice, quiz_cohort, quiz_course):
    client.force_login(alice)
    assert 'class="due' not in client.get(quiz_course.get_absolute_url()).content.decode()


def test_student_pages_query_budget_with_a_schedule(client, alice, dated, quiz_course,
                                                    django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(alice)
    course_url, dashboard_url = quiz_course.get_absolute_url(), reverse("dashboard")
    client.get(course_url)
    base = {}
    for url in (course_url, dashboard_url):  # the same pages without a schedule, for comparison
        DueDate.objects.all().delete()
        with CaptureQueriesContext(connection) as unscheduled:
            client.get(url)
        base[url] = len(unscheduled)
        schedule.accept(dated)
        # the dated items: cohort + dates + extensions (1), quiz and labs (2), what is done (3)
        with django_assert_max_num_queries(base[url] + 5):
            html = client.get(url).content.decode()
        assert "Due" in html


def test_starting_a_closed_quiz_says_why_and_stores_nothing(client, alice, quiz_cohort, quiz_course):
    from django.urls import reverse

    from courses.models import Attempt

    schedule.accept(quiz_cohort)  # every date is in March 2026, long past
    DueDate.objects.filter(item_key="quiz:test-course").update(close_at_due=True)
    client.force_login(alice)
    response = client.post(reverse("quiz-start", args=[quiz_course.slug]), follow=True)
    assert "This closed at its due date" in response.content.decode()
    assert not Attempt.objects.exists()


def test_proposed_dates_end_the_day_in_the_instructors_zone(client, ivy, quiz_cohort):
    import zoneinfo

    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        first = schedule.propose(quiz_cohort)[0].due_at
    assert first == datetime.datetime(2026, 3, 2, 4, 59, tzinfo=UTC)  # 23:59 EST on 1 March
    client.force_login(ivy)
    client.cookies["tz"] = "America/New_York"
    client.post(schedule_url(quiz_cohort), {"action": "accept"})
    assert schedule.due_dates(quiz_cohort)["lesson:lesson-1"] == first
