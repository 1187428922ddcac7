"""Journey: an instructor finds a practical waiting in "Needs grading", reviews it (highlighted
files, the README, the diff against the previous try), grades the demo; the student sees the
posted grade on the dashboard and the submission page. axe-clean at 1280 and 390 px, light and
dark.

The data lives in a cohort of its own ("Review", taught by ivy) with a student of its own (rita),
so other journeys' submissions are untouched: rita submitted a broken practical, then the
reference solution."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e import browser as b

SETUP = """
from pathlib import Path
from django.db import transaction
from django.utils import timezone
from courses.models import Cohort, Course, Enrollment
from grading.models import Lab, Submission
from grading.services import submission_create
from e2e import world
course = Course.objects.get(slug="kubernetes-fundamentals")
cohort, _ = Cohort.objects.get_or_create(course=course, name="Review",
                                         defaults={"starts_on": timezone.localdate()})
cohort.instructors.add(world._user("ivy", PASSWORD, staff=True))
rita = world._user("rita", PASSWORD)
rita.first_name, rita.last_name = "Rita", "Reviewed"
rita.save()
Enrollment.objects.get_or_create(cohort=cohort, student=rita)
lab = Lab.objects.get(course=course, slug="practical")
root = Path(world.SOLUTION)
ids = list(Submission.objects.filter(user=rita, lab=lab).order_by("created_at").values_list("pk", flat=True))
if not ids:
    solution = [(p.name, p.read_bytes()) for p in sorted(root.iterdir())]
    first = [(n, d.replace(b"replicas: 3", b"replicas: 1")) for n, d in solution]
    for files in (first, solution):
        with transaction.atomic():
            ids.append(submission_create(user=rita, lab=lab, files=files).pk)
        world.wait_for_grading(ids[-1])
print(f"cohort={cohort.pk} first={ids[0]} second={ids[-1]}")
"""


@pytest.fixture(scope="module")
def rita(people) -> dict:
    out = people.site.run_python(SETUP.replace("PASSWORD", repr(people.password)))
    found = re.search(r"cohort=(\d+) first=(\d+) second=(\d+)", out)
    return {"cohort": int(found.group(1)), "first": int(found.group(2)), "second": int(found.group(3))}


def _admin_login(page: Page, people) -> None:
    b.admin_log_in(page, people.email("ivy"), people.password)


def test_instructor_reviews_and_grades_the_demo_then_the_student_sees_it(page: Page, people, rita, login):
    _admin_login(page, people)
    page.goto("/admin/grading/submission/")
    page.get_by_role("link", name="Needs grading").click()
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Needs grading: Review")
    row = page.locator("tbody tr").filter(has_text="Rita Reviewed")
    row.get_by_role("link", name="Review", exact=True).click()

    expect(page.locator("h1")).to_contain_text("Review: Practical assessment")
    content = page.locator("#content")
    expect(content).to_contain_text("Automatic checks passed — awaiting instructor grading")
    expect(page.locator(".review-code .nt").first).to_be_visible()  # highlighted YAML keys
    expect(page.locator(".review-readme")).to_be_visible()  # the README, rendered
    diff = page.locator(".review-diff").first
    expect(diff).to_contain_text("replicas: 3")
    expect(diff).to_contain_text("replicas: 1")
    b.assert_accessible(page)

    page.get_by_role("link", name="Grade the 1 manual item").click()
    b.assert_accessible(page)
    page.get_by_label(re.compile(r"Demo of the running system: points")).fill("18")
    page.get_by_label(re.compile(r"Demo of the running system: comment")).fill("Calm, complete demo.")
    page.get_by_role("button", name="Post the grade and tell the student").click()
    expect(page.locator(".messagelist")).to_contain_text(
        re.compile(r"Grade posted for Rita Reviewed: [\d.]+ / [\d.]+ points, passed"))

    page.context.clear_cookies()
    login("rita")
    page.goto("/dashboard/")
    notice = re.compile(r"Your instructor graded Practical assessment.*: passed")
    page.get_by_role("link", name=notice).click()
    expect(page).to_have_url(re.compile(rf"/submissions/{rita['second']}/$"))
    status = page.locator("#submission-status")
    expect(status).to_contain_text(re.compile(r"Final grade: [\d.]+ / [\d.]+ points"))
    expect(page.locator("#submission-status")).to_contain_text("Calm, complete demo.")
    b.assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_review_pages_are_accessible(browser: Browser, people, rita, scheme, width):
    context = browser.new_context(base_url=people.site.base_url, color_scheme=scheme,
                                  viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        _admin_login(page, people)
        for path in (f"/admin/grading/submission/{rita['second']}/review/",
                     f"/admin/grading/submission/{rita['second']}/grade/",
                     "/admin/grading/submission/needs-grading/",
                     f"/admin/grading/submission/needs-grading/{rita['cohort']}/"):
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()
            b.assert_accessible(page)
    finally:
        context.close()
