"""Issue 14, the quiz: the question navigator (jump to a question, see which are answered, flag
for review; flags survive a reload), the confirmation that lists what is unanswered or flagged,
and the result's per-topic breakdown with its "only the ones I got wrong" filter. axe-core at
1280 and 390 px, light and dark. Nina is a student of her own, so no other journey's quiz
attempts (or cooldowns) get in the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.browser import assert_accessible, log_in

QUIZ = "/courses/kubernetes-fundamentals/quiz/"


@pytest.fixture(scope="module")
def nina(site, people) -> str:
    site.run_python(f"from e2e.world import _user; _user('nina', {people.password!r})")
    return people.email("nina")


def _look(page: Page, width: int, scheme: str) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways at {page.viewport_size['width']} px")


def test_navigator_jumps_flags_and_the_submit_lists_what_is_left(page: Page, people, nina):
    log_in(page, nina, people.password)
    page.goto(QUIZ)
    page.get_by_role("button", name=re.compile("Start")).click()
    expect(page).to_have_url(re.compile(r"/quiz/attempts/\d+/$"))
    items = page.get_by_role("navigation", name="Questions").locator(".quiz-nav-item")
    expect(items).to_have_count(25)
    questions = page.locator("fieldset.question")

    # Jump to question 10 and answer it: its box says so, to the eye and in words.
    items.nth(9).click()
    tenth = questions.nth(9)
    expect(page).to_have_url(re.compile(f"#question-{tenth.get_attribute('data-question')}$"))
    expect(tenth).to_be_in_viewport()
    text = tenth.locator("input[type=text]")
    if text.count():
        text.press_sequentially("kubectl get pods")
    else:
        tenth.locator("input").first.check()
    expect(tenth.locator(".save-status")).to_contain_text("Saved")
    expect(items.nth(9)).to_have_class(re.compile(r"\bis-answered\b"))
    expect(items.nth(9).locator(".nav-state")).to_have_text(", answered")

    # Flag question 12; the flag is still there after a reload (sessionStorage).
    page.get_by_label("Flag question 12 for review").check()
    expect(items.nth(11)).to_have_class(re.compile(r"\bis-flagged\b"))
    page.reload()
    expect(page.get_by_label("Flag question 12 for review")).to_be_checked()
    expect(items.nth(11)).to_have_class(re.compile(r"\bis-flagged\b"))
    expect(items.nth(11).locator(".nav-state")).to_have_text(", not answered, flagged for review")
    expect(items.nth(9)).to_have_class(re.compile(r"\bis-answered\b"))
    for width, scheme in [(1280, "light"), (390, "dark")]:
        _look(page, width, scheme)
        assert_accessible(page)
        _no_sideways_scroll(page)

    # Submitting asks first, listing both kinds; a link in the list goes to the question.
    page.get_by_role("button", name="Submit answers").click()
    dialog = page.get_by_role("dialog", name="Submit with questions left?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep answering")).to_be_focused()
    expect(dialog.get_by_role("heading", name="Not answered (24)")).to_be_visible()
    expect(dialog.get_by_role("heading", name="Flagged for review (1)")).to_be_visible()
    expect(dialog.get_by_role("link", name="Question 12", exact=True)).to_have_count(2)
    expect(dialog.get_by_role("link", name="Question 10", exact=True)).to_have_count(0)
    assert_accessible(page)
    twelfth = questions.nth(11).get_attribute("data-question")
    dialog.get_by_role("link", name="Question 12", exact=True).last.click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(f"#question-{twelfth}$"))

    page.get_by_role("button", name="Submit answers").click()
    dialog.get_by_role("button", name="Submit anyway").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Attempt 1: \d+ / 25$"))

    # The result: every topic drawn (11), weakest first, each missed one linking its lessons.
    rows = page.locator(".topic-breakdown tbody tr")
    expect(rows).to_have_count(11)
    expect(rows.first.locator("td").first).to_have_text(re.compile(r"^0 of \d+$"))
    first_lesson = rows.first.locator(".revise-list a").first
    expect(first_lesson).to_have_attribute("href", re.compile(r"/lessons/[\w-]+/#[\w-]+$"))
    assert_accessible(page)
    _no_sideways_scroll(page)
    assert page.evaluate("""() => { const card = document.querySelector('.topic-breakdown');
        return card.scrollWidth <= card.clientWidth; }"""), "the topic table overflows its card at 390 px"

    wrong_filter = page.get_by_role("link", name=re.compile(r"^Only the ones I got wrong \(\d+\)$"))
    wrong = int(re.search(r"\((\d+)\)", wrong_filter.inner_text()).group(1))
    assert wrong >= 24
    wrong_filter.click()
    expect(page).to_have_url(re.compile(r"\?show=wrong#review$"))
    expect(page.locator("section.question")).to_have_count(wrong)
    expect(page.locator("section.question.is-right")).to_have_count(0)
    expect(wrong_filter).to_have_attribute("aria-current", "page")
    for width, scheme in [(1280, "light"), (390, "dark")]:
        _look(page, width, scheme)
        assert_accessible(page)
    page.get_by_role("link", name="All 25 questions").click()
    expect(page.locator("section.question")).to_have_count(25)


def test_every_question_in_the_bank_fits_a_phone(page: Page, people, site):
    """The draw is random, so the journey above sees 25 of the bank's questions; this attempt holds
    all of them (long PromQL and kubectl options included), on the attempt page and the result."""
    site.run_python(
        "from django.utils import timezone\nfrom e2e.world import _user\n"
        "from courses.models import Attempt, Quiz\n"
        f"user = _user('olga', {people.password!r})\n"
        "quiz = Quiz.objects.get(course__slug='kubernetes-fundamentals')\n"
        "qs = list(quiz.questions.filter(active=True).order_by('position'))\n"
        "Attempt.objects.filter(user=user).delete()\n"
        "Attempt.objects.create(quiz=quiz, user=user, number=1, seed=1, question_keys=[q.key for q in qs],\n"
        "    option_orders={q.key: [o['id'] for o in q.options] for q in qs}, max_score=len(qs),\n"
        "    pass_score=len(qs), started_at=timezone.now())\n")
    log_in(page, people.email("olga"), people.password)
    _look(page, 390, "light")
    page.goto(QUIZ)
    page.get_by_role("link", name=re.compile("^Continue attempt")).first.click()
    questions = page.locator("fieldset.question")
    expect(questions.first).to_be_visible()
    assert questions.count() > 25
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_role("dialog").get_by_role("button", name="Submit anyway").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Attempt 1: "))
    _no_sideways_scroll(page)
