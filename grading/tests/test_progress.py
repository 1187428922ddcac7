"""Labs feed courses' dashboard and success criteria."""

from courses import progress
from grading.selectors import dashboard_status, passed_lab_slugs
from grading.tests.conftest import GOOD, ONE_REPLICA, submit


def test_passed_labs_are_evidence(alice, bob, lab):
    submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    assert passed_lab_slugs(alice, lab.course) == set()
    submit(alice, lab, [("d.yaml", GOOD)])
    assert passed_lab_slugs(alice, lab.course) == {"first-deployment"}
    assert passed_lab_slugs(bob, lab.course) == set()
    assert progress.FEATURES["labs"].evidence is passed_lab_slugs


def test_dashboard_counts_required_labs_in_one_query(alice, lab, practical, django_assert_num_queries):
    submit(alice, lab, [("d.yaml", GOOD)])
    with django_assert_num_queries(1):
        status, passed = dashboard_status(alice, lab.course)
    assert status["notice"] is None
    assert passed == {"first-deployment"}
    assert status["text"] == "1 of 2 labs passed" and status["state"] == "todo"
    assert status["url"] == "/courses/test-course/labs/"
    submit(
        alice,
        practical,
        [("s.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"), ("README.md", b"how to")],
    )
    # The practical's checks pass; its demo waits for the instructor (grading/manual_grading.py).
    status, _ = dashboard_status(alice, lab.course)
    assert status["state"] == "todo" and "1 awaiting instructor grading" in status["text"]
    from grading.manual_grading import manual_grade_post

    waiting = practical.submissions.get()
    manual_grade_post(submission=waiting, grades={practical.manual_items.get().pk: (10, "")}, by=None)
    with django_assert_num_queries(1):
        status, _ = dashboard_status(alice, lab.course)
    assert status["state"] == "done" and status["notice"]["text"].startswith("Your instructor graded")


def test_dashboard_page_shows_lab_status(client, alice, lab):
    client.force_login(alice)
    html = client.get("/dashboard/").content.decode()
    assert "See all 2 labs: 1 activity and 1 practical" in html  # the lab fixture and the practical
    assert "Not started" in html
