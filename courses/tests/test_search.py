"""Search across the lessons (courses/search.py): index, ranking, anchors, snippets, hostile input,
on every backend this database offers (PostgreSQL or SQLite FTS5, and the plain scan)."""

import pytest
from django.db import connection
from django.urls import reverse

from courses import search
from courses.models import LessonSection
from courses.services import course_import
from courses.tests.conftest import lesson_text, write_course

LESSON_1 = """\
Pods are the smallest thing Kubernetes runs.

## First topic

Kubernetes has a rollout command, among many others.

## Probes

Readiness probes decide when traffic arrives.

```html
<script>alert("pwned")</script>
```

Compare a < b && b > c with "double" and 'single' quotes.

## Summary

Done.
"""

LESSON_2 = """\
## First topic

How replicas are replaced, one batch at a time.

## Rollout strategy

Surge and unavailability.

## Summary

Done.
"""


def _write(tmp_path):
    course_dir = write_course(tmp_path, quiz=True)
    (course_dir / "01-lesson-1.md").write_text(lesson_text(1, "Pods", body=LESSON_1))
    (course_dir / "02-lesson-2.md").write_text(lesson_text(2, "Deployments", body=LESSON_2))
    return course_dir


@pytest.fixture
def search_dir(tmp_path):
    return _write(tmp_path)


@pytest.fixture
def search_course(search_dir, db):
    course_import(path=search_dir)
    from courses.models import Course
    return Course.objects.get(slug="test-course")


def _backends():
    return ["postgresql" if connection.vendor == "postgresql" else "fts5", "scan"]


@pytest.fixture(params=["full-text", "scan"])
def backend(request, monkeypatch):
    """Each test runs on this database's full-text backend and on the plain scan."""
    if request.param == "scan":
        monkeypatch.setattr(search, "_backend", lambda: search._search_scan)
    else:
        chosen = search._backend()
        expected = search._search_postgres if connection.vendor == "postgresql" else search._search_fts5
        assert chosen is expected  # the migration made the index this database searches with
    return request.param


def _headings(results):
    return [hit.heading for hit in results.hits]


# --- the index -----------------------------------------------------------------------------------

def test_import_indexes_one_row_per_heading_with_its_anchor(search_course):
    lesson = search_course.lessons.get(number=1)
    rows = list(LessonSection.objects.filter(lesson=lesson).values_list("anchor", "heading", "position"))
    assert rows == [("", "Pods", 0), ("first-topic", "First topic", 1), ("probes", "Probes", 2),
                    ("summary", "Summary", 3)]
    probes = LessonSection.objects.get(lesson=lesson, anchor="probes")
    assert "Readiness probes decide" in probes.text
    assert '<script>alert("pwned")</script>' in probes.text  # code is searchable text, as written
    assert "#" not in probes.heading  # the permalink sign is not part of the heading


def test_split_sections_skips_an_empty_intro_and_strips_control_characters():
    sections = search.split_sections(
        '<h2 id="a">A <a class="header-anchor" href="#a">#</a></h2><p>x\x02y\x03z</p><h3 id="b">B</h3>',
        title="T")
    assert [(s.anchor, s.heading, s.text) for s in sections] == [("a", "A", "x y z"), ("b", "B", "")]


def test_a_heading_too_long_to_store_links_to_the_top_of_the_lesson():
    long_id = "x" * 250
    sections = search.split_sections(f'<h2 id="{long_id}">{"Long " * 100}</h2><p>t</p>', title="T")
    assert sections[0].anchor == "" and len(sections[0].heading) == search.HEADING_MAX


def test_second_import_writes_nothing_and_a_changed_lesson_is_reindexed(search_course, search_dir):
    assert search.index_course(course=search_course) == 0
    report = course_import(path=search_dir)
    assert not report.changed
    (search_dir / "02-lesson-2.md").write_text(lesson_text(2, "Deployments", body=LESSON_2.replace(
        "## Rollout strategy", "## Update strategy")))
    course_import(path=search_dir)
    headings = set(LessonSection.objects.filter(lesson__number=2).values_list("heading", flat=True))
    assert "Update strategy" in headings and "Rollout strategy" not in headings


def test_a_renamed_lesson_is_found_by_its_new_title(search_course, search_dir, backend):
    (search_dir / "02-lesson-2.md").write_text(lesson_text(2, "Zeppelins", body=LESSON_2))
    course_import(path=search_dir)
    assert {hit.lesson_title for hit in search.search("zeppelins").hits} == {"Zeppelins"}
    assert search.search("deployments").hits == []


def test_a_removed_lesson_leaves_no_results(search_course, search_dir, backend):
    assert search.search("surge").hits
    (search_dir / "02-lesson-2.md").unlink()
    (search_dir / "03-lesson-3.md").unlink()
    (search_dir / "quiz.yaml").unlink()
    course_import(path=search_dir)
    assert search.search("surge").hits == []


# --- ranking, anchors, snippets --------------------------------------------------------------

def test_a_heading_hit_ranks_above_a_body_hit(search_course, backend):
    results = search.search("rollout")
    assert _headings(results)[:2] == ["Rollout strategy", "First topic"]
    assert results.hits[0].lesson_number == 2


def test_results_link_to_the_sections_anchor(search_course, backend):
    hit = search.search("readiness").hits[0]
    assert hit.url == reverse("lesson", args=["test-course", "lesson-1"]) + "#probes"
    intro = search.search("smallest").hits[0]
    assert intro.url == reverse("lesson", args=["test-course", "lesson-1"])  # text before any heading
    assert intro.heading == "Pods"


def test_every_word_must_match(search_course, backend):
    assert _headings(search.search("readiness traffic")) == ["Probes"]
    assert search.search("readiness surge").hits == []


def test_stemming_finds_other_forms_of_a_word(search_course, backend):
    if backend == "scan":
        assert _headings(search.search("replica")) == ["First topic"]  # a substring match
    else:
        assert _headings(search.search("replaced")) == ["First topic"]
        assert "First topic" in _headings(search.search("replacing"))


def test_snippets_highlight_matches_and_escape_the_lessons_html(search_course, backend):
    snippet = search.search("alert").hits[0].snippet
    assert "<mark>alert</mark>" in snippet
    assert "<script" not in snippet
    compare = search.search("compare").hits[0].snippet
    assert "<mark>Compare</mark>" in compare
    assert "a &lt; b &amp;&amp; b &gt; c" in compare
    quotes = search.search("double").hits[0].snippet
    assert "&quot;<mark>double</mark>&quot;" in quotes and "&#x27;single&#x27;" in quotes


def test_quiz_questions_and_explanations_are_not_searched(search_course, backend):
    assert search.search("EXPLAIN").hits == []
    assert search.search("events").hits == []  # only in a quiz question


def test_search_keeps_to_one_course_when_asked(search_course, tmp_path, backend):
    other = write_course(tmp_path / "other", lessons=1, slug="other-course")
    (other / "01-lesson-1.md").write_text(lesson_text(1, "Readiness elsewhere", body="Readiness too.\n"))
    course_import(path=other)
    assert len(search.search("readiness").hits) == 2
    assert _headings(search.search("readiness", course_id=search_course.pk)) == ["Probes"]


@pytest.mark.parametrize("query", [
    "%", "_", "%_%", "'", '"', "\\", "' OR 1=1 --", '" OR ""="', "NEAR(", "NEAR(rollout strategy, 2)",
    '"unterminated', "rollout AND", "rollout OR", "NOT", "*", "rollout*", "^rollout", "heading:rollout",
    "{heading text}: rollout", "-rollout", "rollout & | ! :*", "DROP TABLE courses_lesson; --",
    "\x00rollout", "\x02rollout\x03", "<script>alert(1)</script>", "ro'llout", "🙂", "ß" * 50,
])
def test_hostile_queries_never_error(search_course, backend, query):
    results = search.search(query)
    assert isinstance(results.hits, list)
    for hit in results.hits:
        assert "<script" not in hit.snippet


def test_percent_and_underscore_are_not_wildcards(search_course, backend):
    results = search.search("%")
    assert results.hits == [] and "letters or digits" in results.problem
    assert search.search("%ollout").hits == [] and search.search("_ollout").hits == []
    assert search.search("rollout%").hits  # the word is still searched


def test_a_question_finds_the_section_and_common_words_alone_are_explained(search_course, backend):
    assert _headings(search.search("when does traffic arrive?"))[0] == "Probes"
    results = search.search("how to do it")
    assert results.hits == [] and "too common" in results.problem


def test_a_query_longer_than_the_limit_is_refused_with_a_reason(search_course, backend):
    results = search.search("rollout " * 1250)  # 10,000 characters
    assert results.hits == []
    assert "10,000 characters" in results.problem and "200" in results.problem
    assert search.parse_query("rollout " * 20)[0] == ["rollout"]  # repeated words count once
    assert len(search.parse_query(" ".join(f"w{i}" for i in range(50)))[0]) == search.MAX_TERMS


# --- the page ------------------------------------------------------------------------------------

def test_search_page_requires_login(client, search_course):
    response = client.get(reverse("search"), {"q": "rollout"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert b'role="search"' not in client.get("/").content  # no box for signed-out visitors


def test_search_page_lists_results_with_highlighted_snippets(client, search_course, alice,
                                                              django_assert_max_num_queries):
    client.force_login(alice)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("search"), {"q": "readiness", "course": "test-course"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/courses/test-course/lessons/lesson-1/#probes"' in html
    assert "<mark>Readiness</mark>" in html
    assert "1 section match" in html
    assert "Lesson 1 · Pods" in html


def test_search_page_explains_when_nothing_matches(client, search_course, alice):
    client.force_login(alice)
    html = client.get(reverse("search"), {"q": "helicopter"}).content.decode()
    assert "No section of the lessons matches <strong>helicopter</strong>" in html
    assert "try fewer words" in html


def test_search_page_escapes_the_query(client, search_course, alice):
    client.force_login(alice)
    html = client.get(reverse("search"), {"q": "<img src=x onerror=alert(1)>"}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("params", [
    {"q": "x" * 10_000}, {"q": "NEAR(\"", "course": "test-course"}, {"q": "%"},
    {"q": "rollout", "course": "\x00"},
    {"q": "rollout", "course": "../../etc"}, {"q": "rollout", "course": "c" * 5000}, {"q": "\x00"},
    {"q": "rollout", "course": "nope"},
])
def test_search_page_answers_hostile_input_with_a_page(client, search_course, alice, params):
    client.force_login(alice)
    response = client.get(reverse("search"), params)
    assert response.status_code == 200
    assert b"Search the lessons" in response.content


def test_the_header_box_searches_the_course_being_read(client, search_course, alice):
    client.force_login(alice)
    html = client.get(reverse("lesson", args=["test-course", "lesson-1"])).content.decode()
    assert 'role="search"' in html
    assert 'name="course" value="test-course"' in html
    everywhere = client.get(reverse("search"), {"q": "readiness"}).content.decode()
    assert 'id="site-search-q"' in everywhere and 'name="course"' not in everywhere
