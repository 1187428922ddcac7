"""Issue 14, errors and edges: the styled 404, the page a form from before logging in again
gets (it offers to reload, and the reloaded form works), and the lab form's error summary
(focused, each error a link that moves to its field). axe-core at 1280 and 390 px, light and
dark."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.browser import assert_accessible, log_in

LABS = "/courses/kubernetes-fundamentals/labs/"
LOOKS = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]


@pytest.fixture(scope="module")
def olga(site, people) -> str:
    site.run_python(f"from e2e.world import _user; _user('olga', {people.password!r})")
    return people.email("olga")


def _accessible_in_every_look(page: Page) -> None:
    for width, scheme in LOOKS:
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{page.url} scrolls sideways at {width} px")


def test_404_is_styled_with_a_way_back(page: Page, people, olga):
    log_in(page, olga, people.password)
    response = page.goto("/courses/kubernetes-fundamentals/no-such-lesson/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can't find that page")
    expect(page.get_by_role("link", name="Podium")).to_be_visible()
    _accessible_in_every_look(page)
    page.get_by_role("link", name="Go to your dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_a_form_from_before_logging_in_again_offers_to_reload(page: Page, people, olga):
    log_in(page, olga, people.password)
    lab = f"{LABS}practical/"
    page.goto(lab)
    # Another tab: log out and in again, which gives the session a new security token.
    other = page.context.new_page()
    other.goto("/dashboard/")
    other.locator("details.menu summary").click()
    other.get_by_role("button", name="Log out").click()
    log_in(other, olga, people.password)
    other.close()

    page.get_by_label("…or paste YAML").fill("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form wasn't sent: please reload the page")
    expect(page.get_by_text("(perhaps in another tab)")).to_be_visible()
    _accessible_in_every_look(page)
    page.get_by_role("link", name="Reload the page").click()
    expect(page).to_have_url(re.compile(re.escape(lab) + "$"))
    # The reloaded form carries the new token: it reaches the form's own checks.
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#error-summary")).to_be_visible()


def test_lab_form_errors_are_summarised_focused_and_linked(page: Page, people, olga):
    log_in(page, olga, people.password)
    page.goto(f"{LABS}practical/")
    page.get_by_label("…or paste YAML").fill("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    page.get_by_role("button", name="Submit for grading").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Your submission was not sent for grading")
    link = summary.get_by_role("link", name=re.compile("^This lab needs a README.md"))
    expect(link).to_be_visible()
    _accessible_in_every_look(page)
    link.click()
    expect(page.locator("#id_files")).to_be_focused()
    expect(page.get_by_text("No attempts yet.")).to_be_visible()  # nothing was queued


def test_an_autosave_after_logging_in_again_elsewhere_says_it_was_not_saved(page: Page, people, olga):
    log_in(page, olga, people.password)
    page.goto("/courses/kubernetes-fundamentals/quiz/")
    page.get_by_role("button", name=re.compile("Start|Continue")).click()
    expect(page).to_have_url(re.compile(r"/quiz/attempts/\d+/$"))
    other = page.context.new_page()
    other.goto("/dashboard/")
    other.locator("details.menu summary").click()
    other.get_by_role("button", name="Log out").click()
    log_in(other, olga, people.password)
    other.close()

    question = page.locator("fieldset.question").first
    text = question.locator("input[type=text]")
    if text.count():
        text.press_sequentially("kubectl get pods")
    else:
        question.locator("input").first.check()
    status = question.locator(".save-status")
    expect(status).to_contain_text("Not saved: this page is out of date because you logged in again")
    assert_accessible(page)
    status.get_by_role("link", name="Reload the page").click()
    expect(page.locator("fieldset.question")).to_have_count(25)
    expect(page.locator("fieldset.question").first.locator(".save-status")).not_to_contain_text("Saved")
