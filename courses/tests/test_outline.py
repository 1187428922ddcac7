"""The per-process course snapshot behind the lesson page and the dashboard."""

from courses import outline


def test_snapshots_are_shared_per_content_version_and_bounded(course, monkeypatch):
    first = outline.course_snapshot(course.pk, course.content_hash)
    assert outline.course_snapshot(course.pk, course.content_hash) is first
    assert [ref.number for ref in first.outline] == [1, 2, 3]
    # The body stays in the database; word counts come along (the lesson page's reading time).
    assert "body_html" in first.lessons[first.outline[0].pk].get_deferred_fields()
    assert "word_count" not in first.lessons[first.outline[0].pk].get_deferred_fields()

    monkeypatch.setattr(outline._snapshots, "size", 2)
    outline.forget_snapshots()
    outline._snapshots.update({(0, "old"): first, (1, "older"): first})
    assert outline.course_snapshot(course.pk, course.content_hash) is not first  # rebuilt
    assert list(outline._snapshots) == [(1, "older"), (course.pk, course.content_hash)]


def test_a_snapshot_is_filed_under_the_version_it_read(course):
    # The caller read its hash before an import committed: what was built is the newer content.
    snapshot = outline.course_snapshot(course.pk, "hash-before-the-import")
    assert snapshot.course.content_hash == course.content_hash
    assert list(outline._snapshots) == [(course.pk, course.content_hash)]


def test_a_lesson_from_the_snapshot_is_a_private_copy(course):
    snapshot = outline.course_snapshot(course.pk, course.content_hash)
    pk = snapshot.outline[0].pk
    lesson = snapshot.lesson(pk)
    assert lesson.course is snapshot.course
    assert "Intro to" in lesson.body_html  # loads the deferred body into the copy only
    assert "body_html" in snapshot.lessons[pk].get_deferred_fields()
