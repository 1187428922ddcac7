"""Journey 4: an instructor in admin creates a cohort, invites students from a CSV file (a
student appears in the cohort once they accept on their dashboard), views the cohort's progress
and quiz results, regrades a submission and exports CSV files."""

import csv
import io
import re

from playwright.sync_api import Browser, Page, expect

from e2e import browser as b
from e2e.browser import assert_focus_visible, press_tab_until

ADMIN_INDEX = b.ADMIN_INDEX
_admin_login = b.admin_log_in


def _choose(select, text: str) -> None:
    select.select_option(select.locator("option", has_text=text).first.get_attribute("value"))


def _download_csv(page: Page, link) -> list[list[str]]:
    with page.expect_download() as info:
        link.click()
    return list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))  # noqa: SIM115


def _accept_invitation(browser: Browser, people, student: str, cohort: str) -> None:
    """The student, in their own browser, accepts the invitation on their dashboard."""
    context = browser.new_context(base_url=people.site.base_url)
    try:
        page = context.new_page()
        b.log_in(page, people.email(student), people.password)  # login lands on the dashboard
        expect(page).to_have_url(re.compile(r"/dashboard/$"))
        page.get_by_role("button", name=f"Accept the invitation to {cohort}").click()
        expect(page.locator(".messages")).to_contain_text(f"You joined {cohort}")
    finally:
        context.close()


def test_instructor_creates_cohort_invites_from_csv_views_progress_and_results(page: Page, people, tmp_path,
                                                                               browser: Browser):
    _admin_login(page, people.email("ivy"), people.password)

    page.goto("/admin/courses/cohort/add/")
    page.get_by_label("Name").fill("Gamma")
    _choose(page.get_by_label("Course"), "Kubernetes")
    page.locator("#id_starts_on").fill("2026-01-05")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    roster = tmp_path / "roster.csv"
    roster.write_text(f"email\n{people.email('alice')}\nnew-dana@e2e.podium.test\nnot an email\n")
    page.get_by_role("link", name="Enrol students").click()
    page.get_by_label("…or a CSV file").set_input_files(roster)
    page.get_by_role("button", name="Enrol").click()
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("Invited 2 student(s)")
    expect(messages).to_contain_text("1 new account(s) created")
    expect(messages).to_contain_text("not an email")

    # Nobody is in the cohort until they accept: the progress page lists the invitations only.
    page.get_by_role("link", name="Progress").click()
    table = page.locator("#content table")
    expect(table).not_to_contain_text(people.email("alice"))
    pending = page.locator(".pending-invitations")
    expect(pending).to_contain_text(people.email("alice"))
    expect(pending).to_contain_text("new-dana@e2e.podium.test")

    _accept_invitation(browser, people, "alice", "Gamma")
    page.reload()
    expect(table).to_contain_text(people.email("alice"))
    expect(pending).not_to_contain_text(people.email("alice"))
    rows = _download_csv(page, page.get_by_role("link", name="Download CSV"))
    assert rows[0][:3] == ["email", "name", "status"]
    assert {r[0] for r in rows[1:]} == {people.email("alice")}

    page.goto("/admin/courses/quiz/")
    page.get_by_role("link", name="Results").first.click()
    _choose(page.get_by_label("Cohort"), "Alpha")
    results = page.locator("#content table")
    expect(results).to_contain_text(people.email("alice"))
    expect(results).to_contain_text(people.email("bob"))
    rows = _download_csv(page, page.get_by_role("link", name="Download CSV"))
    assert rows[0] == ["email", "name", "attempts", "best_score", "max_score", "passed"]
    assert {r[0] for r in rows[1:]} == {people.email("alice"), people.email("bob")}


def test_instructor_regrades_a_submission_from_admin(page: Page, people):
    people.wait_for_grading(people.bob_submission)
    _admin_login(page, people.email("ivy"), people.password)
    page.goto("/admin/grading/submission/")
    row = page.locator("#result_list tr").filter(
        has=page.get_by_role("link", name=str(people.bob_submission), exact=True))
    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(label="Grade the selected submissions again")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Queued 1 submission(s) for grading again.")

    out = people.wait_for_grading(people.bob_submission, graded_count=2)
    # The practical's checks pass; its demo waits for the instructor's grade (e2e/test_review.py).
    assert "status=awaiting" in out or "status=passed" in out
    page.goto(f"/admin/grading/submission/{people.bob_submission}/change/")
    expect(page.locator(".field-graded_count")).to_contain_text("2")
    expect(page.locator(".field-status")).to_contain_text(re.compile(r"Awaiting grading|Passed"))


def test_keyboard_alone_creates_a_cohort_and_enrols_a_student(page: Page, people):
    # Django admin, driven like a keyboard user: Tab to a control, type or press a key.
    page.goto("/admin/login/?next=/admin/")
    # The username field takes focus on load; a keyboard user starts typing once it has it.
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type(people.email("victor"))
    press_tab_until(page, page.locator("#id_password"))
    page.keyboard.type(people.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(ADMIN_INDEX)

    press_tab_until(page, page.locator("a[href='/admin/courses/cohort/add/']").first)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    press_tab_until(page, page.get_by_label("Name"))
    page.keyboard.type("Delta")
    press_tab_until(page, page.get_by_label("Course"))
    page.keyboard.press("ArrowDown")  # the first (only) course
    press_tab_until(page, page.locator("#id_starts_on"))
    page.keyboard.type("2026-02-02")
    press_tab_until(page, page.get_by_role("button", name="Save and continue editing"))
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    press_tab_until(page, page.get_by_role("link", name="Enrol students"))
    page.keyboard.press("Enter")
    press_tab_until(page, page.get_by_label("Emails"))
    page.keyboard.type(people.email("carol"))
    press_tab_until(page, page.get_by_role("button", name="Enrol"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("Invited 1 student(s)")

    press_tab_until(page, page.get_by_role("link", name="Progress"))
    page.keyboard.press("Enter")
    expect(page.locator(".pending-invitations")).to_contain_text(people.email("carol"))
