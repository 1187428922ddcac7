"""Search across the lessons: their headings and text, never the quiz.

The index is one LessonSection row per heading (courses.models.search), rebuilt from the stored
lesson HTML whenever load_course imports a course (`index_course`, a content importer).
Queries go to one of three backends, picked by the database in use:

- PostgreSQL: full-text search on a weighted tsvector (lesson title A, heading B, text C) kept
  in the row and a GIN index; ts_rank orders, ts_headline cuts the snippets;
- SQLite with FTS5: a porter-stemmed FTS5 table (made by migration 0012) ranked by bm25 with the
  same weights, `snippet()` for the snippets;
- anything else (SQLite built without FTS5): a plain scan of the rows, scored in Python.

User text never reaches a query language: it is cut to MAX_QUERY_CHARS, split into words
(letters and digits only) and each word is passed as a value, so `%`, quotes, `NEAR(` or
`" OR 1=1` are just words or nothing. Snippets are plain text with two control characters
around matches; `_mark_up` escapes the text and only then turns those into <mark>.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.db import connection, models, transaction
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
RESULT_LIMIT = 30
SNIPPET_WORDS = 28

START, STOP = "\x02", "\x03"  # around matches in raw snippets; stripped from indexed text
# PostgreSQL's parser reads "<script>…</script>" as HTML and skips it, so a code example would
# be neither found nor shown: it is given "<" followed by this (also stripped from indexed text).
TAG_BREAK = "\x01"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD_RE = re.compile(r"[^\W_]+")
FTS_TABLE = "courses_lessonsection_fts"
ANCHOR_MAX, HEADING_MAX = 200, 300  # LessonSection.anchor / .heading max_length
WEIGHTS = {"title": 10.0, "heading": 4.0, "text": 1.0}  # bm25 / plain scan; PostgreSQL: A, B, C

# Dropped from FTS5 and scan queries (PostgreSQL's english configuration drops its own), so a
# question typed as a sentence still finds the section that answers it.
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i",
    "in", "is", "it", "me", "my", "of", "on", "or", "so", "that", "the", "this", "to", "was", "what",
    "when", "where", "which", "who", "why", "will", "with", "you", "your",
})


@dataclass(frozen=True)
class Hit:
    course_title: str
    lesson_number: int
    lesson_title: str
    heading: str
    url: str
    snippet: SafeString


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    problem: str = ""  # a sentence for the student when the query could not be run


def parse_query(raw: str) -> tuple[list[str], str]:
    """The words to search for and, when there are none to use, why (in plain words)."""
    if len(raw) > MAX_QUERY_CHARS:
        return [], (f"That search is {len(raw):,} characters long; searches can be up to "
                    f"{MAX_QUERY_CHARS}. Try two or three key words.")
    words: list[str] = []
    for word in _WORD_RE.findall(raw.lower()):
        if word not in words:
            words.append(word)
    if raw.strip() and not words:
        return [], "Type a word or two with letters or digits, for example “rolling update”."
    if words and all(word in STOP_WORDS for word in words):
        # PostgreSQL would ignore them all and find nothing; say why on every backend.
        return [], ("Those words are too common to search for. Add the name of what you are "
                    "looking for, for example “how to scale a deployment”.")
    return words[:MAX_TERMS], ""


def search(raw_query: str, *, course_id: int | None = None, limit: int = RESULT_LIMIT) -> Results:
    """The sections matching every word of `raw_query`, best first (in one course, or all)."""
    results = Results(query=raw_query.strip())
    terms, results.problem = parse_query(raw_query)
    if not terms:
        return results
    backend = _backend()
    rows = backend(terms, course_id, limit)
    results.hits = [_hit(row) for row in rows]
    return results


# --- backends ------------------------------------------------------------------------------
# Each returns rows of (course_slug, course_title, lesson_number, lesson_slug, lesson_title,
# anchor, heading, raw_snippet) in rank order.

def _backend():
    if connection.vendor == "postgresql":
        return _search_postgres
    if connection.vendor == "sqlite" and _fts5_table_exists():
        return _search_fts5
    return _search_scan


def _search_postgres(terms: list[str], course_id: int | None, limit: int) -> list[tuple]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
    from django.db.models import F

    from courses.models import LessonSection

    query = SearchQuery(" ".join(terms), search_type="plain", config="english")
    sections = LessonSection.objects.filter(vector=query)
    if course_id is not None:
        sections = sections.filter(lesson__course_id=course_id)
    # ts_headline is costly (it re-parses the text); PostgreSQL evaluates it after the LIMIT.
    sections = sections.annotate(
        rank=SearchRank(F("vector"), query, normalization=1),
        snippet=SearchHeadline(_pg_text("text"), query, config="english", start_sel=START, stop_sel=STOP,
                               max_words=SNIPPET_WORDS, min_words=12, max_fragments=2,
                               fragment_delimiter=" … "),
    ).order_by("-rank", "lesson__course__title", "lesson__number", "position")
    return list(sections.values_list(
        "lesson__course__slug", "lesson__course__title", "lesson__number", "lesson__slug",
        "lesson__title", "anchor", "heading", "snippet")[:limit])


def _pg_text(expression):
    from django.db.models import F, TextField, Value
    from django.db.models.functions import Replace

    if isinstance(expression, str):
        expression = F(expression)
    return Replace(expression, Value("<"), Value("<" + TAG_BREAK), output_field=TextField())


def _search_fts5(terms: list[str], course_id: int | None, limit: int) -> list[tuple]:
    words = [t for t in terms if t not in STOP_WORDS]
    # Each word is letters and digits only and double-quoted: an FTS5 string, never syntax.
    match = " ".join(f'"{word}"' for word in words)
    section, lesson, course = _tables()
    where, params = "", [match]
    if course_id is not None:
        where, params = "AND c.id = %s", [match, course_id]
    sql = (
        "SELECT c.slug, c.title, l.number, l.slug, l.title, s.anchor, s.heading, "  # noqa: S608
        f"snippet({FTS_TABLE}, 2, char(2), char(3), ' … ', {SNIPPET_WORDS - 4}) "
        f"FROM {FTS_TABLE} JOIN {section} s ON s.id = {FTS_TABLE}.rowid "
        f"JOIN {lesson} l ON l.id = s.lesson_id JOIN {course} c ON c.id = l.course_id "
        f"WHERE {FTS_TABLE} MATCH %s {where} "
        f"ORDER BY bm25({FTS_TABLE}, {WEIGHTS['title']}, {WEIGHTS['heading']}, {WEIGHTS['text']}), "
        "c.title, l.number, s.position LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


def _search_scan(terms: list[str], course_id: int | None, limit: int) -> list[tuple]:
    from django.db.models import Q

    from courses.models import LessonSection

    words = [t for t in terms if t not in STOP_WORDS]
    sections = LessonSection.objects.select_related("lesson__course")
    if course_id is not None:
        sections = sections.filter(lesson__course_id=course_id)
    for word in words:  # icontains escapes % and _ itself
        sections = sections.filter(Q(text__icontains=word) | Q(heading__icontains=word)
                                   | Q(lesson__title__icontains=word))
    # The database matched substrings; keep the sections where every word starts a word (as
    # "deploy" finds "deployments", but "ploy" finds nothing), and count the hits per field.
    starts = [re.compile(rf"\b{re.escape(word)}", re.IGNORECASE) for word in words]
    scored = []
    for s in sections:
        fields = {"title": s.lesson.title, "heading": s.heading, "text": s.text}
        counts = [sum(len(p.findall(value)) for value in fields.values()) for p in starts]
        if not all(counts):
            continue
        score = sum(WEIGHTS[name] * len(p.findall(value)) for name, value in fields.items() for p in starts)
        scored.append((-score, s.lesson.course.title, s.lesson.number, s.position, s))
    scored.sort(key=lambda item: item[:4])
    return [(s.lesson.course.slug, s.lesson.course.title, s.lesson.number, s.lesson.slug,
             s.lesson.title, s.anchor, s.heading, _scan_snippet(s.text, words))
            for *_, s in scored[:limit]]


def _scan_snippet(text: str, words: list[str]) -> str:
    """About SNIPPET_WORDS words of `text` around the first match, matches between START/STOP."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                         + r")\w*", re.IGNORECASE)
    first = pattern.search(text)
    tokens = text.split()
    if first is not None:
        at = len(text[:first.start()].split())
        begin = max(0, at - SNIPPET_WORDS // 3)
    else:
        begin = 0
    window = " ".join(tokens[begin:begin + SNIPPET_WORDS])
    window = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", window)
    prefix = "… " if begin else ""
    suffix = " …" if begin + SNIPPET_WORDS < len(tokens) else ""
    return prefix + window + suffix


def _fts5_table_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
        return cursor.fetchone() is not None


def _tables() -> tuple[str, str, str]:
    from courses.models import Course, Lesson, LessonSection

    return tuple(connection.ops.quote_name(m._meta.db_table) for m in (LessonSection, Lesson, Course))


def _hit(row: tuple) -> Hit:
    course_slug, course_title, number, lesson_slug, lesson_title, anchor, heading, snippet = row
    url = reverse("lesson", args=[course_slug, lesson_slug]) + (f"#{anchor}" if anchor else "")
    return Hit(course_title=course_title, lesson_number=number, lesson_title=lesson_title,
               heading=heading, url=url, snippet=_mark_up(snippet or ""))


def _mark_up(raw: str) -> SafeString:
    """Escape a raw snippet, then turn the match markers into <mark> (and drop unpaired ones)."""
    escaped = html.escape(raw, quote=True)
    out, open_ = [], False
    for char in escaped:
        if char == START and not open_:
            out.append("<mark>")
            open_ = True
        elif char == STOP and open_:
            out.append("</mark>")
            open_ = False
        elif char not in (START, STOP, TAG_BREAK):
            out.append(char)
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above; only our own tags added


# --- the index -------------------------------------------------------------------------------

@dataclass
class Section:
    anchor: str
    heading: str
    text: str


class _SectionSplitter(HTMLParser):
    """Splits a lesson's stored HTML at its h2/h3 headings (the ones with ids, as in its toc)."""

    BLOCKS = frozenset({"p", "li", "pre", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "br",
                        "blockquote", "figcaption", "tr", "div", "aside", "summary", "code"})

    def __init__(self, intro_heading: str):
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = [{"anchor": "", "heading": [intro_heading], "text": []}]
        self.heading_tag: str | None = None
        self.skip = 0  # inside a heading's "#" permalink

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("h2", "h3") and attributes.get("id"):
            self.sections.append({"anchor": attributes["id"], "heading": [], "text": []})
            self.heading_tag = tag
            return
        if tag == "a" and "header-anchor" in (attributes.get("class") or "").split():
            self.skip += 1
        if tag in self.BLOCKS:
            self._emit(" ")

    def handle_endtag(self, tag):
        if tag == "a" and self.skip:
            self.skip -= 1
        elif tag == self.heading_tag:
            self.heading_tag = None
        elif tag in self.BLOCKS:
            self._emit(" ")

    def handle_data(self, data):
        if not self.skip:
            self._emit(data)

    def _emit(self, text: str) -> None:
        self.sections[-1]["heading" if self.heading_tag else "text"].append(text)


def _clean(parts: Iterable[str]) -> str:
    return " ".join(_CONTROL_RE.sub(" ", "".join(parts)).split())


def split_sections(body_html: str, *, title: str) -> list[Section]:
    """A lesson's sections in page order; the text before the first heading is titled `title`."""
    splitter = _SectionSplitter(title)
    splitter.feed(body_html)
    splitter.close()
    sections = []
    for i, raw in enumerate(splitter.sections):
        heading, text = _clean(raw["heading"]), _clean(raw["text"])
        if i == 0 and not text:
            continue
        # The columns' limits; an anchor too long to store links to the top of the lesson instead.
        anchor = raw["anchor"] if len(raw["anchor"]) <= ANCHOR_MAX else ""
        sections.append(Section(anchor=anchor, heading=heading[:HEADING_MAX], text=text))
    return sections


@transaction.atomic
def index_course(*, course, path=None, report=None) -> int:
    """Rebuild the search rows of `course`'s lessons that changed since they were indexed;
    returns how many lessons were re-indexed. A content importer (see
    services.register_content_importer): it runs inside load_course's transaction, so the index
    always matches the committed lessons, and a second import writes nothing."""
    from courses.models import LessonSection

    changed = []
    lessons = course.lessons.only("id", "title", "body_html", "content_hash").prefetch_related(
        models.Prefetch("sections", LessonSection.objects.only("id", "lesson_id", "source_hash")))
    for lesson in lessons:
        have = lesson.sections.all()
        if have and all(s.source_hash == lesson.content_hash for s in have):
            continue
        wanted = split_sections(lesson.body_html, title=lesson.title)
        if not have and not wanted:
            continue
        LessonSection.objects.filter(lesson=lesson).delete()
        LessonSection.objects.bulk_create(
            LessonSection(lesson=lesson, anchor=s.anchor, heading=s.heading, position=i, text=s.text,
                          source_hash=lesson.content_hash)
            for i, s in enumerate(wanted))
        changed.append(lesson)
    if changed:
        _index_rows(changed)
    return len(changed)


def _index_rows(lessons: list) -> None:
    from courses.models import LessonSection

    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector
        from django.db.models import Value

        for lesson in lessons:
            LessonSection.objects.filter(lesson=lesson).update(vector=(
                SearchVector(_pg_text(Value(lesson.title)), weight="A", config="english")
                + SearchVector(_pg_text("heading"), weight="B", config="english")
                + SearchVector(_pg_text("text"), weight="C", config="english")))
    elif connection.vendor == "sqlite" and _fts5_table_exists():
        section, lesson_table, _ = _tables()
        ids = [lesson.pk for lesson in lessons]
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            # Rows of removed lessons too: their ids no longer exist in the sections table.
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid NOT IN (SELECT id FROM {section})")  # noqa: S608
            cursor.execute(
                f"INSERT OR REPLACE INTO {FTS_TABLE} (rowid, title, heading, text) "  # noqa: S608
                f"SELECT s.id, l.title, s.heading, s.text FROM {section} s "
                f"JOIN {lesson_table} l ON l.id = s.lesson_id WHERE s.lesson_id IN ({marks})", ids)
