"""Create demo accounts (a student, an instructor teaching a demo cohort, an admin).

Passwords are random, made on first run and kept in var/demo-credentials.txt (git-ignored),
so no password lives in the repository. Running it again changes nothing and prints them.
"""

import datetime
import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courses.models import Cohort, Course, Enrollment
from courses.services import ensure_instructor_group

ACCOUNTS = [
    ("student", "student@podium.local", "Sam Student"),
    ("instructor", "instructor@podium.local", "Ivy Instructor"),
    ("admin", "admin@podium.local", "Ada Admin"),
]


class Command(BaseCommand):
    help = "Create demo accounts and a demo cohort; print their credentials."

    def handle(self, *args, **options):
        course = Course.objects.order_by("pk").first()
        if course is None:
            raise CommandError("Load a course first: python manage.py load_course <path>")
        store = settings.VAR_DIR / "demo-credentials.json"
        passwords = json.loads(store.read_text()) if store.exists() else {}
        User = get_user_model()
        users = {}
        for role, email, name in ACCOUNTS:
            user = User.objects.filter(username=email).first()
            if user is None or role not in passwords:
                passwords[role] = secrets.token_urlsafe(9)
                user = user or User(username=email, email=email)
                first, last = name.split(" ", 1)
                user.first_name, user.last_name = first, last
                user.set_password(passwords[role])
                user.is_staff = role in ("instructor", "admin")
                user.is_superuser = role == "admin"
                user.save()
            users[role] = user
        store.write_text(json.dumps(passwords))
        store.chmod(0o600)
        users["instructor"].groups.add(ensure_instructor_group())
        cohort, _ = Cohort.objects.get_or_create(
            course=course, name="Demo cohort",
            defaults={"starts_on": timezone.localdate(),
                      "ends_on": timezone.localdate() + datetime.timedelta(weeks=9)})
        cohort.instructors.add(users["instructor"])
        Enrollment.objects.get_or_create(cohort=cohort, student=users["student"])
        self.stdout.write("Demo accounts (log in with the email):")
        for role, email, _ in ACCOUNTS:
            self.stdout.write(f"  {role:<11} {email:<26} password: {passwords[role]}")
