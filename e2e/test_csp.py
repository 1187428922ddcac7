"""The Content-Security-Policy in a real browser: Podium's own scripts (htmx, the time zone
cookie) run under it, and injected inline code does not. Every other journey also fails on
any CSP violation (conftest.page)."""


from playwright.sync_api import Page, expect

from e2e.browser import watch_csp

COURSE = "/courses/kubernetes-fundamentals/"


def test_pages_carry_the_policy_and_podiums_own_scripts_run_under_it(page: Page, login):
    response = page.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe" not in policy
    login("alice")
    page.goto(f"{COURSE}lessons/k8s-introduction/")
    # htmx loaded from Podium's static files, configured by the htmx-config meta tag.
    assert page.evaluate("() => [typeof htmx, htmx.config.includeIndicatorStyles, htmx.config.allowEval]") \
        == ["object", False, False]
    # static/js/timezone.js ran: the browser's zone is in the tz cookie.
    assert any(c["name"] == "tz" for c in page.context.cookies())


def test_injected_inline_code_is_refused_by_the_browser(browser, site):
    context = browser.new_context(base_url=site.base_url)
    try:
        page = context.new_page()
        violations = watch_csp(page)
        page.goto(COURSE)
        page.evaluate("""() => {
            document.body.insertAdjacentHTML('beforeend',
                '<img src="/favicon.svg" onload="window.__ran = 1"><div id="x" style="color: red">x</div>');
            const s = document.createElement('script');
            s.textContent = 'window.__ran = 2';
            document.body.append(s);
        }""")
        expect(page.locator("#x")).to_be_attached()
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__ran") is None
        assert page.evaluate("() => getComputedStyle(document.getElementById('x')).color") != "rgb(255, 0, 0)"
        assert len(violations) >= 2
        assert all("Content Security Policy" in v for v in violations)
    finally:
        context.close()
