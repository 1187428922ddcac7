"""Uploads are parsed in a child process with memory and CPU limits (issue 12, item 15): whatever
an upload makes the parser do costs that child, and the submission ends `invalid` with a message."""

import os
import resource
import signal

import pytest

from grading import conf
from grading.intake.isolated import Isolation, parse_isolated, run_isolated
from grading.intake.parsing import Limits, parse_submission
from grading.labs import LabSpec
from grading.pipeline import grade_static
from grading.tests.conftest import GOOD

# Generous parser limits, so that only the child's own limits can stop these inputs.
UNLIMITED = Limits(max_bytes=64 * 1024 * 1024, max_documents=10**6, max_nodes=10**8, max_files=50)
BIG = b"x: [" + b"1," * 3_000_000 + b"1]\n"   # 6 MB, 3 million nodes: ~10 s of CPU, ~1 GB to hold


def test_a_child_that_runs_out_of_memory_is_an_invalid_upload_not_a_crash():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = run_isolated([("big.yaml", BIG)], UNLIMITED, Isolation(memory_mb=32, cpu_seconds=30))
    assert run.failure == "memory"
    assert [str(e) for e in run.result.errors] == [
        "big.yaml: the upload needs more than 32 MB to read (an archive or YAML bomb?)"]
    assert run.peak_rss_kb is None or run.peak_rss_kb < 100 * 1024  # reported when it could
    # This process (the worker) did not hold the parse.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024


def test_a_child_that_runs_out_of_cpu_time_is_an_invalid_upload():
    run = run_isolated([("big.yaml", BIG)], UNLIMITED, Isolation(memory_mb=4096, cpu_seconds=1))
    # SIGXCPU after 1 s of CPU; on a machine too busy to give it that second within the wall
    # clock (2 * 1 + 2 s), the timeout stops it first.
    assert run.failure in ("cpu", "time")
    [problem] = run.result.errors
    assert problem.file == "big.yaml"
    assert problem.message in ("the upload needs more than 1 s of CPU to read (an archive or YAML bomb?)",
                               "the upload takes more than 4 s to read (an archive or YAML bomb?)")


def test_the_child_gives_the_same_objects_and_lines_as_parsing_in_process():
    files = [("d.yaml", GOOD + b"---\n" + b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
              b"  kind: Service\n  metadata: {name: web}\n  spec:\n    ports:\n    - port: 80\n"),
             ("README.md", b"# hi\n"), ("bad.yaml", b"a: [\n")]
    inside, child = parse_submission(files, Limits()), parse_isolated(files, Limits())
    assert [(o.data, o.file, o.document, o.prefix) for o in child.objects] == \
           [(o.data, o.file, o.document, o.prefix) for o in inside.objects]
    for a, b in zip(inside.objects, child.objects, strict=True):
        for path in (["metadata", "name"], ["spec", "template", "spec", "containers", 0, "image"],
                     ["spec", "ports", 0, "port"], ["spec", "nope"], []):
            assert a.line(path) == b.line(path)
    assert child.readme == "# hi\n" and child.errors == inside.errors and child.errors


def test_grading_parses_in_the_child_by_default_and_locates_problems_as_before():
    lab = LabSpec(slug="lab", title="Lab", checks=[])
    wrong = GOOD.replace(b"replicas: 3", b"replicas: 3\n  replicaz: 3")
    isolated, inside = grade_static(lab, [("d.yaml", wrong)]), grade_static(lab, [("d.yaml", wrong)],
                                                                            isolation=None)
    assert isolated.errors == inside.errors and isolated.errors[0].field == "spec.replicaz"


@pytest.mark.parametrize(("memory", "cpu"), [(64, 2), (512, 10)])
def test_the_limits_are_settings(settings, memory, cpu):
    settings.GRADING_PARSE_MEMORY_MB, settings.GRADING_PARSE_CPU_SECONDS = memory, cpu
    assert conf.parse_isolation() == Isolation(memory_mb=memory, cpu_seconds=cpu)


def _children() -> list[str]:
    with open(f"/proc/self/task/{os.getpid()}/children") as children:
        return children.read().split()


class _Interrupted(Exception):
    pass


def test_a_grade_interrupted_while_parsing_takes_its_child_with_it():
    # Celery's soft time limit raises in the worker while it waits for the child: the child
    # must not go on using its CPU and memory.
    def interrupt(signum, frame):
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(_Interrupted):
            run_isolated([("big.yaml", BIG)], UNLIMITED, Isolation(memory_mb=4096, cpu_seconds=30))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _children() == []
