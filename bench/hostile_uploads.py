"""What a hostile upload costs a grading worker (issue 12: <= 1 s and <= 256 MB each).

    .venv/bin/python bench/hostile_uploads.py [--runs 3] [--only NAME]

Builds a corpus in memory (tar GNU long-name and PAX bombs, chained PAX headers, base-60 and
huge-int YAML, an alias bomb, deep nesting, a zip bomb, many-files archives, path traversal,
symlinks...) and grades each upload with grade_static exactly as a worker does: the upload is
parsed in a child process under conf.parse_isolation()'s limits. For each, prints (worst of
--runs) the wall time, the CPU time (the worker's plus the child's), the child's peak RSS
(VmHWM; for a child stopped at its limit, the limit), the worker's own peak RSS growth, the
size of what would be stored, and the first problem. Exits 1 when an upload is not refused
(`invalid`) or costs more than 1 s of CPU or 256 MB; then prints the child's overhead for a good
submission (p50 of 20 runs, isolated minus in-process).
"""

import argparse
import gzip
import io
import os
import resource
import statistics
import sys
import tarfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from grading import conf  # noqa: E402
from grading.intake import isolated  # noqa: E402
from grading.labs import LabSpec  # noqa: E402
from grading.pipeline import grade_static  # noqa: E402

MAX_SECONDS, MAX_MB = 1.0, 256
MiB = 1024 * 1024
GOOD = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""


# --- the corpus ----------------------------------------------------------------------------------

def _gzip_stream(chunks) -> bytes:
    """gzip of a stream given in chunks (a 900 MB bomb is never held uncompressed)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return b"".join(out)


def _header(name: str, type_: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size = type_, size
    return info.tobuf(format=tarfile.USTAR_FORMAT if type_ == tarfile.REGTYPE else tarfile.GNU_FORMAT)


def _repeat(byte: bytes, size: int):
    block = byte * MiB
    for _ in range(size // MiB):
        yield block
    yield byte * (size % MiB) + b"\0" * (-size % 512)


def tar_longname_bomb(size: int = 900 * MiB) -> bytes:
    """A GNU ././@LongLink header announcing a 900 MB name (the 917 KB upload of the issue)."""
    def chunks():
        yield _header("././@LongLink", tarfile.GNUTYPE_LONGNAME, size)
        yield from _repeat(b"a", size)
        yield _header("x.yaml", tarfile.REGTYPE, 0)
        yield b"\0" * 1024
    return _gzip_stream(chunks())


def tar_pax_bomb(size: int = 900 * MiB) -> bytes:
    """A PAX extended header with a 900 MB `path` record."""
    record_len = size
    prefix = f"{record_len} path=".encode()
    def chunks():
        yield _header("././@PaxHeader", tarfile.XHDTYPE, record_len)
        yield prefix
        yield from _repeat(b"a", record_len - len(prefix) - 1)
        yield _header("x.yaml", tarfile.REGTYPE, 0)
        yield b"\0" * 1024
    return _gzip_stream(chunks())


def tar_pax_chain(headers: int = 100_000) -> bytes:
    """PAX headers chained one after another (tarfile follows them recursively)."""
    record = b"20 comment=xxxxxxxx\n"
    one = _header("././@PaxHeader", tarfile.XHDTYPE, len(record)) + record + b"\0" * (512 - len(record))
    return _gzip_stream([one * headers, _header("x.yaml", tarfile.REGTYPE, 0), b"\0" * 1024])


def tar_many_longnames(members: int = 20_000) -> bytes:
    """Many members, each with a 4 KB GNU long name of an ignored (non-YAML) file: the names once
    went whole into `notes`."""
    name = ("n" * 4000 + ".txt").encode()
    one = (_header("././@LongLink", tarfile.GNUTYPE_LONGNAME, len(name)) + name + b"\0" * (-len(name) % 512)
           + _header("x.txt", tarfile.REGTYPE, 0))
    return _gzip_stream([one * members, b"\0" * 1024])


def tar_bomb() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("bomb.yaml")
        info.size = 100 * MiB
        archive.addfile(info, io.BytesIO(b"\0" * info.size))
    return buffer.getvalue()


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def tar_many_files(count: int = 10_000) -> bytes:
    return _tar([(tarfile.TarInfo(f"f{i}.yaml"), b"") for i in range(count)])


def tar_traversal() -> bytes:
    return _tar([(tarfile.TarInfo("../../etc/cron.d/x.yaml"), GOOD)])


def tar_symlink() -> bytes:
    link = tarfile.TarInfo("passwd.yaml")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return _tar([(link, b"")])


def _zip(members: list[tuple[zipfile.ZipInfo | str, bytes]], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.comment = comment
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    return _zip([("bomb.yaml", b"\0" * (200 * MiB))])


def zip_many_files(count: int = 10_000) -> bytes:
    return _zip([(f"f{i}.yaml", b"") for i in range(count)])


def zip_long_names() -> bytes:
    """Member names of 60,000 characters, an extra field of 60 KB and a 64 KB comment."""
    info = zipfile.ZipInfo("d/" * 30_000 + "x.yaml")
    info.extra = (b"\x99\x99" + (60_000).to_bytes(2, "little") + b"e" * 60_000)
    return _zip([(info, GOOD)], comment=b"c" * 65_000)


def zip_traversal() -> bytes:
    return _zip([("../../etc/x.yaml", GOOD)])


def zip_symlink() -> bytes:
    info = zipfile.ZipInfo("link.yaml")
    info.external_attr = (0o120777 << 16)
    return _zip([(info, b"/etc/passwd")])


def yaml_base60() -> bytes:
    return b"x: " + b"1:" * 450_000 + b"1\n"


def yaml_huge_hex() -> bytes:
    return b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  n: 0x" + b"f" * 4_300 + b"\n"


def yaml_huge_decimal() -> bytes:
    return b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  n: " + b"9" * 900_000 + b"\n"


def yaml_alias_bomb() -> bytes:
    lines = [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 9) + b"]" for i in range(1, 10)]
    return b"\n".join(lines) + b"\n"


def yaml_deep_nesting() -> bytes:
    return b"[" * 500_000 + b"]" * 500_000


def yaml_many_nodes() -> bytes:
    return b"x: [" + b"1," * 500_000 + b"1]\n"


def yaml_many_documents() -> bytes:
    return b"---\na: 1\n" * 100_000


def yaml_long_key() -> bytes:
    return b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" + b"k" * 1_000_000 + b": 1\n"


def yaml_many_errors() -> bytes:
    """Thousands of problems, each naming a long field: the report must stay small."""
    return b"".join(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  "
                    + b"z" * 200 + b": 1\n" for _ in range(180))


CORPUS = {
    "tar GNU long-name bomb": ("bomb.tar.gz", tar_longname_bomb),
    "tar PAX header bomb": ("bomb.tar.gz", tar_pax_bomb),
    "tar chained PAX headers": ("chain.tar.gz", tar_pax_chain),
    "tar 20,000 long names": ("names.tar.gz", tar_many_longnames),
    "tar bomb (100 MiB member)": ("bomb.tar.gz", tar_bomb),
    "tar 10,000 files": ("many.tar.gz", tar_many_files),
    "tar path traversal": ("up.tar.gz", tar_traversal),
    "tar symlink": ("link.tar.gz", tar_symlink),
    "gzip of a bare 900 MB long name": ("bomb.tgz", lambda: gzip.compress(b"a" * (9 * MiB))),
    "zip bomb (200 MiB)": ("bomb.zip", zip_bomb),
    "zip 10,000 files": ("many.zip", zip_many_files),
    "zip long names, extra, comment": ("names.zip", zip_long_names),
    "zip path traversal": ("up.zip", zip_traversal),
    "zip symlink": ("link.zip", zip_symlink),
    "YAML base-60 int (900 KB)": ("b60.yaml", yaml_base60),
    "YAML 4,300-digit hex int": ("hex.yaml", yaml_huge_hex),
    "YAML 900,000-digit int": ("dec.yaml", yaml_huge_decimal),
    "YAML alias bomb": ("alias.yaml", yaml_alias_bomb),
    "YAML nesting 500,000 deep": ("deep.yaml", yaml_deep_nesting),
    "YAML 500,000 nodes": ("nodes.yaml", yaml_many_nodes),
    "YAML 100,000 documents": ("docs.yaml", yaml_many_documents),
    "YAML 1 MB key": ("key.yaml", yaml_long_key),
    "YAML 180 unknown long fields": ("errors.yaml", yaml_many_errors),
}


# --- measuring -----------------------------------------------------------------------------------

def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> float:
    """Reset this process's peak RSS (VmHWM) to its current RSS, so the next case's peak is its
    own and not the corpus builder's (the zip bomb is built from 200 MiB of zeros); returns it."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _status_mb("VmRSS")


def _cpu_s() -> float:
    """CPU time of this process (the worker's side: spawning the child, reading its answer)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    lab = LabSpec(slug="bench", title="Bench", checks=[])
    limits, isolation = conf.limits(), conf.parse_isolation()
    print(f"limits: {limits}; parse child: {isolation.memory_mb} MB, {isolation.cpu_seconds} s CPU, "
          f"{isolation.wall_seconds:g} s wall")
    grade_static(lab, [("good.yaml", GOOD)], limits=limits, isolation=isolation)  # warm the schemas
    failed = []
    for label, (name, build) in CORPUS.items():
        if args.only and args.only.lower() not in label.lower():
            continue
        data = build()
        worst_s, worst_cpu_s, child_mb, report = 0.0, 0.0, 0.0, None
        rss_before = _reset_peak()
        for _ in range(args.runs):
            files = [(name, data)]
            started, cpu_started = time.perf_counter(), _cpu_s()
            report = grade_static(lab, files, limits=limits, isolation=isolation)
            worker_cpu_s = _cpu_s() - cpu_started
            worst_s = max(worst_s, time.perf_counter() - started)
            run = isolated.run_isolated(files, limits, isolation)  # the same child, for its figures
            # The child's own figures; a child stopped at its limit could not report them.
            child_cpu_s = run.cpu_ms / 1000 if run.cpu_ms is not None else isolation.cpu_seconds
            worst_cpu_s = max(worst_cpu_s, worker_cpu_s + child_cpu_s)
            child_mb = max(child_mb, (run.peak_rss_kb / 1024) if run.peak_rss_kb else isolation.memory_mb)
        worker_mb = _status_mb("VmHWM") - rss_before
        stored = sum(len(str(e)) for e in report.errors) + sum(len(n) for n in report.notes)
        ok = report.invalid and worst_cpu_s <= MAX_SECONDS and child_mb <= MAX_MB and worker_mb <= MAX_MB
        if not ok:
            failed.append(label)
        first = str(report.errors[0]) if report.errors else "(accepted!)"
        print(f"{'OK  ' if ok else 'FAIL'} {label:32} {len(data) // 1024:4d} KiB  "
              f"wall {1000 * worst_s:6.1f} ms  CPU {1000 * worst_cpu_s:6.1f} ms  child {child_mb:5.1f} MB  "
              f"worker +{worker_mb:4.1f} MB  "
              f"stored {stored:5d} chars  {first[:100]}")

    good = [("good.yaml", GOOD)]
    inproc, child = [], []
    for _ in range(20):
        started = time.perf_counter()
        grade_static(lab, good, limits=limits, isolation=None)
        inproc.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        grade_static(lab, good, limits=limits, isolation=isolation)
        child.append(1000 * (time.perf_counter() - started))
    p50_in, p50_child = statistics.median(inproc), statistics.median(child)
    print(f"good submission: in process p50 {p50_in:.1f} ms, isolated p50 {p50_child:.1f} ms: the child "
          f"costs {p50_child - p50_in:.1f} ms per submission")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times grow with it; the "
          "bounds hold on CPU time: the worker's plus the child's)")
    if failed:
        print(f"FAILED (> {MAX_SECONDS:g} s, > {MAX_MB} MB, or not refused): {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
