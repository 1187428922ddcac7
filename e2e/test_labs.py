"""Journey 3: the practical. The reference solution passes; a broken variant fails with the
failing checks, their hints and links to the lessons. The submission page updates in place
(htmx polling, announced through aria-live) from the queue to the verdict, graded by the real
Celery worker."""

import re
from pathlib import Path

import yaml
from playwright.sync_api import Page, expect

from e2e.browser import GRADING_TIMEOUT_MS, assert_accessible, assert_focus_visible, log_in, press_tab_until
from e2e.harness import COURSE_DIR

LAB = "/courses/kubernetes-fundamentals/labs/practical/"
PRACTICAL = COURSE_DIR / "labs" / "practical"
BROKEN = PRACTICAL / "broken" / "first-draft"


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != "expect.yaml")


def _submit(page: Page, files: list[Path]) -> None:
    page.goto(LAB)
    page.get_by_label("Upload files").set_input_files(files)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page).to_have_url(re.compile(r"/submissions/\d+/$"))
    expect(page.locator("#grading-announcement")).to_have_attribute("aria-live", "polite")
    page.evaluate("() => { window.__noReload = true; }")
    # The page usually opens before the worker has finished: then it shows the waiting state and
    # polls. The report is no live region (nor inside one): screen readers hear the short
    # sentences swapped into #grading-announcement instead.
    state = page.evaluate("""() => {
        const section = document.querySelector('#submission-status');
        if (section.closest('[aria-live]') || section.querySelector('[aria-live], [role=status]')) {
            return 'live report';
        }
        return section.hasAttribute('hx-get') ? 'waiting' : 'final';
    }""")
    assert state in ("waiting", "final")


def _verdict(page: Page):
    badge = page.locator("#submission-status .grading-score .badge")
    expect(badge).to_be_visible(timeout=GRADING_TIMEOUT_MS)
    assert page.evaluate("() => window.__noReload === true"), "the page reloaded instead of updating"
    if page.locator("#grading-announcement").inner_text():  # empty when graded before the page opened
        expect(page.locator("#grading-announcement")).to_contain_text(
            re.compile(r"(Passed|Failed|Awaiting grading): "))
    return badge


def test_reference_solution_passes_and_broken_one_shows_failing_checks_with_hints(page: Page, login):
    login("alice")
    page.goto(LAB)
    assert_accessible(page)

    _submit(page, _files(PRACTICAL / "solution"))
    # Every automatic check passes; the demo (a manual rubric item) waits for the instructor.
    expect(_verdict(page)).to_have_text("Awaiting instructor grading")
    expect(page.locator(".check-failed")).to_have_count(0)
    assert_accessible(page)

    readme = PRACTICAL / "solution" / "README.md"
    _submit(page, [*_files(BROKEN), readme])
    expect(_verdict(page)).to_have_text("Failed")
    failing = yaml.safe_load((BROKEN / "expect.yaml").read_text())["fails"]
    expect(page.locator(".check-failed")).to_have_count(len(failing))
    for check in failing:
        item = page.locator(f"#check-{check}")
        expect(item).to_have_class(re.compile(r"\bcheck-failed\b"))
        expect(item.locator(".check-hint")).to_be_visible()
        expect(item.get_by_role("link", name="Read the lesson section")).to_have_attribute(
            "href", re.compile(r"/courses/kubernetes-fundamentals/lessons/"))
    assert_accessible(page)

    page.locator(f"#check-{failing[0]}").get_by_role("link", name="Read the lesson section").click()
    expect(page.locator("article.lesson h1")).to_be_visible()


def test_keyboard_alone_pastes_a_lab_submission_and_follows_the_result(page: Page, login):
    # Activity 1 from its reference solution, pasted (a keyboard user pastes; nobody types YAML
    # into a browser), submitted and read without a mouse.
    activity = COURSE_DIR / "labs" / "activity-1-first-deployment"
    yaml_text = "\n---\n".join(p.read_text() for p in _files(activity / "solution")
                                if p.suffix in (".yaml", ".yml"))
    login("carol")
    page.goto("/courses/kubernetes-fundamentals/labs/activity-1-first-deployment/")
    press_tab_until(page, page.get_by_label("…or paste YAML"), limit=400)
    assert_focus_visible(page)
    page.keyboard.insert_text(yaml_text)
    press_tab_until(page, page.get_by_role("button", name="Submit for grading"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/submissions/\d+/$"))
    page.evaluate("() => { window.__noReload = true; }")
    expect(_verdict(page)).to_have_text("Passed")

    back = page.get_by_role("link", name="Back to the lab")
    press_tab_until(page, back, limit=400)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Deploy your first ML model")


def test_times_are_shown_in_the_browsers_time_zone(browser, site, people):
    # The browser reports its zone on the first page; from then on times are local, and labelled.
    context = browser.new_context(base_url=site.base_url, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        log_in(page, people.email("bob"), people.password)
        assert [c["value"] for c in context.cookies() if c["name"] == "tz"] == ["Asia/Tokyo"]
        page.goto(f"/submissions/{people.bob_submission}/")
        expect(page.locator("p.meta time").first).to_have_text(re.compile(r", \d\d:\d\d JST$"))
    finally:
        context.close()
