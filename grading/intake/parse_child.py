"""The child process of grading/intake/isolated.py: parse one upload under memory and CPU limits.

    python -E -s -m grading.intake.parse_child MEMORY_MB CPU_SECONDS < request > result

Imports only what parsing needs (no Django, no logging, no subprocess), so it starts fast; see
grading/intake/isolated.py for the protocol.
"""

import contextlib
import json
import os
import resource
import sys

from yaml.nodes import MappingNode, Node, SequenceNode

from grading.intake.parsing import Limits, ParseResult, parse_submission

MEMORY_EXIT = 3   # the child ran out of memory (MemoryError under RLIMIT_AS)
CRASH_EXIT = 4    # the parser raised: a bug on our side, found by this input
PROGRESS = "reading "


def _encode_node(node: Node) -> object:
    """A node tree as JSON: a scalar is its line; a mapping {"m": line, "v": [[key, key line,
    value], ...]}; a sequence {"s": line, "v": [...]} (lines 0-based, as in yaml Marks)."""
    line = node.start_mark.line
    if isinstance(node, MappingNode):
        return {"m": line, "v": [[k.value, k.start_mark.line, _encode_node(v)] for k, v in node.value]}
    if isinstance(node, SequenceNode):
        return {"s": line, "v": [_encode_node(v) for v in node.value]}
    return line


def _encode_result(result: ParseResult) -> dict:
    return {
        "objects": [{"data": o.data, "file": o.file, "document": o.document, "prefix": o.prefix,
                     "node": _encode_node(o.node)} for o in result.objects],
        "readme": result.readme, "ignored": result.ignored,
        "errors": [e.as_dict() for e in result.errors],
    }


# --- child side -------------------------------------------------------------------------------

def _address_space_in_use() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_self(memory_mb: int, cpu_seconds: int) -> None:
    # The budget is above what the started interpreter already maps (~30 MB of libraries and
    # heap), so memory_mb is what parsing itself may use.
    cap = _address_space_in_use() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    # SIGXCPU at the soft limit (its default action ends the process), SIGKILL a second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _peak_rss_kb() -> int:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec, so
    # it would report the worker's size, not this process's.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(1000 * (usage.ru_utime + usage.ru_stime), 1)


def main(argv: list[str]) -> int:
    memory_mb, cpu_seconds = int(argv[0]), int(argv[1])
    _limit_self(memory_mb, cpu_seconds)
    stdin = sys.stdin.buffer
    try:
        header = json.loads(stdin.readline(1 << 20))
        limits = Limits(**header["limits"])
        files = [(str(name), stdin.read(int(size))) for name, size in header["files"]]

        def progress(name: str) -> None:
            sys.stderr.write(f"{PROGRESS}{name}\n")
            sys.stderr.flush()

        result = parse_submission(files, limits, on_file=progress)
        del files
        out = json.dumps({**_encode_result(result), "peak_rss_kb": _peak_rss_kb(), "cpu_ms": _cpu_ms()})
        del result
        sys.stdout.write(out)
        sys.stdout.flush()
    except MemoryError:
        # What held the memory is gone with the unwound frames: a short line still fits.
        with contextlib.suppress(MemoryError, OSError):
            os.write(2, f"\npeak_rss_kb {_peak_rss_kb()}\n".encode())
        return MEMORY_EXIT
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except MemoryError:
        os._exit(MEMORY_EXIT)
    except Exception:
        import traceback

        traceback.print_exc()
        sys.exit(CRASH_EXIT)
