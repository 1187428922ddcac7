"""Reading a long lesson (issue 14): code blocks as labelled scroll regions whose text is the
source exactly, the sanitiser still strict around them, the reading/hands-on time line, the
table of contents, the reading aids' hooks and the theme's stylesheets and script."""

import html
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from courses import reading_time
from courses.markdown import render_markdown
from courses.models import Lesson
from courses.services import course_import
from courses.tests.conftest import lesson_text
from lms.views import _pygments_stylesheet

STATIC = Path(settings.BASE_DIR) / "static"

YAML = """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: model-server-with-a-very-long-name-that-must-not-wrap-at-390-px
          args: ["--port", "8080"]   # trailing spaces and quotes kept
"""


def code_blocks(rendered_html: str) -> list[re.Match]:
    return list(re.finditer(r'<div class="code-block"><pre ([^>]*)><code>(.*?)</code></pre>\s*</div>',
                            rendered_html, re.S))


def text_of(code_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", code_html))


# --- markdown: code blocks -------------------------------------------------------------------

def test_a_code_block_is_a_focusable_region_named_after_its_language():
    result = render_markdown(f"```yaml\n{YAML}```\n")
    [block] = code_blocks(result.html)
    attrs = block.group(1)
    assert 'role="region"' in attrs and 'tabindex="0"' in attrs
    assert 'aria-label="YAML example 1"' in attrs
    assert 'data-lang="yaml"' in attrs


def test_each_code_block_has_a_name_of_its_own():
    result = render_markdown("```yaml\na: 1\n```\n\n```console\n$ kubectl get pods\n```\n\n"
                             "```yaml partial\nb: 2\n```\n\n```\nplain\n```\n\n    indented\n")
    labels = re.findall(r'aria-label="([^"]+)"', result.html)
    assert labels == ["YAML example 1", "Terminal example 1", "YAML example 2", "Text example 1",
                      "Text example 2"]


def test_a_code_block_holds_the_source_exactly():
    source = "\n" + YAML + "\n    # indented comment after a blank line\n"
    [block] = code_blocks(render_markdown(f"```yaml\n{source}```\n").html)
    assert text_of(block.group(2)) == source  # leading blank line, indentation, trailing spaces


def test_an_unknown_language_is_plain_text_and_still_a_region():
    [block] = code_blocks(render_markdown("```nosuchlang\nx = 1\n```\n").html)
    assert 'aria-label="Text example 1"' in block.group(1)
    assert text_of(block.group(2)) == "x = 1\n"


def test_html_inside_code_is_shown_as_text_not_run():
    result = render_markdown('```yaml\n<script>alert(1)</script>\n<img src=x onerror="alert(2)">\n```\n')
    assert "<script" not in result.html and "<img" not in result.html
    [block] = code_blocks(result.html)
    assert text_of(block.group(2)) == '<script>alert(1)</script>\n<img src=x onerror="alert(2)">\n'


def test_raw_html_cannot_borrow_the_code_block_attributes():
    result = render_markdown(
        '<pre role="button" tabindex="-1" aria-label="Click to win a prize" onfocus="x()">a</pre>\n\n'
        '<div role="region" tabindex="0" aria-label="YAML example 1">b</div>\n\n'
        '<p aria-label="YAML example 1" tabindex="5">c</p>\n')
    assert result.html.count("role=") == 0
    assert "tabindex" not in result.html
    assert "aria-label" not in result.html
    assert "onfocus" not in result.html


def test_a_code_label_cannot_carry_markup():
    # The language comes from the author's fence: whatever it is, the label stays a plain name.
    result = render_markdown('```"><script>alert(1)</script>\nx\n```\n')
    assert "<script" not in result.html
    [block] = code_blocks(result.html)
    assert 'aria-label="Text example 1"' in block.group(1)


def test_lab_and_quiz_markdown_get_the_same_regions():
    # Labs and quiz questions render through the same function: their code is labelled too.
    result = render_markdown("Apply this:\n\n```bash\nkubectl apply -f pod.yaml\n```\n")
    assert 'aria-label="Shell example 1"' in result.html


def test_a_reimport_renders_old_lesson_bodies_again(course, course_dir):
    # Bodies stored before code blocks became regions are rewritten by the next load_course.
    lesson = course.lessons.get(number=1)
    Lesson.objects.filter(pk=lesson.pk).update(
        body_html='<pre class="highlight" data-lang="yaml"><code>old</code></pre>', content_hash="old")
    (course_dir / "01-lesson-1.md").write_text(lesson_text(1, "Lesson 1", body="```yaml\na: 1\n```\n"))
    report = course_import(path=course_dir)
    lesson.refresh_from_db()
    assert 'role="region"' in lesson.body_html
    assert lesson.content_hash != "old"
    assert any("lesson 01-lesson-1" in line for line in report.updated)


# --- reading vs hands-on time ----------------------------------------------------------------

@dataclass
class FakeLesson:
    duration_hours: Decimal
    word_count: int


@dataclass
class FakeLab:
    kind: str
    minutes: int


def test_reading_time_comes_from_the_words_and_the_rest_is_hands_on():
    time = reading_time.lesson_time(FakeLesson(Decimal("7"), 7000))
    assert time.reading_minutes == 35  # 7,000 words at 200 a minute
    assert time.hands_on_minutes == 7 * 60 - 35
    assert (time.reading, time.hands_on) == ("35 minutes", "6 hours 25 minutes")
    assert time.total_minutes == 420


def test_a_lessons_own_lab_is_inside_its_time_and_activities_come_on_top():
    labs = [FakeLab("lesson", 60), FakeLab("activity", 120), FakeLab("practical", 420)]
    time = reading_time.lesson_time(FakeLesson(Decimal("6"), 3000), labs)
    assert (time.reading_minutes, time.lab_minutes) == (15, 60)
    assert time.hands_on_minutes == 345
    assert time.extra_minutes == 540 and time.extra == "9 hours"
    assert time.extra_kinds == "activity and the practical"


def test_hands_on_never_reads_less_than_the_lab_itself():
    time = reading_time.lesson_time(FakeLesson(Decimal("1"), 12000), [FakeLab("lesson", 90)])
    assert time.hands_on_minutes == 90
    assert time.total_minutes == 60 + 90


def test_reading_time_is_rounded_up_to_five_minutes():
    assert reading_time.lesson_time(FakeLesson(Decimal("1"), 1)).reading == "5 minutes"
    assert reading_time.lesson_time(FakeLesson(Decimal("1"), 0)).reading_minutes == 0
    assert reading_time.duration(60) == "1 hour"
    assert reading_time.duration(125) == "2 hours 5 minutes"


def test_two_activities_are_named_in_the_plural():
    time = reading_time.lesson_time(FakeLesson(Decimal("2"), 100),
                                    [FakeLab("activity", 60), FakeLab("activity", 30)])
    assert time.extra_kinds == "activities"


# --- the lesson page ---------------------------------------------------------------------------

@pytest.fixture
def long_course(course, course_dir):
    body = "Intro.\n\n" + "".join(f"## Part {n}\n\n" + "word " * 690 + f"\n\n```yaml\nn: {n}\n```\n\n"
                                  for n in range(1, 11))
    (course_dir / "02-lesson-2.md").write_text(lesson_text(2, "Lesson 2", body=body))
    course_import(path=course_dir)
    return course


def lesson_page(client: Client, course, number: int) -> str:
    response = client.get(course.lessons.get(number=number).get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_lesson_page_says_how_much_is_reading_and_how_much_hands_on(client, long_course, alice):
    client.force_login(alice)
    page = lesson_page(client, long_course, 2)
    # 6,921 words of prose (code not counted): 35 min of a 1-hour lesson; the rest is hands-on.
    assert re.search(r"<dt>Reading</dt><dd>about 35 minutes</dd>", page)
    assert re.search(r"<dt>Hands-on</dt><dd>about 25 minutes</dd>", page)


def test_lesson_page_has_one_table_of_contents_and_the_reading_aids(client, long_course, alice):
    client.force_login(alice)
    page = lesson_page(client, long_course, 2)
    assert page.count('<nav aria-label="Table of contents">') == 1
    assert '<article class="lesson has-toc">' in page
    toc = page.split('id="lesson-toc"', 1)[1].split("</details>", 1)[0]
    assert re.findall(r'href="#([^"]+)"', toc) == [f"part-{n}" for n in range(1, 11)]
    assert 'id="copy-status" class="visually-hidden" role="status" aria-live="polite"' in page
    assert 'href="#main" hidden' in page  # back to top: a real link, shown by lesson.js
    assert page.count('role="region" tabindex="0" aria-label="YAML example') == 10
    assert re.search(r'<script src="[^"]*js/lesson\.js" defer></script>', page)


def test_lesson_page_query_budget_is_unchanged_by_the_time_line(client, long_course, alice,
                                                                 django_assert_max_num_queries):
    client.force_login(alice)
    lesson_page(client, long_course, 2)  # warm: the snapshot and the cached article
    # Session, user, the one read of lessons + completions, the visit; word counts come from
    # the in-memory course snapshot, not a query per lesson. (Others may add their own reads.)
    with django_assert_max_num_queries(6):
        lesson_page(client, long_course, 2)


def test_a_student_sees_no_one_elses_progress_in_the_reading_aids(client, long_course, alice, bob):
    # The page's reading aids are the same for everyone; completion state stays per student.
    client.force_login(bob)
    client.post(reverse("lesson-complete", args=[long_course.slug, "lesson-2"]))
    client.force_login(alice)
    page = lesson_page(client, long_course, 2)
    assert "You completed this lesson." not in page
    assert "Mark lesson complete" in page


# --- theme and stylesheets ---------------------------------------------------------------------

def test_theme_script_runs_before_the_stylesheets_without_defer(client, course):
    page = client.get("/").content.decode()
    head = page.split("</head>", 1)[0]
    script = re.search(r'<script src="[^"]*js/theme\.js"( defer| async)?></script>', head)
    assert script and script.group(1) is None, "theme.js must block, or the wrong theme flashes"
    assert head.index("js/theme.js") < head.index("css/podium.css")
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/reading\.css">', head)
    assert '<fieldset class="theme-picker" id="theme-picker" hidden>' in page
    assert re.findall(r'name="theme" value="(\w+)"', page) == ["system", "light", "dark"]


def test_code_blocks_never_wrap_in_any_stylesheet():
    podium = (STATIC / "css" / "podium.css").read_text()
    reading = (STATIC / "css" / "reading.css").read_text()
    assert "pre-wrap" not in podium and "pre-wrap" not in reading
    rule = re.search(r"\.prose \.code-block pre\.highlight \{([^}]*)\}", reading).group(1)
    assert "white-space: pre;" in rule and "overflow-x: auto" in rule


def test_the_table_of_contents_column_starts_at_the_same_width_in_css_and_script():
    css = re.search(r"@media \(min-width: (\d+)px\) \{\n  \.lesson-layout",
                    (STATIC / "css" / "reading.css").read_text())
    js = re.search(r'var WIDE = window\.matchMedia\("\(min-width: (\d+)px\)"\)',
                   (STATIC / "js" / "lesson.js").read_text())
    assert css and js
    assert css.group(1) == js.group(1)


def test_a_chosen_theme_switches_the_code_colours_both_ways():
    css = _pygments_stylesheet()
    # Dark follows the system unless light was chosen, and applies whenever dark was chosen.
    system_dark = css.split("@media (prefers-color-scheme: dark) {", 1)[1].split("\n}\n", 1)[0]
    assert ':root:not([data-theme="light"]) .highlight .k ' in system_dark
    assert ':root[data-theme="dark"] .highlight .k ' in css.split("\n}\n", 1)[1]
    reading = (STATIC / "css" / "reading.css").read_text()
    assert ':root[data-theme="light"] .highlight :is(.c, .c1' in reading
    assert ':root[data-theme="dark"] .prose img[src*="/diagrams/"]' in reading


def test_theme_and_lesson_scripts_use_no_inline_styles_or_eval():
    for name in ("theme.js", "lesson.js"):
        js = (STATIC / "js" / name).read_text()
        assert "eval(" not in js and "innerHTML" not in js
        assert 'setAttribute("style"' not in js and ".cssText" not in js
