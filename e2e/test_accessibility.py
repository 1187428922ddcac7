"""axe-core (from npm, injected into the page) finds no serious or critical WCAG 2.1 A/AA
violations on the main pages. The quiz (taking and review) and the submission result are
checked inside their journeys, where they have real content."""

import pytest
from playwright.sync_api import Page

from e2e.browser import (
    assert_accessible,
    assert_focus_visible,
    axe_violations,
    describe,
    log_in,
    press_tab_until,
)

COURSE = "/courses/kubernetes-fundamentals/"
SIGNED_OUT = ["/", COURSE, "/accounts/login/", "/accounts/signup/"]
LESSONS = ["k8s-introduction", "k8s-architecture", "core-resources", "deployments-services",
           "networking-ingress", "storage-persistence", "configuration-secrets", "helm-package-manager",
           "gpu-scheduling", "monitoring-observability"]
# Every lesson is checked at phone width (below); one here, at desktop width.
SIGNED_IN = ["/", COURSE, f"{COURSE}lessons/{LESSONS[0]}/", "/dashboard/", f"{COURSE}quiz/",
             f"{COURSE}labs/", f"{COURSE}labs/practical/", f"{COURSE}labs/activity-2-ml-stack/",
             "/accounts/password_change/"]


@pytest.mark.parametrize("path", SIGNED_OUT)
def test_signed_out_page_has_no_serious_accessibility_violations(page: Page, site, path):
    page.goto(path)
    assert_accessible(page)


def test_signed_in_pages_have_no_serious_accessibility_violations(page: Page, login):
    login("bob")
    problems = []
    for path in SIGNED_IN:
        response = page.goto(path)
        assert response.status == 200, path
        if violations := axe_violations(page):
            problems.append(f"{path}:\n{describe(violations)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [1280, 390])
def test_skip_link_is_the_first_stop_and_visibly_focused(page: Page, site, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(COURSE)
    press_tab_until(page, page.get_by_role("link", name="Skip to content"), limit=1)
    assert_focus_visible(page)
    box = page.get_by_role("link", name="Skip to content").bounding_box()
    assert box is not None
    assert box["x"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_lessons_on_a_phone_have_no_serious_accessibility_violations(page: Page, login):
    login("bob")
    page.set_viewport_size({"width": 390, "height": 800})
    problems = []
    for slug in LESSONS:
        page.goto(f"{COURSE}lessons/{slug}/")
        if violations := axe_violations(page):
            problems.append(f"{slug}:\n{describe(violations)}")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{slug} scrolls sideways at 390 px")
    assert not problems, "\n".join(problems)


def test_dark_colour_scheme_has_no_serious_accessibility_violations(browser, site, people):
    context = browser.new_context(base_url=site.base_url, color_scheme="dark")
    try:
        page = context.new_page()
        log_in(page, people.email("bob"), people.password)
        problems = []
        for path in ["/", COURSE, f"{COURSE}lessons/k8s-introduction/", "/dashboard/",
                     f"{COURSE}lessons/helm-package-manager/", f"{COURSE}quiz/", f"{COURSE}labs/practical/"]:
            page.goto(path)
            if violations := axe_violations(page):
                problems.append(f"{path}:\n{describe(violations)}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
