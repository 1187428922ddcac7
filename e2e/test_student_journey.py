"""Journey 1: a new student signs up (following the emailed link to choose a password), opens
the course, ticks prerequisites, reads lesson 01, marks it complete (the progress bar changes
in place, without a reload), and the dashboard shows it. Once with the mouse, once with the
keyboard alone."""

import re
import secrets

from playwright.sync_api import Page, expect

from e2e.browser import assert_focus_visible, press_tab_until

COURSE = "/courses/kubernetes-fundamentals/"


def _new_email() -> str:
    return f"new-{secrets.token_hex(4)}@e2e.podium.test"


def _progress(page: Page):
    return page.locator(".lesson-sidebar [role=progressbar]")


def test_new_student_signs_up_completes_lesson_one_and_sees_it_on_the_dashboard(page: Page, site):
    password = secrets.token_urlsafe(12)
    address = _new_email()
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Email").fill(address)
    page.get_by_label("Name").fill("Nora")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    # The account exists only once the link in the email is followed and a password chosen.
    page.goto(site.emailed_link(address, "/accounts/signup/confirm/"))
    expect(page.get_by_text(address)).to_be_visible()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto(COURSE)
    prerequisites = page.locator("#prerequisites [role=checkbox]")
    expect(prerequisites.first).to_be_visible()
    for index in range(min(prerequisites.count(), 2)):
        box = prerequisites.nth(index)
        expect(box).to_have_attribute("aria-checked", "false")
        box.click()
        expect(page.locator("#prerequisites [role=checkbox]").nth(index)).to_have_attribute(
            "aria-checked", "true")
    page.reload()
    expect(prerequisites.first).to_have_attribute("aria-checked", "true")

    page.locator("#structure").get_by_role("link").first.click()
    expect(page.locator("h1")).to_be_visible()
    expect(_progress(page)).to_have_attribute("aria-valuenow", "0")
    # Markers on the window and on the live region survive only if neither is replaced.
    page.evaluate("() => { window.__noReload = true; "
                  "document.getElementById('lesson-complete-status').__kept = 1; }")
    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.get_by_text("You completed this lesson.")).to_be_visible()
    expect(_progress(page)).to_have_attribute("aria-valuenow", "10")
    expect(page.locator(".lesson-sidebar .progress-label")).to_contain_text("1 of 10 lessons")
    assert page.evaluate("() => window.__noReload === true"), "marking complete reloaded the page"
    # Announced by a live region that was on the page before the update (so it is read out).
    status = page.locator("#lesson-complete-status")
    expect(status).to_have_text("Lesson marked complete. 1 of 10 lessons done.")
    expect(status).to_have_attribute("aria-live", "polite")
    assert page.evaluate("() => document.getElementById('lesson-complete-status').__kept === 1")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator(".dashboard-course")).to_contain_text("1 of 10 done")
    # The dashboard's bar is the whole course: 1 of 10 lessons, 5 activities, the quiz and the
    # practical (17 parts) is 6%; the lesson page's bar counts lessons (10%).
    expect(page.locator(".dashboard-course [role=progressbar]")).to_have_attribute("aria-valuenow", "6")


def test_keyboard_alone_signs_up_ticks_a_prerequisite_and_completes_lesson_one(page: Page, site):
    password = secrets.token_urlsafe(12)
    address = _new_email()
    page.goto("/")
    press_tab_until(page, page.get_by_role("link", name="Sign up").first)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    for label, value in (("Email", address), ("Name", "Kit")):
        press_tab_until(page, page.get_by_label(label, exact=True))
        assert_focus_visible(page)
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(site.emailed_link(address, "/accounts/signup/confirm/"))
    for label, value in (("Password", password), ("Password confirmation", password)):
        press_tab_until(page, page.get_by_label(label, exact=True))
        assert_focus_visible(page)
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    press_tab_until(page, page.get_by_role("link", name=re.compile("^Start the course")))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lessons/"))
    button = page.get_by_role("button", name="Mark lesson complete")
    press_tab_until(page, button, limit=400)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("You completed this lesson.")).to_be_visible()
    expect(_progress(page)).to_have_attribute("aria-valuenow", "10")
    # The swapped-in button keeps the keyboard focus, so the user can undo with Enter.
    expect(page.get_by_role("button", name="Mark as not complete")).to_be_focused()

    page.goto(COURSE)
    box = page.locator("#prerequisites [role=checkbox]").first
    press_tab_until(page, box, limit=400)
    assert_focus_visible(page)
    page.keyboard.press("Space")
    ticked = page.locator("#prerequisites [role=checkbox]").first
    expect(ticked).to_have_attribute("aria-checked", "true")
    expect(ticked).to_be_focused()
    page.goto("/dashboard/")
    expect(page.locator(".dashboard-course")).to_contain_text("1 of 10 done")
