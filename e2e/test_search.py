"""Search across the course: the header box, the results page, and a result that opens the lesson
at its section. axe-clean at 1280 and 390 px, light and dark."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.browser import axe_violations, describe, log_in

COURSE = "/courses/kubernetes-fundamentals/"
LESSON = f"{COURSE}lessons/k8s-introduction/"


def test_header_box_finds_a_section_and_opens_the_lesson_there(page: Page, login):
    login("bob")
    page.goto(LESSON)
    box = page.get_by_role("search", name="Lessons").get_by_role("searchbox")
    box.fill("rolling update")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=rolling\+update&course=kubernetes-fundamentals$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the lessons")
    expect(page.get_by_role("status")).to_contain_text("match rolling update in Kubernetes")
    results = page.locator(".search-result")
    expect(page.locator(".search-snippet mark").first).to_be_visible()  # a highlighted snippet
    first = results.first.get_by_role("link")
    heading = first.inner_text()
    anchor = first.get_attribute("href").split("#", 1)[1]
    first.click()
    expect(page).to_have_url(re.compile(rf"/lessons/[\w-]+/#{anchor}$"))
    target = page.locator(f"[id='{anchor}']")
    expect(target).to_contain_text(heading)
    expect(target).to_be_in_viewport()


def test_no_results_and_hostile_queries_get_a_helpful_page(page: Page, login):
    login("bob")
    for query in ('NEAR("', "' OR 1=1 --", "%_%", "helicopterology"):
        response = page.goto(f"/search/?q={query.replace('%', '%25')}")
        assert response.status == 200, query
        expect(page.get_by_role("heading", level=1)).to_have_text("Search the lessons")
    expect(page.get_by_role("status")).to_contain_text("No section of the lessons matches helicopterology")
    page.goto("/search/?q=%25")
    expect(page.get_by_role("alert")).to_contain_text("letters or digits")


def test_search_is_for_signed_in_readers(page: Page, site):
    page.goto("/search/?q=pods")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.goto(COURSE)
    expect(page.get_by_role("search")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_search_pages_are_accessible(browser, site, people, width, scheme):
    context = browser.new_context(base_url=site.base_url, color_scheme=scheme,
                                  viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        log_in(page, people.email("bob"), people.password)
        problems = []
        for path in ("/search/", "/search/?q=readiness+probe&course=kubernetes-fundamentals",
                     "/search/?q=helicopterology", "/search/?q=%25", LESSON):
            page.goto(path)
            if violations := axe_violations(page):
                problems.append(f"{path}:\n{describe(violations)}")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
                f"{path} scrolls sideways at {width} px")
        assert not problems, "\n".join(problems)
        # The header box is usable at this width: visible, and as wide as a few words.
        box = page.get_by_role("search", name="Lessons").get_by_role("searchbox")
        expect(box).to_be_visible()
        assert box.bounding_box()["width"] >= 120
    finally:
        context.close()
