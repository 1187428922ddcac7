from courses.tests.conftest import alice, bob, quiz, quiz_course  # noqa: F401 - personas and a quiz for lms tests
