"""Read and validate a course's quiz.yaml (pure: no database).

Structural errors come from the schema with their line; the rules a schema cannot express
(one correct option for single choice, a regex that compiles, enough questions per topic…)
are checked here, each error naming the question.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from courses.quiz import answers as quiz_answers
from courses.schema import Choice, Optional, Slug, validate
from courses.yaml_lines import ContentError, ContentErrors, LocatedYaml, load_located

OPTION = {"text": str, "correct": Optional(bool, False)}
# One accepted shape of a command answer (see courses/quiz/answers.py).
COMMAND = {"run": str, "required": Optional([str], []), "optional": Optional([str], []),
           "forbidden": Optional([str], []), "other_flags": Optional(Choice("refuse", "allow"), "refuse")}
QUIZ_SCHEMA = {
    "title": str,
    "description": str,
    "settings": {
        "questions_per_attempt": int,
        "pass_percent": int,
        "attempts_allowed": Optional(int, 0),
        "cooldown_minutes": Optional(int, 0),
        # After this many failed attempts within cooldown_hours, the next attempt waits until
        # cooldown_hours after the last of them: right/wrong marks can't be farmed attempt by attempt.
        "cooldown_after_failures": Optional(int, 2),
        "cooldown_hours": Optional(int, 24),
        "time_limit_minutes": Optional(int),
        "shuffle_questions": Optional(bool, True),
        "shuffle_options": Optional(bool, True),
        "show_review": Optional(Choice("immediately", "after_passing", "never"), "immediately"),
    },
    "topics": [{"id": Slug, "title": str, "min": Optional(int, 0)}],
    "questions": [{
        "id": Slug,
        "topic": Slug,
        "difficulty": Choice("easy", "medium", "hard"),
        "kind": Choice("single", "multiple", "short", "command"),
        "lesson_link": str,
        "text": str,
        "options": Optional([OPTION], []),
        "accept": Optional([str], []),
        "accept_regex": Optional(str, ""),
        "command": Optional([COMMAND], []),
        "explanation": str,
    }],
}
MAX_COOLDOWN_HOURS = 720  # 30 days: longer is a typo, not a cooldown
LINK_RE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.md#([\w-]+)$")


@dataclass
class QuestionSpec:
    key: str
    position: int
    topic: str
    difficulty: str
    kind: str
    text: str
    options: list[dict]  # [{"id", "text", "correct"}]
    accept: list[str]
    accept_regex: str
    command: list[dict]
    explanation: str
    lesson: tuple[int, str, str]  # (number, slug, anchor)
    line: int | None


@dataclass
class QuizSpec:
    path: Path
    title: str
    description: str
    settings: dict
    topics: list[dict]
    questions: list[QuestionSpec]


def read_quiz(path: Path, lesson_anchors: dict[tuple[int, str], set[str]]) -> QuizSpec:
    """Read quiz.yaml; `lesson_anchors` maps (number, slug) to the anchors of that lesson."""
    try:
        doc = load_located(path.read_text(encoding="utf-8"), path)
    except ContentError as exc:
        raise ContentErrors([exc]) from None
    data, errors = validate(doc, QUIZ_SCHEMA)
    if errors:
        raise ContentErrors(errors)
    topics = {t["id"] for t in data["topics"]}
    questions, seen = [], set()
    for i, q in enumerate(data["questions"]):
        where = f"questions[{i}]"
        errors += [doc.error(f"{where}.{field}", f"question {q['id']!r}: {message}")
                   for field, message in _question_problems(q, topics, seen, lesson_anchors)
                   + _command_problems(q)]
        seen.add(q["id"])
        questions.append(_question_spec(q, i, doc.line(where)))
    errors += _bank_problems(doc, data, questions)
    if errors:
        raise ContentErrors(errors)
    return QuizSpec(path=path, title=data["title"], description=data["description"],
                    settings=data["settings"], topics=data["topics"], questions=questions)


def _question_problems(q: dict, topics: set[str], seen: set[str], lesson_anchors) -> list[tuple[str, str]]:
    problems = []
    if q["id"] in seen:
        problems.append(("id", "duplicate question id"))
    if q["topic"] not in topics:
        problems.append(("topic", f"unknown topic {q['topic']!r} (topics: {', '.join(sorted(topics))})"))
    correct = sum(1 for o in q["options"] if o["correct"])
    if q["kind"] == "single" and (len(q["options"]) < 2 or correct != 1):
        problems.append(("options", f"single choice needs 2+ options and exactly 1 correct, has {correct}"))
    if q["kind"] == "multiple" and (correct < 2 or correct == len(q["options"])):
        problems.append(("options", "multiple choice needs at least 2 correct and 1 incorrect option"))
    if q["kind"] == "short":
        if q["options"]:
            problems.append(("options", "a short-answer question has no options"))
        if not q["accept"] and not q["accept_regex"]:
            problems.append(("accept", "a short-answer question needs accepted answers"))
        if q["accept_regex"]:
            try:
                re.compile(q["accept_regex"])
            except re.error as exc:
                problems.append(("accept_regex", f"does not compile: {exc}"))
    if q["kind"] != "command" and q["command"]:
        problems.append(("command", "only a command question (kind: command) has command rules"))
    match = LINK_RE.match(q["lesson_link"])
    if not match:
        problems.append(("lesson_link", "must look like 03-core-resources.md#labels-and-selectors"))
    else:
        key, file = (int(match.group(1)), match.group(2)), f"{match.group(1)}-{match.group(2)}.md"
        if key not in lesson_anchors:
            problems.append(("lesson_link", f"no lesson file {file}"))
        elif match.group(3) not in lesson_anchors[key]:
            problems.append(("lesson_link", f"no heading #{match.group(3)} in {file}"))
    return problems


def _command_problems(q: dict) -> list[tuple[str, str]]:
    """A command question: rules that parse, accepted examples (shown in reviews) that the rules
    really accept, and no regex or options beside them."""
    if q["kind"] != "command":
        return []
    problems = []
    if q["options"]:
        problems.append(("options", "a command question has no options"))
    if q["accept_regex"]:
        problems.append(("accept_regex", "a command question is judged by its command rules, not a regex"))
    if not q["command"]:
        problems.append(("command", "a command question needs command rules (run, required, optional…)"))
    if not q["accept"]:
        problems.append(("accept", "a command question needs accepted examples to show in reviews"))
    for j, spec in enumerate(q["command"]):
        try:
            quiz_answers.rule(spec)
        except quiz_answers.CommandRefused as exc:
            problems.append((f"command[{j}]", str(exc)))
    if problems:
        return problems
    for j, example in enumerate(q["accept"]):
        reason = quiz_answers.why_not(q["command"], example)
        if reason:
            problems.append((f"accept[{j}]", f"{example!r} is not accepted by the command rules: {reason}"))
    return problems


def _bank_problems(doc: LocatedYaml, data: dict, questions: list[QuestionSpec]) -> list[ContentError]:
    errors = []
    per_attempt = data["settings"]["questions_per_attempt"]
    if len(questions) < per_attempt:
        errors.append(doc.error("questions",
                                f"{len(questions)} questions but each attempt draws {per_attempt}"))
    if sum(t["min"] for t in data["topics"]) > per_attempt:
        errors.append(doc.error("topics", "the topic minimums add up to more than questions_per_attempt"))
    for i, topic in enumerate(data["topics"]):
        have = sum(1 for q in questions if q.topic == topic["id"])
        if have < topic["min"]:
            errors.append(doc.error(f"topics[{i}].min", f"topic {topic['id']!r} needs {topic['min']} "
                                                        f"questions per attempt but the bank has {have}"))
    return errors + _settings_problems(doc, data["settings"])


def _settings_problems(doc: LocatedYaml, settings: dict) -> list[ContentError]:
    problems = []
    if not 1 <= settings["pass_percent"] <= 100:
        problems.append(("pass_percent", "must be between 1 and 100"))
    for field in ("attempts_allowed", "cooldown_minutes", "cooldown_after_failures"):
        if settings[field] < 0:
            problems.append((field, f"must be 0 or more, not {settings[field]}"))
    if not 1 <= settings["cooldown_hours"] <= MAX_COOLDOWN_HOURS:
        problems.append(("cooldown_hours", f"must be between 1 and {MAX_COOLDOWN_HOURS} hours, "
                                           f"not {settings['cooldown_hours']}"))
    return [doc.error(f"settings.{field}", message) for field, message in problems]


def _question_spec(q: dict, position: int, line: int | None) -> QuestionSpec:
    match = LINK_RE.match(q["lesson_link"])
    lesson = (int(match.group(1)), match.group(2), match.group(3)) if match else (0, "", "")
    options = [{"id": option_id(q["id"], o["text"]), "text": o["text"], "correct": o["correct"]}
               for o in q["options"]]
    return QuestionSpec(key=q["id"], position=position, topic=q["topic"], difficulty=q["difficulty"],
                        kind=q["kind"], text=q["text"], options=options, accept=q["accept"],
                        accept_regex=q["accept_regex"], command=q["command"], explanation=q["explanation"],
                        lesson=lesson, line=line)


def option_id(question_key: str, text: str) -> str:
    """Stable, opaque: the id says nothing about the option's position or correctness."""
    return hashlib.sha256(f"{question_key}\0{text}".encode()).hexdigest()[:10]


_QUOTES = "\"'`“”‘’"
# Sentence punctuation typed after an answer ("Guaranteed.", "base64!"). A name never ends with
# these, except a fully qualified domain name's dot, which the accepted forms list both ways.
_TRAILING = ".,;:!?"


def normalise(answer: str) -> str:
    """Case, inner whitespace, surrounding quotes and trailing punctuation do not matter in short
    answers; `key: value` and `key:value` are one answer."""
    text = " ".join(answer.split()).lower()
    while True:
        before = text
        while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = text[1:-1].strip()
        text = text.rstrip(_TRAILING).rstrip()
        if text == before:
            break
    return re.sub(r"\s*:\s*", ": ", text)
