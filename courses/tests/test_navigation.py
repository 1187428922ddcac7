"""Finding things (issue 14): the labs from the course page, the header and the lesson; counts
that agree on every page; progress that means the course; titles, never slugs; the signed-out
preview. On the real course: 10 lessons, 10 labs (5 activities, 4 lesson labs, 1 practical)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from courses.coursework import LabEntry, course_parts, lab_groups, labs_summary
from courses.models import Course, LessonCompletion
from courses.services import course_import
from courses.tests.conftest import make_user
from grading.models import Lab, Submission

COURSE_DIR = Path(settings.COURSE_CONTENT_DIR) / "kubernetes-fundamentals"
SUMMARY = "10 labs: 5 activities, 4 lesson labs and 1 practical"


@pytest.fixture(scope="module")
def _imported(django_db_setup, django_db_blocker):
    """The real course, imported once for this module (rendering ten long lessons takes seconds);
    each test's changes roll back, and the course goes at the end."""
    with django_db_blocker.unblock():
        course_import(path=COURSE_DIR)
        yield
        Course.objects.filter(slug="kubernetes-fundamentals").delete()


@pytest.fixture
def course(_imported, db) -> Course:
    return Course.objects.get(slug="kubernetes-fundamentals")


def passed(user, course, slug: str) -> Submission:
    return Submission.objects.create(lab=Lab.objects.get(course=course, slug=slug), user=user,
                                     status=Submission.Status.PASSED, passed=True, score=1, max_score=1,
                                     queued_at=timezone.now(), finished_at=timezone.now())


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def visible_text(html: str) -> str:
    """What a reader sees: tags, attribute values (URLs, ids) dropped."""
    return re.sub(r"<[^>]+>", " ", html)


# --- Counting one way --------------------------------------------------------------------------

def entry(kind: str, state: str = "todo", number: int | None = 1) -> LabEntry:
    return LabEntry(slug=f"{kind}-{number}-{state}", title="T", kind=kind, summary="", minutes=90, points=3,
                    lesson_number=number, lesson_title="Intro", url="/", state=state)


def test_labs_are_counted_and_named_by_kind():
    labs = [entry("activity"), entry("lesson"), entry("lesson", number=2), entry("practical")]
    assert labs_summary(labs) == "4 labs: 1 activity, 2 lesson labs and 1 practical"
    assert [g.label for g in lab_groups(labs)] == ["Activities", "Lesson labs", "Practical"]
    assert labs_summary([entry("activity")]) == "1 lab"
    assert labs_summary([]) == "No labs yet"


def test_course_progress_counts_lessons_activities_quiz_and_practical_not_practice():
    labs = [entry("activity", "done"), entry("activity"), entry("lesson", "done"), entry("practical")]
    parts = course_parts(5, 10, labs, quiz_passed=True)
    assert [(p.label, p.done, p.total, p.practice) for p in parts.parts] == [
        ("Lessons", 5, 10, False), ("Activities", 1, 2, False), ("Lesson labs", 1, 1, True),
        ("Quiz", 1, 1, False), ("Practical", 0, 1, False)]
    assert (parts.done, parts.total, parts.percent) == (7, 14, 50)  # lesson labs are practice


def test_lab_entry_says_time_points_and_what_it_belongs_to():
    lab = entry("lesson")
    assert (lab.hours, lab.points_text, lab.belongs_to) == ("90 minutes", "3 points", "Lesson 1: Intro")
    assert LabEntry(**{**lab.__dict__, "minutes": 120, "points": 1}).hours == "2 hours"
    assert LabEntry(**{**lab.__dict__, "minutes": 120, "points": 1}).points_text == "1 point"
    assert LabEntry(**{**lab.__dict__, "kind": "practical"}).belongs_to == "End of course"


def test_counts_agree_on_every_page(client, course, alice):
    client.force_login(alice)
    passed(alice, course, "activity-1-first-deployment")
    passed(alice, course, "lesson-03-inference-pod")
    pages = {
        "dashboard": page(client, reverse("dashboard")),
        "course": page(client, course.get_absolute_url()),
        "lab list": page(client, reverse("lab-list", args=[course.slug])),
    }
    for name, html in pages.items():
        assert SUMMARY in html, name
    # The kinds, counted the same way on the dashboard and the lab list.
    for name in ("dashboard", "lab list"):
        assert "1 of 5 passed" in pages[name], name   # activities
        assert "1 of 4 passed" in pages[name], name   # lesson labs
    # The time table names the same kinds (course.yaml), not "Exercises (5)".
    assert "Activities (5)" in pages["course"] and "Exercises" not in pages["course"]
    assert "4 lesson labs included" in pages["course"]
    # The dashboard no longer counts only "required" labs in a line of its own.
    assert "of 6 labs" not in pages["dashboard"]


def test_progress_bar_combines_the_course_and_shows_its_parts(client, course, alice):
    client.force_login(alice)
    for lesson in course.lessons.order_by("number")[:5]:
        LessonCompletion.objects.create(user=alice, lesson=lesson)
    passed(alice, course, "activity-1-first-deployment")
    html = page(client, reverse("dashboard"))
    # 5 lessons + 1 activity of 10 + 5 + 1 quiz + 1 practical = 6 of 17.
    assert 'aria-valuenow="35"' in html
    text = visible_text(html)
    for part in ("Lessons", "5 of 10", "Activities", "1 of 5", "Lesson labs (practice)", "Quiz", "Practical"):
        assert part in text, part
    assert 'aria-valuenow="35"' in page(client, course.get_absolute_url())


def test_success_criteria_tick_from_labs_and_name_them_by_title(client, course, alice):
    client.force_login(alice)
    LessonCompletion.objects.create(user=alice, lesson=course.lessons.get(number=6))
    passed(alice, course, "lesson-06-model-storage")
    html = page(client, course.get_absolute_url())
    assert "A model with persistent storage" in html
    item = re.search(r'<li id="criterion-persistent-storage"[^>]*>', html) or \
        re.search(r'<li id="criterion-[^"]*storage[^"]*"[^>]*>', html)
    assert item and "is-ticked" in item.group(0)


def test_no_lab_slug_is_shown_to_students(client, course, alice):
    client.force_login(alice)
    slugs = list(Lab.objects.filter(course=course).values_list("slug", flat=True))
    assert len(slugs) == 10
    slugs.remove("practical")  # a word too: "1 practical" is fine; the other nine are ids
    urls = [reverse("dashboard"), course.get_absolute_url(), reverse("lab-list", args=[course.slug])]
    urls += [lesson.get_absolute_url() for lesson in course.lessons.all()]
    for url in urls:
        text = visible_text(page(client, url))
        for slug in slugs:
            assert slug not in text, (url, slug)
    remaining = visible_text(page(client, reverse("dashboard")))
    assert ("To complete the course: finish 10 lessons; pass the quiz; "
            "pass 6 labs: 5 activities and 1 practical.") in remaining


def test_a_short_list_of_labs_left_is_named_by_title(client, course, alice):
    client.force_login(alice)
    for slug in ("activity-1-first-deployment", "activity-2-ml-stack", "activity-3-autoscaling"):
        passed(alice, course, slug)
    text = visible_text(page(client, reverse("dashboard")))
    assert "pass 3 labs: “Ingress with TLS for two model servers”, “Deploy a GPU-accelerated model”, " \
           "“Practical assessment: a production-ready ML system”." in text


def test_lab_list_says_what_each_lab_belongs_to_in_words(client, course, alice):
    client.force_login(alice)
    html = page(client, reverse("lab-list", args=[course.slug]))
    assert "Lesson 1: Introduction to Kubernetes" in visible_text(html) or "Lesson 1:" in html
    assert "End of course" in html
    assert re.search(r'class="lesson-num">\d\d<', html) is None  # no bare lesson numbers


# --- The labs from the course page, the header and the lesson ----------------------------------

def test_course_page_lists_every_lab_with_time_points_and_status(client, course, alice):
    client.force_login(alice)
    passed(alice, course, "activity-2-ml-stack")
    html = page(client, course.get_absolute_url())
    start = html.index('<section id="labs"')
    section = html[start:html.index("</section>", start)]
    assert section.count('<li class="lab-card') == 10
    lab = Lab.objects.get(course=course, slug="activity-2-ml-stack")
    assert f'href="{lab.get_absolute_url()}">{lab.title}</a>' in section
    assert lab.summary in section and "about 4 hours" in section
    assert "Passed" in section and "Not started" in section
    assert re.search(r"\d+ points", section)


def test_header_leads_to_the_course_labs(client, course, alice):
    client.force_login(alice)
    labs_url = reverse("lab-list", args=[course.slug])
    for url in (reverse("dashboard"), reverse("home"), course.get_absolute_url(),
                course.lessons.get(number=2).get_absolute_url()):
        header = page(client, url).split("</header>")[0]
        assert f'href="{labs_url}"' in header, url
    assert 'aria-current="page">Labs' in page(client, labs_url).split("</header>")[0]


def test_each_lesson_names_its_lab_near_the_top(client, course, alice):
    client.force_login(alice)
    lesson = course.lessons.get(number=1)
    html = page(client, lesson.get_absolute_url())
    note = html.index('class="lesson-labs"')
    assert note < html.index("<h1")  # before the lesson's title: near the top, not only at the end
    assert "Deploy your first ML model" in html[note:html.index("<h1")]
    assert "lesson-labs" not in page(client, course.lessons.get(number=2).get_absolute_url())  # no lab
    lesson10 = page(client, course.lessons.get(number=10).get_absolute_url())
    top = lesson10[lesson10.index('class="lesson-labs"'):lesson10.index("<h1")]
    assert "Labs for this lesson" in top and top.count("<li>") == 3


# --- Signed out: the preview, and why the rest asks to log in ----------------------------------

def test_course_page_and_lesson_01_are_a_signed_out_preview(client, course):
    html = page(client, course.get_absolute_url())
    first = course.lessons.get(number=1)
    assert f'href="{first.get_absolute_url()}"' in html and "Free preview" in html
    assert f'href="{course.lessons.get(number=2).get_absolute_url()}"' not in html
    assert SUMMARY in html and "Deploy your first ML model" in html
    assert "Not started" not in html  # no status for nobody
    lesson = page(client, first.get_absolute_url())
    assert "You are reading a free preview" in lesson and first.title in lesson
    assert "Mark lesson complete" not in lesson
    assert "Deploy your first ML model" in lesson


def test_signed_out_lesson_02_asks_to_log_in_and_says_why(client, course):
    second = course.lessons.get(number=2)
    response = client.get(second.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    login = page(client, response["Location"])
    assert f"Lesson 02, “{second.title}”, is for students with an account" in login
    assert "Lesson 01 is open to everyone as a preview" in login


def test_signed_out_preview_records_nothing(client, course):
    from courses.models import CourseVisit

    page(client, course.lessons.get(number=1).get_absolute_url())
    assert not CourseVisit.objects.exists()


def test_signed_out_reader_cannot_mark_lessons_or_open_labs(client, course):
    lesson = course.lessons.get(number=1)
    response = client.post(reverse("lesson-complete", args=[course.slug, lesson.slug]))
    assert response.status_code == 302 and not LessonCompletion.objects.exists()
    assert client.get(reverse("lab-list", args=[course.slug])).status_code == 302


# --- Privacy and hostile input -----------------------------------------------------------------

def test_a_student_sees_only_their_own_lab_status(client, course, alice, bob):
    passed(bob, course, "activity-1-first-deployment")
    client.force_login(alice)
    for url in (course.get_absolute_url(), reverse("lab-list", args=[course.slug]), reverse("dashboard")):
        assert "Passed" not in visible_text(page(client, url)).replace("passed", ""), url


def test_instructor_of_another_cohort_sees_only_their_own_status(client, course, alice):
    from courses.models import Cohort, Enrollment

    ivy = make_user("ivy@example.com", is_staff=True)
    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=timezone.now().date())
    cohort.instructors.add(ivy)
    Enrollment.objects.create(cohort=cohort, student=alice, status=Enrollment.Status.ACTIVE)
    passed(alice, course, "activity-1-first-deployment")
    client.force_login(ivy)
    html = page(client, course.get_absolute_url())
    assert "1 of 5" not in visible_text(html)  # her student's progress is not the instructor's own


def test_hostile_lab_titles_are_escaped(client, course, alice):
    Lab.objects.filter(course=course, slug="activity-1-first-deployment").update(
        title="<script>alert(1)</script>", summary="<img src=x onerror=alert(1)>")
    client.force_login(alice)
    for url in (course.get_absolute_url(), reverse("lab-list", args=[course.slug]),
                course.lessons.get(number=1).get_absolute_url()):
        html = page(client, url)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_unknown_course_labs_and_lessons_are_404_signed_out(client, course):
    assert client.get("/courses/nope/").status_code == 404
    assert client.get(f"/courses/{course.slug}/lessons/nope/").status_code == 404
    assert client.get(f"/courses/{course.slug}/lessons/%3Cscript%3E/").status_code == 404


# --- Speed -------------------------------------------------------------------------------------

def test_course_page_and_dashboard_query_budgets(client, course, alice, django_assert_max_num_queries):
    client.force_login(alice)
    passed(alice, course, "activity-1-first-deployment")
    page(client, course.get_absolute_url())  # warm the course snapshot
    # session, user, course, lessons done, labs with status, quiz (2), checklist ticks, quiz info,
    # the student's due dates (courses.schedule.student_due: one query outside a scheduled cohort)
    with django_assert_max_num_queries(11):
        page(client, course.get_absolute_url())
    with django_assert_max_num_queries(11):
        page(client, reverse("dashboard"))
    with django_assert_max_num_queries(6):
        page(client, reverse("lab-list", args=[course.slug]))


def test_signed_out_course_page_budget(client, course, django_assert_max_num_queries):
    page(client, course.get_absolute_url())
    with django_assert_max_num_queries(4):
        page(client, course.get_absolute_url())


def test_lab_page_names_its_kind_and_time_as_the_course_page_does(client, course, alice):
    client.force_login(alice)
    html = page(client, Lab.objects.get(course=course, slug="lesson-06-model-storage").get_absolute_url())
    assert "<span>Type</span>Lesson lab" in html and "Lesson hands-on" not in html
    assert "<span>Time</span>about 90 minutes" in html
    practical = page(client, Lab.objects.get(course=course, slug="practical").get_absolute_url())
    assert "<span>Time</span>about 7 hours" in practical


def test_lesson_page_reads_its_labs_in_one_query(client, course, alice, django_assert_max_num_queries):
    client.force_login(alice)
    passed(alice, course, "activity-3-autoscaling")
    url = course.lessons.get(number=10).get_absolute_url()
    page(client, url)  # the course snapshot and the cached article
    # session, user, the lesson page's one read, the labs with status, the visit (read, write)
    with django_assert_max_num_queries(6):
        html = page(client, url)
    assert html.count("Passed") >= 1 and "Labs for this lesson" in html
