"""`make screenshots`: PNGs of Podium's main pages at 1280 px and 390 px wide, written to
var/screenshots/ (git-ignored), from a throwaway site like the browser tests' own. Lets anyone
look at the product without running a cluster or clicking through it.

    python -m e2e.screenshots [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import secrets
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from e2e import browser as b
from e2e.harness import ROOT, Site

COURSE = "/courses/kubernetes-fundamentals/"
WIDTHS = {"desktop": 1280, "mobile": 390}
SIGNED_OUT = {"home": "/", "course": COURSE, "login": "/accounts/login/", "signup": "/accounts/signup/",
              "lesson-preview": f"{COURSE}lessons/k8s-introduction/"}
SIGNED_IN = {"dashboard": "/dashboard/", "course-signed-in": COURSE,
             "lesson": f"{COURSE}lessons/k8s-introduction/", "quiz": f"{COURSE}quiz/",
             "labs": f"{COURSE}labs/", "lab": f"{COURSE}labs/practical/",
             "search": "/search/?q=rolling+update&course=kubernetes-fundamentals",
             "not-found": f"{COURSE}no-such-page/"}


def _shoot(page: Page, out: Path, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=out / f"{name}-{label}-{width}.png", full_page=True)


def _prepare(page: Page, password: str, out: Path) -> dict[str, str]:
    """Walk alice through enough of the course that the pages have something to show."""
    b.log_in(page, "alice@e2e.podium.test", password)
    page.goto(f"{COURSE}lessons/k8s-introduction/")
    page.get_by_role("button", name="Mark lesson complete").click()
    page.get_by_text("You completed this lesson.").wait_for()
    page.goto(f"{COURSE}quiz/")
    page.get_by_role("button", name=re.compile("Start")).click()
    page.wait_for_url(re.compile(r"/attempts/\d+/$"))
    urls = {"quiz-attempt": page.url}
    page.locator("fieldset.question").first.locator("input").first.check()
    page.locator("input.flag-input").nth(2).check()
    _shoot(page, out, "quiz-navigator")
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_role("dialog").wait_for()
    _shoot(page, out, "quiz-confirm")
    page.get_by_role("button", name="Submit anyway").click()
    page.get_by_role("heading", name="Review").wait_for()
    urls["quiz-result"] = page.url
    urls["quiz-result-wrong-only"] = page.url + "?show=wrong"
    practical = ROOT / "courses/content/kubernetes-fundamentals/labs/practical"
    broken = practical / "broken" / "first-draft"
    page.goto(f"{COURSE}labs/practical/")
    page.get_by_label("Upload files").set_input_files(
        [p for p in broken.iterdir() if p.name != "expect.yaml"] + [practical / "solution" / "README.md"])
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submissions/\d+/$"))
    page.locator("#submission-status .grading-score").wait_for(timeout=b.GRADING_TIMEOUT_MS)
    urls["submission-result"] = page.url
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="podium-shots-") as tmp:
        site = Site(Path(tmp))
        try:
            site.start()
            password = secrets.token_urlsafe(12)
            site.run_python(f"from e2e.world import create; create({password!r})")
            with sync_playwright() as playwright:
                browser = b.launch(playwright)
                context = browser.new_context(base_url=site.base_url)
                context.set_default_timeout(b.TIMEOUT_MS)
                page = context.new_page()
                for name, path in SIGNED_OUT.items():
                    page.goto(path)
                    _shoot(page, out, name)
                urls = _prepare(page, password, out)
                for name, path in {**SIGNED_IN, **urls}.items():
                    page.goto(path)
                    _shoot(page, out, name)
                # A lesson with diagrams in the dark theme the student picked in the footer.
                page.goto(f"{COURSE}lessons/k8s-architecture/")
                page.get_by_role("radio", name="Dark").check()
                _shoot(page, out, "lesson-dark")
                page.get_by_role("radio", name="Same as my device").check()
                page = browser.new_context(base_url=site.base_url).new_page()
                b.log_in(page, "ivy@e2e.podium.test", password)
                page.goto("/admin/courses/cohort/")
                page.get_by_role("link", name="View progress").first.click()
                _shoot(page, out, "admin-cohort-progress")
                browser.close()
        finally:
            site.stop()
    shots = sorted(out.glob("*.png"))
    print(f"{len(shots)} screenshots in {out} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
