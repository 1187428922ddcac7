"""The lab list (issue 14): labs by kind with what each belongs to in words, the student's own
status only, a constant query budget; and stored notes shown in today's student wording."""

import re

from django.urls import reverse

from grading.live.grader import SKIPPED_NOTE
from grading.models import Submission
from grading.tests.conftest import GOOD, ONE_REPLICA, submit


def lab_list(course) -> str:
    return reverse("lab-list", args=[course.slug])


def test_labs_are_grouped_by_kind_and_say_what_they_belong_to(client, alice, course):
    client.force_login(alice)
    html = client.get(lab_list(course)).content.decode()
    assert "2 labs: 1 activity and 1 practical" in html
    assert '<h2 id="activity-h">Activities' in html and '<h2 id="practical-h">Practical' in html
    assert "Lesson 1: Lesson 1" in html  # the test course's lesson 1 is titled "Lesson 1"
    assert "End of course" in html
    assert not re.search(r">\s*first-deployment\s*<", html)  # the slug is in URLs only


def test_status_is_the_students_own(client, alice, bob, lab):
    submit(bob, lab, [("d.yaml", GOOD)])
    submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    client.force_login(alice)
    html = client.get(lab_list(lab.course)).content.decode()
    assert "Not passed yet" in html and "✓" not in html
    client.force_login(bob)
    assert "✓" in client.get(lab_list(lab.course)).content.decode()


def test_signed_out_reader_is_asked_to_log_in(client, course):
    response = client.get(lab_list(course))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_course_is_404(client, alice, course):
    client.force_login(alice)
    assert client.get("/courses/%3Cscript%3E/labs/").status_code == 404


def test_query_budget_does_not_grow_with_submissions(client, alice, lab, settings,
                                                     django_assert_max_num_queries):
    settings.STUDENT_PAGE_CACHE = False  # the rendering's own budget (a cached read costs 2 queries)
    client.force_login(alice)
    client.get(lab_list(lab.course))
    with django_assert_max_num_queries(5) as one:
        client.get(lab_list(lab.course))
    for _ in range(3):
        submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    with django_assert_max_num_queries(len(one)):
        client.get(lab_list(lab.course))


def test_an_old_operator_note_reads_as_a_sentence_for_students(client, alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    Submission.objects.filter(pk=submission.pk).update(notes=["live checks skipped: no cluster configured"])
    client.force_login(alice)
    html = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert "no cluster configured" not in html
    assert SKIPPED_NOTE in html


def test_hints_show_inline_code_as_code_and_stay_escaped():
    from courses.templatetags.podium import code_spans

    assert str(code_spans("See it with `kubectl get <pods>`.")) == \
        "See it with <code>kubectl get &lt;pods&gt;</code>."
