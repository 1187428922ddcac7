"""Playwright with Debian's Chromium (Playwright's own browser download is never used), and
the helpers the journeys share: log in, keyboard moves, axe-core, failure artefacts."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

from e2e.harness import ROOT

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-dev-shm-usage"]
AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "var" / "e2e-failures"
# Generous: gunicorn and the worker share a CI machine with other jobs.
TIMEOUT_MS = 15_000
GRADING_TIMEOUT_MS = 90_000


def launch(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make e2e-deps` (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def save_failure(page: Page, name: str) -> Path:
    """Screenshot and HTML of the page as it was when a test failed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
    try:
        page.screenshot(path=f"{stem}.png", full_page=True)
        Path(f"{stem}.html").write_text(page.content())
    except Exception as exc:  # noqa: BLE001 - a closed page must not hide the real failure
        Path(f"{stem}.txt").write_text(f"could not capture the page: {exc}")
    return stem


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


# The admin's login page redirects to ?next=/admin/ on failure: a failed login must not pass for
# the admin index.
ADMIN_INDEX = re.compile(r"^[^?]*/admin/$")


def admin_log_in(page: Page, email: str, password: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(ADMIN_INDEX)


def press_tab_until(page: Page, locator, *, limit: int = 200, backwards: bool = False) -> None:
    """Move the keyboard focus with Tab until `locator` has it (the way a keyboard user would)."""
    handle = locator.element_handle()
    for presses in range(limit + 1):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        if presses < limit:
            page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{locator} never received focus after {limit} presses of Tab")


def assert_focus_visible(page: Page) -> None:
    """The focused element shows a focus indicator (an outline or a ring)."""
    style = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow};
    }""")
    visible = (style["outline"] != "none" and style["width"] >= 2) or style["shadow"] != "none"
    assert visible, f"the focused element has no visible focus indicator: {style}"


def axe_violations(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page; the violations of `impacts`."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `make e2e-deps` (npm install axe-core)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Not add_script_tag: Podium's Content-Security-Policy (script-src 'self') refuses an
        # injected inline script, and bypass_csp would switch the policy off for the whole
        # journey. Playwright's evaluate runs through the DevTools protocol, which the page's CSP
        # does not govern, so every journey runs under the real policy; axe sets window.axe.
        page.evaluate("() => {\n" + AXE.read_text() + "\n}")
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        resultTypes: ['violations'],
    })""")
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} — {v['help']}")
        lines += [f"    {' '.join(n['target'])}: {n['failureSummary'].splitlines()[-1].strip()}"
                  for n in v["nodes"][:5]]
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"


def watch_csp(page: Page) -> list[str]:
    """Collect the page's Content-Security-Policy violations (Chromium reports each one as a
    console error), so a test can assert that Podium's own scripts and styles were allowed."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return violations
