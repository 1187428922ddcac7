"""Print a session cookie for a benchmark student who has done part of the course."""

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django.setup()

from django.conf import settings  # noqa: E402

from bench.accounts import bench_student, signed_in_session  # noqa: E402
from courses.models import Lesson  # noqa: E402
from courses.services import lesson_mark_complete  # noqa: E402

user = bench_student()
for lesson in Lesson.objects.order_by("number")[:3]:
    lesson_mark_complete(user=user, lesson=lesson)
session = signed_in_session(user)
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
