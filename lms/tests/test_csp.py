"""Content-Security-Policy: the header with DEBUG off, and pages the policy does not break.

The policy allows scripts and styles only from Podium's own origin, so no page may carry an
inline <script>, an on*= handler, a style attribute, a <style> element or a javascript: URL:
the browser would refuse them (the page would silently lose behaviour or layout)."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.services import course_import

ROOT = Path(__file__).resolve().parents[2]
COURSE = "kubernetes-fundamentals"
pytestmark = pytest.mark.django_db


class InlineCode(HTMLParser):
    """Collects everything in a page that a strict CSP (no 'unsafe-inline') blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script_with_src = False

    def handle_starttag(self, tag, attrs):
        where = f"line {self.getpos()[0]}: <{tag}>"
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{where} has an inline handler {name}=")
            if name == "style":
                self.problems.append(f"{where} has a style attribute")
            if name in ("href", "src", "action", "formaction") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"{where} has a javascript: URL")
        if tag == "style":
            self.problems.append(f"{where} is an inline stylesheet")
        if tag == "script":
            if not names.get("src"):
                self.problems.append(f"{where} is an inline script")
            self._script_with_src = bool(names.get("src"))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_with_src = False

    def handle_data(self, data):
        if self._script_with_src and data.strip():
            self.problems.append(f"line {self.getpos()[0]}: <script src> with inline code too")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_policy_is_sent_with_debug_off(client):
    assert settings.DEBUG is False
    response = client.get(reverse("login"))
    policy = {d.split()[0]: d.split()[1:] for d in response["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]


def test_the_policy_is_also_on_the_admin_and_error_pages(client):
    assert "default-src 'self'" in client.get(reverse("admin:login"))["Content-Security-Policy"]
    assert "default-src 'self'" in client.get("/no-such-page/")["Content-Security-Policy"]


def test_the_checker_finds_what_the_policy_blocks():
    page = ('<script>alert(1)</script><script src="/s.js">x()</script><a href="JavaScript:go()">x</a>'
            '<select onchange="this.form.submit()"></select><div style="width: 5%"></div><style>p{}</style>')
    assert len(inline_code(page)) == 6
    assert inline_code('<script src="/static/x.js" defer></script><div class="pct-5"></div>') == []


@pytest.mark.parametrize("template", sorted((ROOT / "templates").rglob("*.html")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_code(template):
    assert inline_code(template.read_text()) == [], template


@pytest.fixture
def site(django_user_model):
    course_import(path=settings.COURSE_CONTENT_DIR / COURSE)
    from courses.models import Course

    course = Course.objects.get(slug=COURSE)
    student = django_user_model.objects.create_user("s@example.com", "s@example.com", "pw-123456789")
    admin = django_user_model.objects.create_superuser("a@example.com", "a@example.com", "pw-123456789")
    return course, student, admin


def pages_of(client: Client, urls: list[str]) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        problems = inline_code(response.content.decode())
        if problems:
            found[url] = problems
    return found


def test_no_main_page_has_inline_code(site, client):
    from grading.models import Lab, Submission

    course, student, admin = site
    lesson = course.lessons.order_by("number").first()
    base = reverse("course", args=[COURSE])
    signed_out = ["/", base, reverse("login"), reverse("signup"), reverse("signup-sent"),
                  reverse("password_reset"), reverse("password_reset_done")]
    assert pages_of(client, signed_out) == {}

    client.force_login(student)
    client.post(reverse("lesson-complete", args=[COURSE, lesson.slug]))  # a progress bar above 0
    lab = Lab.objects.filter(course=course).first()
    submission = Submission.objects.create(lab=lab, user=student, status="queued", queued_at=timezone.now())
    attempt = client.post(reverse("quiz-start", args=[COURSE]), follow=True)
    assert attempt.status_code == 200
    signed_in = ["/", reverse("dashboard"), base, reverse("lesson", args=[COURSE, lesson.slug]),
                 reverse("quiz", args=[COURSE]), attempt.redirect_chain[-1][0],
                 reverse("lab-list", args=[COURSE]), reverse("lab", args=[COURSE, lab.slug]),
                 reverse("submission", args=[submission.pk]), reverse("password_change")]
    assert pages_of(client, signed_in) == {}

    client.force_login(admin)
    admin_pages = [reverse("admin:index"), reverse("admin:courses_cohort_changelist"),
                   reverse("admin:courses_cohort_add"), reverse("admin:grading_submission_changelist"),
                   reverse("admin:grading_submission_change", args=[submission.pk]),
                   reverse("admin:auth_user_change", args=[student.pk]),
                   reverse("admin:courses_quiz_results", args=[course.quiz.pk])]
    assert pages_of(client, admin_pages) == {}


def test_the_lockout_page_has_no_inline_code(client, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": "x@example.com", "password": "nope"})
    assert response.status_code == 429 and inline_code(response.content.decode()) == []
