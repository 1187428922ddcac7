"""Issue 14: the lab form's error summary, and the checks made before anything is queued (the
kind of files, how many, their size, a README the lab requires). Personas: alice submits, bob is
another student."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import Submission
from grading.tests.conftest import GOOD, submit


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """Submit the lab form; what would be queued once the request's transaction commits is."""
    def submit_form(lab, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("lab-submit", args=[lab.course.slug, lab.slug]), data)
    return submit_form


def summary_of(html: str) -> list[tuple[str, str]]:
    """(link target, text) of each error in the page's error summary."""
    block = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    assert block, "no error summary on the page"
    return [(target, " ".join(text.split()))
            for target, text in re.findall(r'<li><a href="#([\w-]+)">(.*?)</a></li>', block.group(0), re.S)]


def assert_not_queued(sent):
    assert not Submission.objects.exists() and sent == []


def test_an_empty_submit_shows_a_focused_summary_linking_to_the_field(client, post, alice, lab, sent):
    client.force_login(alice)
    response = post(lab, {})
    html = response.content.decode()
    assert response.status_code == 400
    assert summary_of(html) == [
        ("id_files", "Choose your manifest files to upload, or paste your YAML below.")]
    # At the top of the form, focusable and announced once (the field repeats it, silently).
    form = html[html.index('id="submit-form"'):]
    assert form.index('class="error-summary"') < form.index('name="csrfmiddlewaretoken"')
    assert 'tabindex="-1"' in form[:form.index("error-summary-title")]
    assert html.count('role="alert"') == 1
    assert 'src="/static/js/error_summary.js" defer' in html
    assert 'href="/static/css/error_summary.css"' in html
    assert_not_queued(sent)


def test_a_file_of_the_wrong_type_is_named(client, post, alice, lab, sent):
    client.force_login(alice)
    response = post(lab, {"files": [SimpleUploadedFile("notes.docx", b"PK"),
                                            SimpleUploadedFile("run.sh", b"kubectl apply")]})
    assert response.status_code == 400
    errors = summary_of(response.content.decode())
    assert [target for target, _ in errors] == ["id_files", "id_files"]
    assert errors[0][1].startswith("notes.docx: upload .yaml, .yml, .zip, .tar.gz or README.md")
    assert errors[1][1].startswith("run.sh: upload")
    assert_not_queued(sent)


def test_a_hostile_file_name_is_shown_as_text(client, post, alice, lab, sent):
    client.force_login(alice)
    response = post(lab, {"files": [SimpleUploadedFile('<img src=x onerror="alert(1)">.exe', b"x")]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.exe: upload" in html
    assert_not_queued(sent)


def test_a_submission_over_the_size_limit_names_its_size_and_largest_file(client, post, alice, lab, sent,
                                                                          settings):
    settings.GRADING_MAX_BYTES = 4096
    client.force_login(alice)
    response = post(lab, {"files": [SimpleUploadedFile("big.yaml", b"a: 1\n" * 1000),
                                            SimpleUploadedFile("small.yaml", GOOD)]})
    assert response.status_code == 400
    [(target, text)] = summary_of(response.content.decode())
    assert target == "id_files"
    assert text.startswith("Your submission is 5 KiB (the largest is big.yaml, 4 KiB); "
                           "the limit is 4 KiB in total.")
    assert_not_queued(sent)


def test_pasted_yaml_over_the_limit_links_to_the_paste_box(client, post, alice, lab, sent, settings):
    settings.GRADING_MAX_BYTES = 1024
    client.force_login(alice)
    response = post(lab, {"paste": "a: 1\n" * 400})
    assert response.status_code == 400
    [(target, text)] = summary_of(response.content.decode())
    assert target == "id_paste" and text.startswith("Your submission is 1 KiB; the limit is 1 KiB")
    assert_not_queued(sent)


def test_too_many_files_are_refused_before_queueing(client, post, alice, lab, sent, settings):
    settings.GRADING_MAX_FILES = 2
    client.force_login(alice)
    files = [SimpleUploadedFile(f"{n}.yaml", GOOD) for n in range(3)]
    response = post(lab, {"files": files})
    assert response.status_code == 400
    assert summary_of(response.content.decode()) == [
        ("id_files", "You chose 3 files; at most 2 can be submitted. "
                     "Put them in one .zip or .tar.gz instead.")]
    assert_not_queued(sent)


@pytest.mark.parametrize("data", [
    {"files": [SimpleUploadedFile("deployment.yaml", GOOD)]},
    {"paste": GOOD.decode()},
])
def test_a_lab_that_requires_a_readme_says_so_before_queueing(client, post, alice, practical, sent, data):
    client.force_login(alice)
    response = post(practical, data)
    assert response.status_code == 400
    [(target, text)] = summary_of(response.content.decode())
    assert target == "id_files" and text.startswith("This lab needs a README.md")
    assert_not_queued(sent)


@pytest.mark.parametrize("files", [
    [("deployment.yaml", GOOD), ("README.md", b"# How to deploy")],
    [("solution.zip", b"PK\x05\x06" + b"\0" * 18)],  # the grader looks inside archives, not the form
])
def test_a_readme_or_an_archive_passes_the_forms_readme_check(client, post, alice, practical, sent, files):
    client.force_login(alice)
    response = post(practical, {"files": [SimpleUploadedFile(name, data) for name, data in files]})
    assert response.status_code == 302
    assert Submission.objects.get().lab == practical and len(sent) == 1


def test_a_lab_without_the_requirement_takes_yaml_alone(client, post, alice, lab, sent):
    client.force_login(alice)
    assert post(lab, {"files": [SimpleUploadedFile("deployment.yaml", GOOD)]}).status_code == 302
    assert len(sent) == 1


def test_the_error_page_shows_only_the_students_own_attempts(client, post, alice, bob, lab, sent):
    theirs = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    client.force_login(bob)
    html = post(lab, {}).content.decode()
    assert "No attempts yet." in html and f'id="submission-{theirs.pk}"' not in html


def test_signed_out_posts_go_to_the_login_page(client, post, lab, sent):
    response = post(lab, {"paste": GOOD.decode()})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert_not_queued(sent)


def test_other_forms_still_announce_each_field_error(client, alice):
    client.force_login(alice)
    response = client.post(reverse("password_change"), {})
    html = response.content.decode()
    assert 'class="error" role="alert"' in html and "error-summary" not in html
