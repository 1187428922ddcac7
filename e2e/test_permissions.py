"""Journey 5: permissions, as the browser meets them. A student cannot open another student's
submission or any admin page; an instructor sees only the cohorts they teach."""

import re

from playwright.sync_api import Page, expect


def test_student_cannot_open_another_students_submission(page: Page, login, people):
    login("alice")
    response = page.goto(f"/submissions/{people.bob_submission}/")
    assert response.status == 404


def test_student_is_sent_away_from_admin_pages(page: Page, login):
    login("alice")
    for path in ("/admin/", "/admin/courses/cohort/", "/admin/grading/submission/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/admin/login/"))
        expect(page.locator("#content")).to_contain_text("not authorized")


def test_instructor_sees_only_their_own_cohorts(page: Page, login, people):
    login("ivy")
    page.goto("/admin/courses/cohort/")
    listing = page.locator("#result_list")
    expect(listing).to_contain_text("Alpha")
    expect(listing).not_to_contain_text("Beta")

    page.goto(f"/admin/courses/cohort/{people.cohorts['Beta']}/change/")
    expect(page.locator("body")).not_to_contain_text(people.email("carol"))
    response = page.goto(f"/admin/courses/cohort/{people.cohorts['Beta']}/progress/")
    assert response.status in (403, 404)
    page.goto(f"/admin/courses/cohort/{people.cohorts['Alpha']}/progress/")
    expect(page.locator("#content table")).to_contain_text(people.email("alice"))
