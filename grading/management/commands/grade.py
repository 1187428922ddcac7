"""Grade files or a directory against a lab, without a database row.

    python manage.py grade --lab activity-1-first-deployment deploy.yaml
    python manage.py grade --lab practical my-project/ --json
    cat deploy.yaml | python manage.py grade --lab activity-1-first-deployment -

Exit status: 0 passed, 1 failed, 2 invalid input (or unknown lab), 3 grader error.
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from courses.yaml_lines import ContentErrors
from grading import conf
from grading.labs import LabSpec, file_link_resolver, read_lab
from grading.pipeline import GradeReport, GraderError, grade_static

STATIC_ONLY_NOTE = ("live checks not run: this command grades statically; a grading worker with a "
                    "cluster also runs the lab in a sandbox")


def find_lab(slug: str, content_dir: Path | None = None) -> LabSpec:
    root = Path(content_dir or settings.COURSE_CONTENT_DIR)
    for course_dir in sorted(p for p in root.iterdir() if (p / "course.yaml").is_file()):
        lab_dir = course_dir / "labs" / slug
        if (lab_dir / "lab.yaml").is_file():
            resolver = file_link_resolver(
                course_dir, lambda lesson, course=course_dir.name: reverse("lesson", args=[course, lesson]))
            return read_lab(lab_dir, resolve_link=resolver)
    raise CommandError(f"no lab {slug!r} under {root}/*/labs/", returncode=2)


def collect_files(paths: list[str]) -> list[tuple[str, bytes]]:
    files = []
    for raw in paths:
        if raw == "-":
            files.append(("stdin.yaml", sys.stdin.buffer.read()))
            continue
        path = Path(raw)
        if path.is_dir():
            for item in sorted(p for p in path.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in item.relative_to(path).parts):
                    files.append((str(item.relative_to(path)), item.read_bytes()))
        elif path.is_file():
            files.append((path.name, path.read_bytes()))
        else:
            raise CommandError(f"no such file or directory: {raw}", returncode=2)
    return files


def format_report(report: GradeReport, lab: LabSpec) -> str:
    lines = []
    if report.errors:
        lines.append(f"Lab {lab.slug}: INVALID — the submission was not graded:")
        for problem in report.errors:
            lines.append(f"  {problem}")
            if problem.lesson_link:
                lines.append(f"      lesson: {problem.lesson_link}")
        if report.preview:  # refused by the sandbox policy: the checks as a preview, not a grade
            lines.append(f"Preview, not counted: would score {report.preview_score:g}/{report.max_score:g} "
                         "points once accepted:")
            lines += [f"  {'✓' if c.passed else '✗'} {c.id}: {c.points:g}/{c.max_points:g} — {c.message}"
                      for c in report.preview]
        return "\n".join(lines)
    verdict = "PASSED" if report.passed else f"FAILED (needs {lab.pass_percent}%)"
    lines.append(f"Lab {lab.slug}: {report.score:g}/{report.max_score:g} points "
                 f"({report.percent:g}%) — {verdict}")
    for check in report.checks:
        mark = "✓" if check.passed else "✗"
        lines.append(f"  {mark} {check.id}: {check.title} — {check.points:g}/{check.max_points:g}")
        lines.append(f"      {check.message}")
        if not check.passed:
            for label, value in (("expected", check.expected), ("observed", check.observed),
                                 ("hint", check.hint), ("lesson", check.lesson_url)):
                if value:
                    lines.append(f"      {label}: {value}")
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Grade Kubernetes manifests against a lab's checks (static, no cluster, no database)."

    def add_arguments(self, parser):
        parser.add_argument("--lab", required=True, help="lab slug, e.g. activity-1-first-deployment")
        parser.add_argument("paths", nargs="+", help="YAML files, .zip/.tar.gz archives, directories, or -")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--trusted", action="store_true",
                            help="skip the sandbox policy (reference solutions)")

    def handle(self, *args, **options):
        try:
            lab = find_lab(options["lab"])
        except ContentErrors as exc:
            raise CommandError(f"the lab's files are invalid:\n{exc}", returncode=2) from None
        files = collect_files(options["paths"])
        try:
            report = grade_static(lab, files, trusted=options["trusted"], limits=conf.limits(),
                                  pod_security=conf.pod_security_for(lab),
                                  denied_cidrs=conf.sandbox_denied_cidrs())
        except GraderError as exc:
            self.stderr.write(f"grader error: {exc}")
            sys.exit(3)
        # This command never reaches a cluster, configured or not: say so.
        report.notes.append(STATIC_ONLY_NOTE)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(format_report(report, lab))
        sys.exit(2 if report.invalid else 0 if report.passed else 1)
