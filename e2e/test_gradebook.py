"""Journey: an instructor opens a cohort's gradebook from the cohort page, filters the students
at risk, reads why, and opens one student's record. axe-clean at 1280 and 390 px, light and dark.

The data lives in a cohort of its own ("Gradebook"), so other journeys' cohorts are untouched:
gina failed a lab three times (at risk), hank has read a lesson."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e import browser as b

SETUP = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from courses.models import Cohort, Course, Enrollment, LessonCompletion
from grading.models import Lab, Submission
from e2e import world
User = get_user_model()
course = Course.objects.get(slug="kubernetes-fundamentals")
cohort, _ = Cohort.objects.get_or_create(course=course, name="Gradebook",
                                         defaults={"starts_on": timezone.localdate()})
cohort.instructors.add(User.objects.get(email=world.email("ivy")))
for name in ("gina", "hank"):
    user, _ = User.objects.get_or_create(username=world.email(name), defaults={
        "email": world.email(name), "first_name": name.title()})
    Enrollment.objects.get_or_create(cohort=cohort, student=user)
gina, hank = User.objects.get(email=world.email("gina")), User.objects.get(email=world.email("hank"))
lab = Lab.objects.get(course=course, slug="activity-1-first-deployment")
if not Submission.objects.filter(user=gina).exists():
    for score in (20, 40, 60):
        Submission.objects.create(lab=lab, user=gina, status="failed", score=score, max_score=100,
                                  queued_at=timezone.now())
LessonCompletion.objects.get_or_create(user=hank, lesson=course.lessons.order_by("number").first())
print(f"cohort={cohort.pk}")
"""


@pytest.fixture(scope="module")
def gradebook_cohort(people) -> int:
    return int(re.search(r"cohort=(\d+)", people.site.run_python(SETUP)).group(1))


def _admin_login(page: Page, people) -> None:
    b.admin_log_in(page, people.email("ivy"), people.password)


def test_instructor_filters_at_risk_and_opens_a_record(page: Page, people, gradebook_cohort):
    _admin_login(page, people)
    page.goto(f"/admin/courses/cohort/{gradebook_cohort}/change/")
    page.get_by_role("link", name="Gradebook").click()
    table = page.locator("table.gradebook")
    expect(table).to_contain_text("Gina")
    expect(table).to_contain_text("Hank")
    b.assert_accessible(page)

    page.get_by_role("link", name=re.compile(r"^At risk \(1\)")).click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Failed Deploy your first ML model 3 times without a pass")
    expect(table).not_to_contain_text("Hank")

    table.get_by_role("link", name="Gina").click()
    expect(page.locator("h1")).to_contain_text("Gina")
    expect(page.locator("#content")).to_contain_text("without a pass")
    expect(page.get_by_role("link", name=re.compile(r"^Review the .* submission of"))).to_have_count(3)
    b.assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_gradebook_pages_are_accessible(browser: Browser, people, gradebook_cohort, scheme, width):
    context = browser.new_context(base_url=people.site.base_url, color_scheme=scheme,
                                  viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        _admin_login(page, people)
        url = f"/admin/gradebook/{gradebook_cohort}/"
        for path in (url, url + "?sort=-status"):
            page.goto(path)
            expect(page.locator("svg.chart").first).to_be_visible()
            b.assert_accessible(page)
        page.get_by_role("link", name="Hank").click()
        b.assert_accessible(page)
    finally:
        context.close()
