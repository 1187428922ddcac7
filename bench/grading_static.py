"""Static grading speed and bomb rejection, in process (no database, no broker).

    .venv/bin/python bench/grading_static.py [--runs 300]

Prints p50/p95 for grading the practical's reference solution with the parser in this process
(the engine's own speed; target p50 <= 20 ms) and as a worker grades uploads, with the parser in a
child process under memory and CPU limits (issue 12: target p50 <= 100 ms, the child's start-up
being most of it), and the time to reject an alias bomb, a zip bomb and a tar bomb in the child
(target <= 1 s each; bench/hostile_uploads.py has the whole hostile corpus).
"""

import argparse
import io
import os
import statistics
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from grading import conf  # noqa: E402
from grading.management.commands.grade import collect_files, find_lab  # noqa: E402
from grading.pipeline import grade_static  # noqa: E402


def timed(lab, files, limits, runs: int, isolation) -> tuple[list[float], dict]:
    timings, stage_ms = [], {}
    for _ in range(runs):
        started = time.perf_counter()
        run = grade_static(lab, files, limits=limits, isolation=isolation)
        timings.append(1000 * (time.perf_counter() - started))
        for stage in run.stages:
            stage_ms.setdefault(stage["name"], []).append(stage["ms"])
    timings.sort()
    return timings, stage_ms


def p95(timings: list[float]) -> float:
    return timings[max(0, int(0.95 * len(timings)) - 1)]


def alias_bomb() -> bytes:
    lines = [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 9) + b"]" for i in range(1, 10)]
    return b"\n".join(lines) + b"\n"


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("bomb.yaml", b"\0" * (200 * 1024 * 1024))  # 200 MiB of zeros, ~200 KB zipped
    return buffer.getvalue()


def tar_bomb() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("bomb.yaml")
        info.size = 100 * 1024 * 1024
        archive.addfile(info, io.BytesIO(b"\0" * info.size))
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    lab = find_lab("practical")
    files = collect_files([str(lab.path / "solution")])
    limits = conf.limits()

    isolation = conf.parse_isolation()
    started = time.perf_counter()
    report = grade_static(lab, files, limits=limits, isolation=None)
    cold_ms = 1000 * (time.perf_counter() - started)
    assert report.passed, report.as_dict()
    timings, stage_ms = timed(lab, files, limits, args.runs, None)
    p50 = statistics.median(timings)
    objects = sum(1 for _ in report.checks)
    print(f"static grading of the practical's solution ({len(files)} files, {objects} checks, "
          f"{args.runs} runs), parser in process: cold {cold_ms:.1f} ms, p50 {p50:.2f} ms, "
          f"p95 {p95(timings):.2f} ms (target p50 <= 20 ms: {'OK' if p50 <= 20 else 'MISSED'})")
    print("  p50 per stage (ms): "
          + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in stage_ms.items()))
    engine = [sum(ms[i] for name, ms in stage_ms.items() if name != "checks") for i in range(args.runs)]
    print(f"  engine alone (parse + validate + policy) p50 {statistics.median(engine):.2f} ms; "
          f"the rest is the lab's check functions")
    runs = max(10, args.runs // 10)
    isolated, _ = timed(lab, files, limits, runs, isolation)
    p50_isolated = statistics.median(isolated)
    print(f"as a worker grades an upload (parser in a child: {isolation.memory_mb} MB, "
          f"{isolation.cpu_seconds} s CPU; {runs} runs): p50 {p50_isolated:.1f} ms, "
          f"p95 {p95(isolated):.1f} ms (target p50 <= 100 ms: {'OK' if p50_isolated <= 100 else 'MISSED'})")

    for label, name, data in (("alias bomb", "bomb.yaml", alias_bomb()), ("zip bomb", "bomb.zip", zip_bomb()),
                              ("tar bomb", "bomb.tar.gz", tar_bomb())):
        started = time.perf_counter()
        report = grade_static(lab, [(name, data)], limits=limits, isolation=isolation)
        ms = 1000 * (time.perf_counter() - started)
        assert report.invalid
        assert not report.checks
        print(f"{label} ({len(data) // 1024} KiB upload) rejected in {ms:.2f} ms "
              f"(target <= 1000 ms: {'OK' if ms <= 1000 else 'MISSED'}): {report.errors[0]}")


if __name__ == "__main__":
    main()
