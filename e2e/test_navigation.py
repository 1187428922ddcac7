"""Finding things (issue 14): from the course page to a lab through its Labs section and through
the header; each lesson names its lab near the top; the signed-out preview (course page and
lesson 01) and the reason lesson 02 asks to log in; axe-clean at 1280 and 390 px, light and dark."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.browser import assert_accessible, axe_violations, describe, log_in

COURSE = "/courses/kubernetes-fundamentals/"
LABS = f"{COURSE}labs/"
FIRST_LAB = "Deploy your first ML model"
LESSON_01 = f"{COURSE}lessons/k8s-introduction/"
LESSON_02 = f"{COURSE}lessons/k8s-architecture/"


def test_course_page_labs_section_leads_to_a_lab(page: Page, login):
    login("alice")
    page.goto(COURSE)
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Labs").click()
    section = page.locator("#labs")
    expect(section).to_contain_text("10 labs: 5 activities, 4 lesson labs and 1 practical")
    expect(section.locator("li.lab-card")).to_have_count(10)
    card = section.locator("li.lab-card", has_text=FIRST_LAB)
    expect(card).to_contain_text("Lesson 1:")
    expect(card).to_contain_text(re.compile(r"about \d"))
    expect(card).to_contain_text(re.compile(r"\d+ points?"))
    card.get_by_role("link", name=FIRST_LAB).click()
    expect(page.locator("h1")).to_have_text(FIRST_LAB)


def test_header_leads_to_the_course_labs_from_any_page(page: Page, login):
    login("alice")
    for start in ("/dashboard/", COURSE, LESSON_02):
        page.goto(start)
        page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Labs")).click()
        expect(page).to_have_url(re.compile(f"{LABS}$"))
    expect(page.get_by_role("heading", name="Activities")).to_be_visible()
    # What each lab belongs to, in words; no bare lesson numbers, no lab ids.
    expect(page.locator(".lab-belongs", has_text="End of course")).to_have_count(1)
    body = page.locator("main").inner_text()
    assert "activity-1-first-deployment" not in body
    assert "lesson-03-inference-pod" not in body
    page.get_by_role("link", name=FIRST_LAB).click()
    expect(page.locator("h1")).to_have_text(FIRST_LAB)


def test_each_lesson_names_its_lab_near_the_top(page: Page, login):
    login("alice")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(LESSON_01)
    note = page.get_by_role("note", name="Labs for this lesson")
    expect(note).to_be_in_viewport()  # on a phone too, before a single scroll
    note.get_by_role("link", name=FIRST_LAB).click()
    expect(page.locator("h1")).to_have_text(FIRST_LAB)


def test_signed_out_reader_gets_a_preview_and_a_reason_to_log_in(page: Page, people):
    page.goto(COURSE)
    expect(page.locator("#labs")).to_contain_text(FIRST_LAB)
    page.get_by_role("link", name=re.compile("Introduction")).first.click()
    expect(page).to_have_url(re.compile(f"{LESSON_01}$"))
    expect(page.get_by_text("You are reading a free preview")).to_be_visible()
    expect(page.get_by_role("button", name="Mark lesson complete")).to_have_count(0)
    assert_accessible(page)

    page.goto(LESSON_02)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("status")).to_contain_text("is for students with an account")
    assert_accessible(page)
    log_in_here = page.get_by_label("Email")
    expect(log_in_here).to_be_visible()
    # A wrong password: the error talks about the email, not a "username".
    log_in_here.fill(people.email("alice"))
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-errors")).to_contain_text("email")
    assert "username" not in page.locator("main").inner_text().lower()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_navigation_pages_are_axe_clean(browser, site, people, scheme, width):
    context = browser.new_context(base_url=site.base_url, color_scheme=scheme,
                                  viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        problems = []
        for path in (COURSE, LESSON_01):  # the signed-out preview
            page.goto(path)
            if violations := axe_violations(page):
                problems.append(f"signed out {path}:\n{describe(violations)}")
        log_in(page, people.email("alice"), people.password)
        for path in ("/dashboard/", COURSE, LABS, LESSON_01, f"{COURSE}lessons/monitoring-observability/"):
            page.goto(path)
            if violations := axe_violations(page):
                problems.append(f"{path}:\n{describe(violations)}")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
                f"{path} scrolls sideways at {width} px")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
