"""Journeys: an instructor sees the proposed schedule of a cohort in the admin, accepts it and
shifts it; a student sees what is due this week on the dashboard and the due date on a lab
page. axe-clean at 1280 and 390 px, light and dark.

Cohorts of their own: "Pacing" (ivy accepts its schedule here) and "Scheduled" (accepted in the
setup, studied by sam), so other journeys' cohorts stay undated. The student journey sees the
extension the instructor journey grants (they run in file order)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e import browser as b

SETUP = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from courses import schedule
from courses.models import Cohort, Course, DueDate, Enrollment
from e2e import world
User = get_user_model()
course = Course.objects.get(slug="kubernetes-fundamentals")
ivy = User.objects.get(email=world.email("ivy"))
ids = {}
for name in ("Pacing", "Scheduled"):
    cohort, _ = Cohort.objects.get_or_create(course=course, name=name,
                                             defaults={"starts_on": timezone.localdate()})
    cohort.instructors.add(ivy)
    ids[name] = cohort.pk
sam, _ = User.objects.get_or_create(username=world.email("sam"), defaults={
    "email": world.email("sam"), "first_name": "Sam"})
sam.set_password(PASSWORD)
sam.save()
scheduled = Cohort.objects.get(pk=ids["Scheduled"])
Enrollment.objects.get_or_create(cohort=scheduled, student=sam)
schedule.accept(scheduled)
print(f"pacing={ids['Pacing']} scheduled={ids['Scheduled']}")
"""


@pytest.fixture(scope="module")
def cohorts(people) -> dict[str, int]:
    out = people.site.run_python(f"PASSWORD = {people.password!r}\n" + SETUP)
    found = re.search(r"pacing=(\d+) scheduled=(\d+)", out)
    return {"Pacing": int(found.group(1)), "Scheduled": int(found.group(2))}


def _admin_login(page: Page, people) -> None:
    b.admin_log_in(page, people.email("ivy"), people.password)


def test_instructor_accepts_the_proposed_schedule_and_shifts_it(page: Page, people, cohorts):
    _admin_login(page, people)
    page.goto(f"/admin/courses/cohort/{cohorts['Pacing']}/change/")
    page.get_by_role("link", name="Schedule").click()
    expect(page.locator("h1")).to_contain_text("Schedule: Pacing")
    expect(page.locator("#content")).to_contain_text("students see no dates")
    table = page.locator("table.schedule-table")
    expect(table.locator("tbody tr")).to_have_count(21)  # 10 lessons, 9 labs, the quiz, the practical
    b.assert_accessible(page)

    page.get_by_role("button", name="Accept the proposed schedule").click()
    expect(page.locator(".messagelist")).to_contain_text("Accepted the proposed schedule (21 due date(s)")
    expect(page.get_by_role("button", name=re.compile("Replace every due date"))).to_be_disabled()

    page.get_by_label("Shift every due date by").fill("2")
    page.get_by_role("button", name="Shift all due dates").click()
    expect(page.locator(".messagelist")).to_contain_text("Moved 21 due date(s)")
    expect(page.get_by_role("button", name=re.compile("Replace every due date"))).to_be_enabled()
    b.assert_accessible(page)

    # An extension for sam in the cohort sam studies in, by email.
    page.goto(f"/admin/courses/cohort/{cohorts['Scheduled']}/schedule/")
    page.get_by_label("Student's email").fill(people.email("sam"))
    page.locator("#id_ext-item").select_option(label="Lesson 02: Kubernetes Architecture")
    page.get_by_label("New due date").fill("2030-01-31T18:00")
    page.get_by_label("Reason (the student does not see it)").fill("Family matters")
    page.get_by_role("button", name="Grant extension").click()
    expect(page.locator(".messagelist")).to_contain_text("Extension granted.")
    expect(page.locator("table.schedule-extensions")).to_contain_text("Family matters")


def test_student_sees_due_dates_on_the_dashboard_and_the_lab_page(page: Page, people, cohorts):
    b.log_in(page, people.email("sam"), people.password)
    page.goto("/dashboard/")
    summary = page.locator(".due-summary")
    expect(summary).to_contain_text("Due this week")
    expect(summary.get_by_role("link", name=re.compile(r"^Lesson 01"))).to_be_visible()
    b.assert_accessible(page)

    page.goto("/courses/kubernetes-fundamentals/")
    expect(page.locator("#structure")).to_contain_text("(extended for you)")
    expect(page.locator("body")).not_to_contain_text("Family matters")
    page.goto("/dashboard/")
    summary.get_by_role("link", name="Deploy your first ML model").click()
    expect(page.locator("h1")).to_contain_text("Deploy your first ML model")
    due = page.locator("p.due")
    expect(due).to_contain_text("Due soon")
    expect(due.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    b.assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_schedule_pages_are_accessible(browser: Browser, people, cohorts, scheme, width):
    context = browser.new_context(base_url=people.site.base_url, color_scheme=scheme,
                                  viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        _admin_login(page, people)
        page.goto(f"/admin/courses/cohort/{cohorts['Scheduled']}/schedule/")
        expect(page.locator("table.schedule-table")).to_be_visible()
        b.assert_accessible(page)
        context.clear_cookies()
        b.log_in(page, people.email("sam"), people.password)
        page.goto("/courses/kubernetes-fundamentals/")
        expect(page.locator(".due").first).to_be_visible()
        b.assert_accessible(page)
    finally:
        context.close()
