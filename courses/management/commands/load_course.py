from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.services import course_import
from courses.yaml_lines import ContentErrors


class Command(BaseCommand):
    help = "Import a course directory (course.yaml + NN-slug.md lessons). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="e.g. courses/content/kubernetes-fundamentals")

    def handle(self, *args, path: Path, **options):
        if not path.is_dir():
            raise CommandError(f"{path} is not a directory")
        try:
            report = course_import(path=path)
        except ContentErrors as exc:
            raise CommandError(f"{len(exc.errors)} problem(s) in {path}; nothing was imported:\n"
                               + "\n".join(f"  {e}" for e in exc.errors)) from None
        for line in report.lines():
            self.stdout.write(line)
