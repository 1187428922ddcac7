"""What an instructor reads when reviewing a submission: its files highlighted with line numbers,
the README rendered safely, stages and notes as text, and a per-file diff against the student's
previous submission of the same lab.

Everything here comes from the student and is hostile until shown otherwise. Pygments escapes
what it highlights; the README goes through the course's markdown renderer and then a stricter
sanitiser (no images, ids or inline styles: nothing that could fetch, clash with the admin's own
ids or be blocked by the CSP). Sizes are bounded before any work: a file shows at most
MAX_FILE_BYTES, MAX_LINES lines of at most MAX_LINE_CHARS characters each, so a 1 MB line or a
binary blob costs milliseconds and renders as a short note.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import nh3
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer, MarkdownLexer, TextLexer, YamlLexer

from courses.markdown import ALLOWED_TAGS, render_markdown
from grading.models import Submission, SubmissionFile

MAX_FILE_BYTES = 200_000
MAX_LINES = 3_000
MAX_LINE_CHARS = 500
MAX_DIFF_LINES = 1_500
MAX_PAGE_LINES = 12_000
MAX_README_CHARS = 50_000

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
LEXERS = {".yaml": YamlLexer, ".yml": YamlLexer, ".md": MarkdownLexer, ".markdown": MarkdownLexer,
          ".json": JsonLexer}
README_NAMES = ("readme.md", "readme.markdown", "readme.txt", "readme")
# The README is the student's: tags without images, and no attribute but links' href/title and
# the highlighter's classes (an id could repeat one of the admin page's own).
README_TAGS = ALLOWED_TAGS - {"img"}
PERMALINK_RE = re.compile(r'\s*<a href="#[^"]*"[^>]*>#</a>')
README_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "pre": {"class"}, "code": {"class"}}


@dataclass
class FileView:
    name: str
    size: int
    language: str
    html: SafeString | None = None  # the highlighted source, None for a binary file or archive
    note: str = ""  # why nothing or only part of the file is shown
    readme_html: SafeString | None = None


@dataclass
class DiffLine:
    kind: str  # "add", "del", "hunk" or "same"
    text: str

    @property
    def sign(self) -> str:
        return {"add": "+", "del": "−", "hunk": "", "same": " "}[self.kind]


@dataclass
class FileDiff:
    name: str
    change: str  # "added", "removed", "changed", "unchanged"
    lines: list[DiffLine] = field(default_factory=list)
    note: str = ""

    @property
    def change_text(self) -> str:
        return {"added": "New file", "removed": "Removed", "changed": "Changed",
                "unchanged": "Unchanged"}[self.change]


@dataclass
class StageRow:
    name: str
    duration: str
    details: list[str] = field(default_factory=list)


# --- files ----------------------------------------------------------------------------------------

def decode_text(content: bytes) -> str | None:
    """The file as text, or None when it is binary (a NUL byte, or not UTF-8)."""
    head = content[:MAX_FILE_BYTES]
    if b"\0" in head:
        return None
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(content) > MAX_FILE_BYTES:
            return head[:exc.start].decode("utf-8-sig")  # cut inside a character by the clip
        return None


def bounded_lines(text: str) -> tuple[list[str], str]:
    """The lines to show and a note of what was left out."""
    lines = text.splitlines()
    notes = []
    if len(lines) > MAX_LINES:
        notes.append(f"the first {MAX_LINES:,} of {len(lines):,} lines are shown")
        lines = lines[:MAX_LINES]
    long = sum(1 for line in lines if len(line) > MAX_LINE_CHARS)
    if long:
        notes.append(f"{long} line{'s' if long > 1 else ''} longer than {MAX_LINE_CHARS} characters "
                     "cut short (…)")
        lines = [line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "…" for line in lines]
    return lines, "; ".join(notes)


def _language(name: str) -> tuple[str, type]:
    lower = name.lower()
    for suffix, lexer in LEXERS.items():
        if lower.endswith(suffix):
            return suffix.lstrip(".").upper().replace("YML", "YAML").replace("MARKDOWN", "MD"), lexer
    return "Text", TextLexer


def _is_readme(name: str) -> bool:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower() in README_NAMES


def render_file(name: str, content: bytes, index: int = 0) -> FileView:
    """One file for the review page: highlighted with line numbers, or a note saying why not."""
    size = len(content)
    if name.lower().endswith(ARCHIVE_SUFFIXES) or content[:4] == b"PK\x03\x04" or content[:2] == b"\x1f\x8b":
        return FileView(name, size, "Archive", note="An archive: the grader read the files inside it; "
                                                     "they are not unpacked on this page.")
    text = decode_text(content)
    if text is None:
        return FileView(name, size, "Binary", note="Not text (binary or not UTF-8): not shown.")
    lines, note = bounded_lines(text)
    if size > MAX_FILE_BYTES:
        note = "; ".join(filter(None, [f"the first {MAX_FILE_BYTES // 1000} kB are shown", note]))
    language, lexer = _language(name)
    formatter = HtmlFormatter(linenos="inline", cssclass="review-code", wrapcode=True,
                              lineanchors=f"file-{index}-line")
    html = highlight("\n".join(lines) + "\n", lexer(), formatter)
    view = FileView(name, size, language, html=mark_safe(html),  # noqa: S308 - Pygments escapes the text
                    note=note[:1].upper() + note[1:] + "." if note else "")
    if _is_readme(name) and language in ("MD", "Text"):
        view.readme_html = readme_html(text)
    return view


def readme_html(text: str) -> SafeString:
    """The student's README as HTML: the course's renderer, then a stricter sanitiser."""
    rendered = render_markdown(text[:MAX_README_CHARS]).html
    clean = nh3.clean(rendered, tags=README_TAGS, attributes=README_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    # Heading permalinks ("#") would point at ids that were dropped (or at the admin's own).
    clean = PERMALINK_RE.sub("", clean)
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


def file_views(submission: Submission) -> list[FileView]:
    """Every file of the submission; past MAX_PAGE_LINES lines in all, files are named only (up
    to 50 files of 3,000 lines would make a page no browser wants)."""
    views, shown = [], 0
    for i, f in enumerate(submission.files.all()):
        if shown >= MAX_PAGE_LINES:
            views.append(FileView(f.name, f.size, "Text", note=f"Not shown: this page already shows "
                                                                f"{MAX_PAGE_LINES:,} lines."))
            continue
        view = render_file(f.name, bytes(f.content), i)
        shown += view.html.count('class="linenos"') if view.html else 0
        views.append(view)
    return views


# --- the diff -------------------------------------------------------------------------------------

def previous_submission(submission: Submission) -> Submission | None:
    """The student's submission of the same lab just before this one."""
    return (Submission.objects.filter(user_id=submission.user_id, lab_id=submission.lab_id)
            .filter(created_at__lte=submission.created_at).exclude(pk=submission.pk)
            .exclude(created_at=submission.created_at, pk__gt=submission.pk)
            .order_by("-created_at", "-id").only("id", "created_at", "status").first())


def _file_map(files) -> dict[str, bytes]:
    named: dict[str, bytes] = {}
    for f in files:
        named.setdefault(f.name, bytes(f.content))
    return named


def _text_lines(content: bytes) -> list[str] | None:
    text = decode_text(content)
    return None if text is None else bounded_lines(text)[0]


def diff_files(before: list[SubmissionFile], after: list[SubmissionFile]) -> list[FileDiff]:
    """Per file (matched by name): what changed from `before` to `after`, as unified diff lines."""
    old, new = _file_map(before), _file_map(after)
    diffs = []
    for name in [*new, *(n for n in old if n not in new)]:
        if name not in old:
            diffs.append(FileDiff(name, "added"))
            continue
        if name not in new:
            diffs.append(FileDiff(name, "removed"))
            continue
        if old[name] == new[name]:
            diffs.append(FileDiff(name, "unchanged"))
            continue
        a, b = _text_lines(old[name]), _text_lines(new[name])
        if a is None or b is None:
            diffs.append(FileDiff(name, "changed", note="Not text: the bytes differ."))
            continue
        diffs.append(_unified(name, a, b))
    return diffs


def _unified(name: str, a: list[str], b: list[str]) -> FileDiff:
    result = FileDiff(name, "changed")
    for line in difflib.unified_diff(a, b, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if len(result.lines) >= MAX_DIFF_LINES:
            result.note = f"Only the first {MAX_DIFF_LINES:,} lines of the diff are shown."
            break
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "same")
        text = line if kind == "hunk" else line[1:]
        if kind == "hunk":
            text = _hunk_words(line)
        result.lines.append(DiffLine(kind, text))
    if not result.lines:
        result.note = "Only line endings or the byte order mark differ."
    return result


def _hunk_words(header: str) -> str:
    """"@@ -3,4 +3,5 @@" as "Lines 3–7 (before: 3–6)"."""
    try:
        _, old, new, *_ = header.split()
        start, _, count = new.lstrip("+").partition(",")
        o_start, _, o_count = old.lstrip("-").partition(",")
        end = int(start) + max(int(count or 1) - 1, 0)
        o_end = int(o_start) + max(int(o_count or 1) - 1, 0)
        return f"Lines {start}–{end} (before: {o_start}–{o_end})"
    except ValueError:
        return header


# --- stages and notes -----------------------------------------------------------------------------

STAGE_NAMES = {"parse": "Reading the files", "validate": "Checking against Kubernetes' schema",
               "policy": "Sandbox rules", "checks": "The lab's checks", "live": "In the sandbox"}


def stage_rows(stages) -> list[StageRow]:
    """The pipeline's stages as a table: name, how long, and for the live stage what it found."""
    rows = []
    for stage in stages if isinstance(stages, list) else []:
        if not isinstance(stage, dict):
            continue
        name = str(stage.get("name") or "stage")[:80]
        ms = stage.get("ms")
        duration = _duration(ms) if isinstance(ms, int | float) else "did not finish"
        details = []
        timings = stage.get("timings")
        if isinstance(timings, dict):
            details += [f"{str(k)[:60]}: {_duration(v)}" for k, v in list(timings.items())[:20]
                        if isinstance(v, int | float)]
        diagnoses = stage.get("diagnoses")
        for diagnosis in diagnoses[:20] if isinstance(diagnoses, list) else []:
            if isinstance(diagnosis, dict):
                details.append(str(diagnosis.get("message") or diagnosis.get("title") or "")[:500])
        rows.append(StageRow(STAGE_NAMES.get(name, name.replace("_", " ").capitalize()), duration,
                             [d for d in details if d]))
    return rows


def _duration(ms: float) -> str:
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"
