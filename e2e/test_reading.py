"""Reading a 7,000-word lesson (issue 14), in Chromium: the copy button copies a block exactly and
says so, code scrolls sideways at 390 px (never wraps), the table of contents follows the reader
and marks the section being read, back to top and reading progress, and the theme the student
picks survives a reload. Each page is checked with axe-core in both themes at both widths."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e import browser as b
from e2e.harness import ROOT

COURSE = "/courses/kubernetes-fundamentals/"
LESSON = f"{COURSE}lessons/core-resources/"
SOURCE = ROOT / "courses" / "content" / "kubernetes-fundamentals" / "03-core-resources.md"


@pytest.fixture
def reader(browser: Browser, site, people) -> Iterator:
    """A signed-in student's page at a given width and system colour scheme."""
    contexts: list[BrowserContext] = []
    csp: list[list[str]] = []

    def open_page(width: int = 1280, scheme: str = "light") -> Page:
        context = browser.new_context(base_url=site.base_url, viewport={"width": width, "height": 800},
                                      color_scheme=scheme,
                                      permissions=["clipboard-read", "clipboard-write"])
        context.set_default_timeout(b.TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        csp.append(b.watch_csp(page))
        b.log_in(page, people.email("bob"), people.password)
        return page

    yield open_page
    for context in contexts:
        context.close()
    refused = [line for lines in csp for line in lines]
    assert not refused, "Content-Security-Policy violations:\n" + "\n".join(refused)


def first_yaml_block_in_source() -> str:
    match = re.search(r"^```yaml[^\n]*\n(.*?)^```", SOURCE.read_text(), re.S | re.M)
    assert match, "lesson 03 has a YAML example"
    return match.group(1)


def test_copy_button_copies_the_block_exactly_and_says_so(reader):
    page = reader()
    page.goto(LESSON)
    block = page.locator(".code-block").filter(has=page.locator('pre[data-lang="yaml"]')).first
    name = block.locator("pre").get_attribute("aria-label")
    assert re.fullmatch(r"YAML example \d+", name)
    button = block.locator(".copy-button")
    expect(button).to_have_accessible_name(f"Copy {name}")
    button.click()
    expect(button).to_have_attribute("data-copied", "")
    expect(button).to_have_accessible_name(f"Copied {name}")
    expect(page.locator("#copy-status")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    # What the lesson file says, to the byte, without the newline the closing fence adds.
    assert copied == first_yaml_block_in_source().removesuffix("\n")
    assert "\n  " in copied, "indentation kept"
    # Every block has its button, named after the block it copies.
    assert page.locator(".copy-button").count() == page.locator(".code-block").count() > 5


def test_copy_button_works_from_the_keyboard(reader):
    page = reader()
    page.goto(LESSON)
    button = page.locator(".copy-button").first
    b.press_tab_until(page, button, limit=400)
    b.assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#copy-status")).to_have_text("Copied")


def test_code_scrolls_sideways_at_390_px_and_never_wraps(reader):
    page = reader(width=390)
    page.goto(LESSON)
    sizes = page.eval_on_selector_all(".prose pre", """blocks => blocks.map(pre => {
        const style = getComputedStyle(pre);
        return {wide: pre.scrollWidth > pre.clientWidth, space: style.whiteSpace,
                lineHeight: parseFloat(style.lineHeight),
                height: pre.querySelector('code').getBoundingClientRect().height,
                lines: pre.querySelector('code').textContent.replace(/\\n$/, '').split('\\n').length};
    })""")
    assert sizes
    assert all(size["space"] == "pre" for size in sizes)
    assert any(size["wide"] for size in sizes), "no block is wider than a phone: nothing was tested"
    for size in sizes:  # one source line, one screen line: nothing wrapped
        assert size["height"] <= size["lines"] * size["lineHeight"] + 2, size
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page itself scrolls sideways")
    # A keyboard user scrolls a wide block: it takes focus (a named region) and the arrow keys.
    wide = page.locator(".prose pre").nth(next(i for i, size in enumerate(sizes) if size["wide"]))
    expect(wide).to_have_attribute("role", "region")
    wide.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("pre => pre.scrollLeft > 0", arg=wide.element_handle())


@pytest.mark.parametrize("width", [1100, 1280])
def test_table_of_contents_follows_the_reader_and_marks_the_section(reader, width):
    page = reader(width=width)
    page.goto(LESSON)
    toc = page.locator("#lesson-toc")
    expect(toc).to_have_attribute("open", "")
    links = toc.locator("nav a")
    count = links.count()
    assert count >= 5
    target = links.nth(4)
    anchor = target.get_attribute("href")
    target.click()
    expect(target).to_have_attribute("aria-current", "location")
    expect(toc.locator("a[aria-current]")).to_have_count(1)
    # Sticky: after jumping a long way down, the table of contents is still in view, beside the text.
    box, body = toc.bounding_box(), page.locator("#lesson-body").bounding_box()
    assert box is not None
    assert 0 <= box["y"] < 200, box
    assert box["x"] > body["x"] + body["width"], "the table of contents sits beside the text"
    # Scrolling on to the next section moves the mark.
    later = links.nth(6).get_attribute("href")[1:]
    page.evaluate("(id) => document.getElementById(id).scrollIntoView()", later)
    expect(links.nth(6)).to_have_attribute("aria-current", "location")
    expect(page.locator(f'nav a[href="{anchor}"]')).not_to_have_attribute("aria-current", "location")
    # Reading progress grew, and back to top is there.
    assert int(page.locator("#reading-progress").get_attribute("data-read")) > 20
    back = page.get_by_role("link", name="Back to top")
    expect(back).to_be_visible()
    back.click()
    page.wait_for_function("() => window.scrollY < 50")
    assert page.evaluate("() => document.activeElement.id") == "main"
    expect(back).to_be_hidden()


def test_table_of_contents_is_a_box_to_open_on_a_phone(reader):
    page = reader(width=390)
    page.goto(LESSON)
    toc = page.locator("#lesson-toc")
    expect(toc).not_to_have_attribute("open", "")
    first = toc.locator("nav a").first
    expect(first).to_be_hidden()
    toc.locator("summary").click()
    expect(first).to_be_visible()
    first.click()
    expect(page).to_have_url(re.compile(re.escape(first.get_attribute("href")) + "$"))


def test_theme_choice_persists_across_reloads_and_pages(reader):
    page = reader(width=1280, scheme="light")
    page.goto(LESSON)
    html = page.locator("html")
    expect(html).not_to_have_attribute("data-theme", re.compile(".*"))
    page.get_by_role("radio", name="Dark").check()
    expect(html).to_have_attribute("data-theme", "dark")
    dark_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert dark_bg == "rgb(15, 19, 32)", dark_bg
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("radio", name="Dark")).to_be_checked()
    page.goto(COURSE)
    expect(html).to_have_attribute("data-theme", "dark")
    # Code colours follow the choice, not the system (light here).
    page.goto(LESSON)
    code_bg = page.evaluate("() => getComputedStyle(document.querySelector('.prose pre')).backgroundColor")
    assert code_bg == "rgb(13, 17, 23)", code_bg
    page.get_by_role("radio", name="Same as my device").check()
    expect(html).not_to_have_attribute("data-theme", re.compile(".*"))
    page.reload()
    expect(html).not_to_have_attribute("data-theme", re.compile(".*"))
    assert page.evaluate("() => localStorage.getItem('podium-theme')") is None


def test_chosen_theme_is_applied_before_the_first_paint(reader):
    page = reader(width=1280, scheme="dark")
    page.goto(COURSE)
    page.get_by_role("radio", name="Light").check()
    # The attribute is set by the blocking head script: it is already there when the body's
    # first element is parsed, before any deferred script or DOMContentLoaded.
    page.add_init_script("""document.addEventListener('readystatechange', () => {
        if (document.readyState === 'interactive' && !window.__firstTheme)
            window.__firstTheme = document.documentElement.getAttribute('data-theme') || 'none'; });""")
    page.goto(LESSON)
    assert page.evaluate("() => window.__firstTheme") == "light"
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(247, 248, 251)"


def test_a_tampered_theme_value_is_ignored(reader):
    # Whatever sits in localStorage, only "light" and "dark" ever reach the page.
    page = reader(width=1280, scheme="light")
    page.goto(COURSE)
    page.evaluate("""() => localStorage.setItem('podium-theme', 'dark" onload="alert(1)')""")
    page.reload()
    expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile(".*"))
    expect(page.get_by_role("radio", name="Same as my device")).to_be_checked()


def test_diagrams_are_not_white_panels_in_the_dark(reader):
    page = reader(width=1280, scheme="dark")
    page.goto(f"{COURSE}lessons/k8s-architecture/")
    diagram = page.locator(".prose img[src*='/diagrams/']").first
    diagram.scroll_into_view_if_needed()
    expect(diagram).to_be_visible()
    assert "invert" in diagram.evaluate("img => getComputedStyle(img).filter")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(("scheme", "chosen"), [("light", None), ("dark", None), ("light", "dark"),
                                                ("dark", "light")])
def test_reading_aids_are_axe_clean(reader, width, scheme, chosen):
    page = reader(width=width, scheme=scheme)
    page.goto(LESSON)
    if chosen:
        page.get_by_role("radio", name=chosen.title()).check()
        page.reload()
    page.locator(".copy-button").first.click()
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight / 2)")
    expect(page.get_by_role("link", name="Back to top")).to_be_visible()
    if width == 390:
        page.locator("#lesson-toc summary").click()
    b.assert_accessible(page)
