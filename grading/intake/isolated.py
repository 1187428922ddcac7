"""Parse an untrusted upload in a child process with memory and CPU limits.

grading/intake/parsing.py refuses every bomb we know of; this is for the ones we don't: whatever an
upload makes the parser do, it costs one short-lived child, never the grading worker.

Celery's prefork workers are daemonic and multiprocessing refuses to start children there, so
the child is a plain subprocess, `python -E -s -m grading.intake.parse_child MEMORY_MB CPU_SECONDS`:
- it imports only what parsing needs (no Django: ~50 ms of CPU to start), then caps its address
  space (RLIMIT_AS) at what it uses once started plus MEMORY_MB, and its CPU time
  (RLIMIT_CPU), before it reads a byte of the upload;
- stdin: one JSON line {"limits": {...}, "files": [[name, size], ...]}, then the files' bytes;
- stdout: one JSON document (never pickle: the child's output is as untrusted as its input)
  holding the ParseResult, with each object's node tree reduced to what line numbers need;
- stderr: "reading NAME" before each file, so a child that dies says where.
The parent adds a wall-clock timeout, and turns a child that ran out of memory, CPU or time
into a Problem (the submission is `invalid`, with a message), not a crash.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from grading.intake.parse_child import MEMORY_EXIT, PROGRESS
from grading.intake.parsing import Limits, ParsedObject, ParseResult, Problem

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]  # the project root: grading/intake/isolated.py


@dataclass(frozen=True)
class Isolation:
    """The child's limits (settings GRADING_PARSE_MEMORY_MB, GRADING_PARSE_CPU_SECONDS)."""

    memory_mb: int = 256       # address space above the started interpreter's
    cpu_seconds: int = 5       # RLIMIT_CPU: the parser of a 1 MiB upload needs well under 1 s

    @property
    def wall_seconds(self) -> float:
        # A child waiting for the CPU on a busy machine still gets its CPU seconds, then some.
        return 2 * self.cpu_seconds + 2


@dataclass
class IsolatedRun:
    """What one child did: its result, and its costs (for logs and the bench)."""

    result: ParseResult
    wall_ms: float = 0.0
    peak_rss_kb: int | None = None      # the child's peak RSS (VmHWM), when it could report it
    cpu_ms: float | None = None         # the child's CPU time, when it could report it
    failure: str = ""                    # "memory", "cpu", "killed", "time", "crash"; "" when it finished
    stderr: str = field(default="", repr=False)


# --- parent side ------------------------------------------------------------------------------

def parse_isolated(files: list[tuple[str, bytes]], limits: Limits,
                   isolation: Isolation = Isolation()) -> ParseResult:  # noqa: B008 - frozen
    return run_isolated(files, limits, isolation).result


def run_isolated(files: list[tuple[str, bytes]], limits: Limits, isolation: Isolation) -> IsolatedRun:
    header = json.dumps({"limits": asdict(limits), "files": [[name, len(data)] for name, data in files]})
    payload = b"".join([header.encode(), b"\n", *(data for _, data in files)])
    started = time.perf_counter()
    # -E: no PYTHON* variables; -s: no user site; cwd=ROOT puts `grading` on the path. The
    # environment is not passed on: the child needs no secrets.
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-E", "-s", *_pycache_option(), "-m", "grading.intake.parse_child",
         str(isolation.memory_mb), str(isolation.cpu_seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}, close_fds=True)
    timed_out = False
    try:
        out, err = proc.communicate(payload, timeout=isolation.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    except BaseException:
        # Celery's soft time limit (or a shutdown) interrupted the wait: the child goes too.
        proc.kill()
        proc.wait()
        raise
    wall_ms = 1000 * (time.perf_counter() - started)
    stderr = err.decode("utf-8", "replace")
    where = _last_file(stderr)
    code = proc.returncode
    if not timed_out and code == 0:
        try:
            document = json.loads(out)
            return IsolatedRun(_decode_result(document), wall_ms, document.get("peak_rss_kb"),
                               document.get("cpu_ms"), "", stderr)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            logger.error("isolated parser: unreadable output (%r); stderr: %s", exc, stderr[-2000:])
            failure, message = "crash", "the upload could not be read (the parser's answer was damaged)"
    elif timed_out:
        failure, message = "time", (f"the upload takes more than {isolation.wall_seconds:g} s to read "
                                    "(an archive or YAML bomb?)")
    elif code == MEMORY_EXIT:
        failure, message = "memory", (f"the upload needs more than {isolation.memory_mb} MB to read "
                                      "(an archive or YAML bomb?)")
    elif code == -signal.SIGXCPU:
        failure, message = "cpu", (f"the upload needs more than {isolation.cpu_seconds} s of CPU to "
                                   "read (an archive or YAML bomb?)")
    elif code == -signal.SIGKILL:
        # RLIMIT_CPU's hard limit, or the kernel's OOM killer when the pod itself is short.
        failure, message = "killed", (f"the upload cannot be read within {isolation.memory_mb} MB and "
                                      f"{isolation.cpu_seconds} s of CPU (an archive or YAML bomb?)")
    else:
        # Our bug, found by this input: the student sees a plain refusal, the log the traceback.
        logger.error("isolated parser failed (exit %s) reading %s: %s", code, where, stderr[-4000:])
        failure, message = "crash", ("the upload could not be read: the parser stopped on it "
                                     f"(exit {code}); check that it holds plain YAML files")
    peak = _reported_peak(stderr)
    logger.warning("isolated parser: %s after %.0f ms reading %s", failure, wall_ms, where)
    problem = Problem(where or "(upload)", None, None, None, message)
    return IsolatedRun(ParseResult(errors=[problem]), wall_ms, peak, None, failure, stderr)


@functools.cache
def _pycache_option() -> tuple[str, ...]:
    """Where the child keeps its compiled modules, when they are not compiled beside their
    sources (an install without .pyc files on a read-only filesystem, where each child would
    compile yaml and the parser again: ~250 ms of CPU instead of ~50; deploy/Dockerfile compiles
    them at build time). Then a directory in /tmp (an emptyDir in the chart), ours alone (0700,
    our uid), or none at all."""
    import dataclasses
    import importlib.util

    import yaml

    from grading.intake import parsing

    sources = [parsing.__file__, yaml.__file__, json.__file__, dataclasses.__file__]
    if all(os.path.exists(importlib.util.cache_from_source(source)) for source in sources):
        return ()
    path = Path(tempfile.gettempdir()) / f"podium-pycache-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError:
        return ()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return ()
    return ("-X", f"pycache_prefix={path}")


def _last_file(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(PROGRESS)]
    return lines[-1][len(PROGRESS):][:200] if lines else ""


def _reported_peak(stderr: str) -> int | None:
    for line in reversed(stderr.splitlines()):
        if line.startswith("peak_rss_kb "):
            return int(line.split()[1])
    return None


class _Mark:
    """The one thing line_of() reads from a yaml Mark."""

    __slots__ = ("line",)

    def __init__(self, line: int):
        self.line = line


def _decode_node(encoded: object) -> Node:
    if isinstance(encoded, int):
        return ScalarNode("", "", _Mark(encoded), None)
    if not isinstance(encoded, dict):
        raise TypeError("not a node")
    if "m" in encoded:
        items = [(ScalarNode("", str(key), _Mark(int(key_line)), None), _decode_node(value))
                 for key, key_line, value in encoded["v"]]
        return MappingNode("", items, _Mark(int(encoded["m"])), None)
    return SequenceNode("", [_decode_node(v) for v in encoded["v"]], _Mark(int(encoded["s"])), None)


def _decode_result(document: dict) -> ParseResult:
    objects = []
    for o in document["objects"]:
        node = _decode_node(o["node"])
        if not isinstance(o["data"], dict) or not isinstance(node, MappingNode):
            raise TypeError("an object is not a mapping")
        objects.append(ParsedObject(o["data"], str(o["file"]), int(o["document"]), node, str(o["prefix"])))
    return ParseResult(objects=objects, readme=document["readme"], ignored=list(document["ignored"]),
                       errors=[Problem(**e) for e in document["errors"]])
