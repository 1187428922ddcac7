"""Browser tests: a live gunicorn server and a real Celery worker (see harness.py), driven by
Debian's headless Chromium through Playwright. Run with `make e2e`.

On a failure, a screenshot and the page's HTML are saved under var/e2e-failures/ (git-ignored).
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from e2e import browser as b
from e2e import world
from e2e.harness import Site


@dataclass(frozen=True)
class World:
    site: Site
    password: str
    bob_submission: int
    cohorts: dict[str, int]

    def email(self, name: str) -> str:
        return world.email(name)

    def wait_for_grading(self, submission_id: int, *, graded_count: int = 1) -> str:
        return self.site.run_python(
            "from e2e.world import wait_for_grading; "
            f"wait_for_grading({submission_id}, graded_count={graded_count})")


def pytest_sessionstart(session) -> None:
    shutil.rmtree(b.ARTIFACTS, ignore_errors=True)  # only this run's failures are kept


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    site = Site(tmp_path_factory.mktemp("e2e-site"))
    try:
        site.start()
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="session")
def people(site: Site) -> World:
    password = secrets.token_urlsafe(12)
    out = site.run_python(f"from e2e.world import create; create({password!r})")
    found = re.search(r"bob-submission=(\d+) alpha=(\d+) beta=(\d+)", out)
    return World(site=site, password=password, bob_submission=int(found.group(1)),
                 cohorts={"Alpha": int(found.group(2)), "Beta": int(found.group(3))})


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = b.launch(playwright)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    expect.set_options(timeout=b.TIMEOUT_MS)
    context = browser.new_context(base_url=site.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(b.TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request) -> Iterator[Page]:
    page = context.new_page()
    csp_violations = b.watch_csp(page)
    yield page
    if getattr(request.node, "e2e_failed", False):
        for number, open_page in enumerate(context.pages):
            b.save_failure(open_page, f"{request.node.name}-{number}")
    # Every journey runs under the real policy: anything it refused is a broken page.
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def login(page: Page, people: World) -> Callable[[str], Page]:
    def log_in_as(name: str) -> Page:
        b.log_in(page, people.email(name), people.password)
        return page
    return log_in_as
