"""Hostile uploads (issue 12, items 13 and 14): each is refused (`invalid`) with a message that
names the problem, within a time and memory bound. Memory is bounded for real: the upload is
parsed in the child process with a small address-space budget, and must be refused for its own
reason, not because the child ran out of memory."""

import io
import tarfile
import time
import zipfile
import zlib

import pytest

from grading.intake.isolated import Isolation, run_isolated
from grading.intake.parsing import MAX_NAME_CHARS, SHOWN_NAME_CHARS, Limits, Problem, parse_submission
from grading.labs import LabSpec
from grading.pipeline import MAX_ERRORS, MAX_MESSAGE_CHARS, GradeReport, grade_static
from grading.tests.conftest import submit

MiB = 1024 * 1024
LIMITS = Limits()
# Far less than the bombs below would take if they were read (64 MB of long name, say).
SMALL = Isolation(memory_mb=48, cpu_seconds=5)
LAB = LabSpec(slug="lab", title="Lab", checks=[])
CONFIGMAP = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"


def _gzip(chunks) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return b"".join([*(compressor.compress(c) for c in chunks), compressor.flush()])


def _header(name: str, type_: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size = type_, size
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _padded(data_size: int, byte: bytes = b"a"):
    for _ in range(data_size // MiB):
        yield byte * MiB
    yield byte * (data_size % MiB) + b"\0" * (-data_size % 512)


def long_name_bomb(size: int = 64 * MiB) -> bytes:
    """A GNU ././@LongLink header announcing a `size`-byte member name (the issue's bomb was 900 MB)."""
    return _gzip([_header("././@LongLink", tarfile.GNUTYPE_LONGNAME, size), *_padded(size),
                  _header("x.yaml", tarfile.REGTYPE, 0), b"\0" * 1024])


def pax_bomb(size: int = 64 * MiB) -> bytes:
    prefix = f"{size} path=".encode()
    return _gzip([_header("././@PaxHeader", tarfile.XHDTYPE, size), prefix,
                  *_padded(size - len(prefix)), _header("x.yaml", tarfile.REGTYPE, 0), b"\0" * 1024])


def pax_chain(count: int = 20_000) -> bytes:
    record = b"20 comment=xxxxxxxx\n"
    one = _header("././@PaxHeader", tarfile.XHDTYPE, len(record)) + record + b"\0" * (512 - len(record))
    return _gzip([one * count, _header("x.yaml", tarfile.REGTYPE, 0), b"\0" * 1024])


def make_tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def isolated(name: str, data: bytes, isolation: Isolation = SMALL):
    started = time.perf_counter()
    run = run_isolated([(name, data)], LIMITS, isolation)
    return run, time.perf_counter() - started


def only_message(run) -> str:
    assert run.result.objects == []
    assert len(run.result.errors) == 1, run.result.errors
    return str(run.result.errors[0])


# --- item 13: tar and zip headers --------------------------------------------------------------

@pytest.mark.parametrize("bomb", [long_name_bomb, pax_bomb], ids=["gnu-long-name", "pax-path"])
def test_a_tar_header_announcing_a_huge_name_is_refused_before_it_is_read(bomb):
    data = bomb()
    assert len(data) < 200 * 1024  # a small upload...
    run, seconds = isolated("bomb.tar.gz", data)
    # ...refused for what it is, within the budget: not a child that ran out of its 48 MB.
    assert run.failure == "", run.stderr
    message = only_message(run)
    assert message.startswith("bomb.tar.gz: the archive unpacks to more than 1 MiB plus")
    assert "bytes of headers" in message
    assert run.cpu_ms is not None and run.cpu_ms < 1000
    assert seconds < 5


def test_chained_pax_headers_are_refused_not_a_crash():
    # tarfile follows PAX headers recursively: thousands of them raised RecursionError.
    result = parse_submission([("chain.tar.gz", pax_chain())], LIMITS)
    assert [str(e) for e in result.errors] == [
        "(upload): the upload is nested too deeply to be read (chained archive headers?)"]


def test_tar_member_names_are_capped_and_shortened_in_messages():
    name = "d/" * 600 + "x.yaml"  # 1,206 characters, each component short
    result = parse_submission([("long.tar.gz", make_tar({name: b"a: 1\n"}))], LIMITS)
    message = str(result.errors[0])
    assert f"has a name of {len(name)} characters; at most {MAX_NAME_CHARS}" in message
    assert "…" in message and len(message) < 250


def test_a_tar_member_name_component_longer_than_255_characters_is_refused():
    name = "a" * 300 + ".yaml"
    result = parse_submission([("long.tar.gz", make_tar({name: b"a: 1\n"}))], LIMITS)
    assert "has a path component longer than 255 characters" in str(result.errors[0])


def test_names_of_ignored_members_in_notes_are_shortened_and_counted():
    members = {f"{'n' * 200}{i}.txt": b"" for i in range(45)} | {"d.yaml": CONFIGMAP + b"  a: b\n"}
    report = grade_static(LAB, [("notes.tar.gz", make_tar(members))], isolation=None)
    assert not report.invalid
    [note] = report.notes
    assert note.startswith("Ignored (not YAML): notes.tar.gz:nnn")
    assert note.endswith(" and 25 more")
    assert len(note) < 20 * (len("notes.tar.gz:") + SHOWN_NAME_CHARS + 2) + 50


def test_a_zip_with_long_names_a_big_extra_field_and_comment_is_refused_briefly():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.comment = b"c" * 65_000
        info = zipfile.ZipInfo("d/" * 30_000 + "x.yaml")
        info.extra = b"\x99\x99" + (60_000).to_bytes(2, "little") + b"e" * 60_000
        archive.writestr(info, b"a: 1\n")
    run, _ = isolated("names.zip", buffer.getvalue())
    message = only_message(run)
    assert message.startswith("names.zip: archive member 'd/d/d/")
    assert "has a name of 60006 characters; at most 1024" in message and len(message) < 250


def test_stored_errors_are_capped_in_number_and_length():
    # 180 objects, each with an unknown 1,000-character field: one schema error per object.
    doc = CONFIGMAP.replace(b"\ndata:\n", b"\n") + b"  " + b"z" * 1_000 + b": 1\n"
    report = grade_static(LAB, [("many.yaml", b"---\n".join([doc] * 180))], isolation=None)
    assert len(report.errors) == MAX_ERRORS
    assert report.errors[-1].message == "81 more problems not shown: fix these first"
    assert all(e.field is None or len(e.field) <= 300 for e in report.errors)
    assert "unknown field" in report.errors[0].message


def test_a_report_caps_long_messages_and_notes():
    report = GradeReport(lab="lab", errors=[Problem("f" * 5_000, 1, 1, None, "m" * 100_000)],
                         notes=["n" * 100_000] * 80).cap()
    assert len(report.errors[0].message) == MAX_MESSAGE_CHARS and report.errors[0].message.endswith("…")
    assert len(report.errors[0].file) == 300
    assert len(report.notes) == 50 and report.notes[-1] == "31 more notes not shown"
    assert all(len(note) <= MAX_MESSAGE_CHARS for note in report.notes)


def test_a_tar_long_name_bomb_submitted_ends_invalid_with_a_small_report(alice, lab):
    submission = submit(alice, lab, [("bomb.tar.gz", long_name_bomb(16 * MiB))])
    assert submission.status == submission.Status.INVALID
    assert "the archive unpacks to more than 1 MiB plus" in submission.errors[0]["message"]
    assert len(str(submission.errors)) + len(str(submission.notes)) < 5_000


# --- item 14: YAML numbers ---------------------------------------------------------------------

def test_a_base_60_looking_value_stays_a_string_and_costs_nothing():
    result = parse_submission([("b.yaml", CONFIGMAP + b"  t: 1:30\n  u: 190:20:30.15\n")], LIMITS)
    assert result.errors == []
    assert result.objects[0].data["data"] == {"t": "1:30", "u": "190:20:30.15"}
    started = time.perf_counter()
    result = parse_submission([("b60.yaml", b"x: " + b"1:" * 450_000 + b"1\n")], LIMITS)
    assert time.perf_counter() - started < 1  # PyYAML's base-60 int took 60 s
    assert "every object needs `apiVersion`" in str(result.errors[0])


@pytest.mark.parametrize("literal", [b"0x" + b"f" * 4_300, b"9" * 5_000, b"-0b" + b"1" * 70,
                                     b"9223372036854775808", b"-9223372036854775809"])
def test_an_integer_beyond_64_bits_is_a_located_problem(literal):
    report = grade_static(LAB, [("n.yaml", CONFIGMAP + b"  n: " + literal + b"\n")], isolation=None)
    assert report.invalid  # before: ValueError out of grade_static ("not graded"), or a 4,300-digit repr
    [problem] = report.errors
    assert (problem.file, problem.document, problem.line, problem.field) == ("n.yaml", 1, 6, "data.n")
    assert "does not fit in a 64-bit integer" in problem.message and len(problem.message) < 250


def test_integers_within_64_bits_are_read():
    text = CONFIGMAP.replace(b"\ndata:\n", b"\nspec:\n") + (b"  a: 9223372036854775807\n"
                                                      b"  b: -9223372036854775808\n"
                                                      b"  c: 0x7fffffffffffffff\n  d: 0o17\n  e: 017\n")
    result = parse_submission([("n.yaml", text)], LIMITS)
    assert result.objects[0].data["spec"] == {"a": 2 ** 63 - 1, "b": -(2 ** 63), "c": 2 ** 63 - 1,
                                              "d": "0o17", "e": 15}


def test_a_huge_int_in_a_submission_ends_invalid_not_not_graded(alice, lab):
    submission = submit(alice, lab, [("hex.yaml", CONFIGMAP + b"  n: 0x" + b"f" * 4_300 + b"\n")])
    assert submission.status == submission.Status.INVALID
    assert submission.errors[0]["line"] == 6 and submission.errors[0]["field"] == "data.n"


@pytest.mark.parametrize("field", [b"kind", b"apiVersion"])
def test_a_5000_character_kind_or_api_version_is_a_problem_not_a_grader_error(field):
    # The schema file's name was built from it: is_file() raised "File name too long".
    text = CONFIGMAP.replace(field + b": ", field + b": " + b"x" * 5_000, 1)
    report = grade_static(LAB, [("k.yaml", text)], isolation=None)
    [problem] = report.errors
    assert problem.field == "kind" and "has no kind" in problem.message and len(problem.message) < 300


def test_nul_characters_and_undecodable_names_are_stored_escaped():
    # PostgreSQL refuses NUL and lone surrogates in text and jsonb: storing them failed the run.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT,
                      errors="surrogateescape") as tar:
        for name, data in (("\udcff.txt", b""), ("c.yaml", CONFIGMAP.replace(b"  name: c\n",
                                                                              b'  name: c\n  "x\\0": 1\n'))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    report = grade_static(LAB, [("n.tar.gz", buffer.getvalue())], isolation=None)
    assert report.notes == ["Ignored (not YAML): n.tar.gz:\\udcff.txt"]
    [problem] = report.errors
    assert problem.field == "metadata.x\\x00" and "\x00" not in problem.message
