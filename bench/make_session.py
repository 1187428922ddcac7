"""Print a session cookie for a benchmark student who has done part of the course."""

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from courses.models import Lesson  # noqa: E402
from courses.services import lesson_mark_complete  # noqa: E402

User = get_user_model()
user, _ = User.objects.get_or_create(username="bench@podium.local", defaults={"email": "bench@podium.local"})
user.set_password(os.urandom(16).hex())
user.save()
for lesson in Lesson.objects.order_by("number")[:3]:
    lesson_mark_complete(user=user, lesson=lesson)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
