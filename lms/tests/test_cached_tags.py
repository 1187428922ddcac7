"""{% url %} and {% static %} answer from a memo (issue 17) and still behave like Django's."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from lms import cached_tags


def render(text: str, **context) -> str:
    return Template(text).render(Context(context))


def test_url_is_djangos_answer_and_is_memoised():
    cached_tags._reverse.cache_clear()
    first = render("{% url 'lesson' slug 'intro' %}", slug="k8s")
    second = render("{% url 'lesson' slug 'intro' %}", slug="k8s")
    assert first == second == reverse("lesson", args=["k8s", "intro"])
    assert cached_tags._reverse.cache_info().hits >= 1


def test_url_arguments_are_part_of_the_key():
    assert render("{% url 'course' s %}", s="a") == "/courses/a/"
    assert render("{% url 'course' s %}", s="b") == "/courses/b/"
    assert render("{% url 'course' course_slug=s %}", s="c") == "/courses/c/"


def test_url_escapes_and_supports_as_var():
    assert render("{% url 'course' 'missing' as u %}[{{ u }}]") == "[/courses/missing/]"
    assert render("{% url 'no-such-view' as u %}[{{ u }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_url_of_an_object_argument_is_not_memoised():
    class Slug:
        def __init__(self, text):
            self.text = text

        def __str__(self):
            return self.text

    cached_tags._reverse.cache_clear()
    slug = Slug("first")
    assert render("{% url 'course' s %}", s=slug) == "/courses/first/"
    slug.text = "second"
    assert render("{% url 'course' s %}", s=slug) == "/courses/second/"
    assert cached_tags._reverse.cache_info().currsize == 0


def test_hostile_url_arguments_are_quoted_not_cached_raw():
    out = render("{% url 'submission' pk %}", pk=7)
    assert out == "/submissions/7/"
    with pytest.raises(NoReverseMatch):
        render("{% url 'submission' pk %}", pk="7/../../admin")


def test_static_urls_are_memoised_and_follow_static_url_changes():
    from django.contrib.staticfiles.storage import staticfiles_storage

    text = "{% load static %}{% static 'css/podium.css' %}"
    assert render(text) == render(text) == "/static/css/podium.css"
    assert staticfiles_storage._wrapped._url_memo["css/podium.css"] == "/static/css/podium.css"
    with override_settings(STATIC_URL="/other/"):
        assert render(text) == "/other/css/podium.css"
    assert render(text) == "/static/css/podium.css"


def test_static_of_a_hostile_name_is_quoted():
    assert render("{% load static %}{% static 'a b\"<x>.css' %}") == "/static/a%20b%22%3Cx%3E.css"


def test_manifest_storage_memo_keeps_missing_files_an_error(tmp_path):
    from lms.static_storage import CompressedManifestStaticFilesStorage

    storage = CompressedManifestStaticFilesStorage(location=tmp_path)
    (tmp_path / "staticfiles.json").write_text('{"paths": {"a.css": "a.123.css"}, "version": "1.1"}')
    storage.hashed_files, storage.manifest_hash = storage.load_manifest()
    assert storage.url("a.css") == storage.url("a.css") == "/static/a.123.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("missing.css")
    assert "missing.css" not in storage._url_memo
