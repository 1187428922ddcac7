"""Opt-in end-to-end suite against a real cluster (kind, minikube, k3s, a cloud cluster).

Runs only when KUBECONFIG is set (PODIUM_E2E_CONTEXT picks a context); otherwise every test
is skipped with that reason, printed by pytest's `-ra`. See README "Live grading".
It grades reference solutions and broken variants from the course content live, with the
same code the worker uses, and checks that no sandbox namespace is left behind.
"""

import datetime
import itertools
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"),
    reason="end-to-end live grading needs a real cluster: set KUBECONFIG (and PODIUM_E2E_CONTEXT) to run it",
)

LABS = Path(__file__).resolve().parents[2] / "courses" / "content" / "kubernetes-fundamentals" / "labs"
# Every lab's reference solution meets 'restricted', the sandboxes' default; a cluster that
# cannot run that level can lower it here.
POD_SECURITY = os.environ.get("PODIUM_E2E_POD_SECURITY", "restricted")
_ids = itertools.count(int(time.time()) % 1_000_000 * 100)


@pytest.fixture(scope="module")
def cluster():
    from grading.cluster import Cluster
    from grading.conf import ClusterSettings

    c = Cluster.from_settings(
        ClusterSettings(
            kubeconfig=os.environ["KUBECONFIG"], context=os.environ.get("PODIUM_E2E_CONTEXT") or None
        )
    )
    yield c
    c.close()


def grade(cluster, lab_slug: str, folder: Path):
    from grading import labs, live
    from grading.labs import read_lab
    from grading.pipeline import grade_static

    lab = read_lab(LABS / lab_slug)
    files = [
        (p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file() and p.name != "expect.yaml"
    ]
    level = lab.pod_security or POD_SECURITY
    report = grade_static(lab, files, registry=labs.checks_registry(), pod_security=level)
    assert not report.invalid, report.errors
    parsed = report.objects
    result = live.grade_live(
        cluster,
        submission_id=next(_ids),
        lab=lab.slug,
        objects=[o.data for o in parsed],
        time_limit=lab.time_limit_seconds,
        ttl_seconds=600,
        pod_security=level,
        poll_seconds=2,
    )
    live.merge_into(report, result, parsed, lambda link: link)
    return report, result


def wait_gone(cluster, namespace: str, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if namespace not in [s.name for s in cluster.sandboxes()]:
            return True
        time.sleep(2)
    return False


def test_the_first_activity_reference_solution_passes_live(cluster):
    report, result = grade(
        cluster, "activity-1-first-deployment", LABS / "activity-1-first-deployment" / "solution"
    )
    assert not result.problems, result.problems
    assert all(v.passed for v in result.verdicts), [v.message for v in result.verdicts if not v.passed]
    assert report.passed, report.notes
    assert wait_gone(cluster, result.namespace)


def test_a_deployment_whose_selector_misses_its_template_is_refused_by_the_dry_run(cluster):
    folder = LABS / "activity-1-first-deployment" / "broken" / "selector-mismatch-no-port"
    report, result = grade(cluster, "activity-1-first-deployment", folder)
    [problem] = result.problems
    assert problem.ref == "Deployment/iris-classifier" and problem.status == 422
    assert "selector" in problem.message and report.invalid
    assert wait_gone(cluster, result.namespace)


def test_the_practical_reference_solution_passes_live(cluster):
    report, result = grade(cluster, "practical", LABS / "practical" / "solution")
    assert not result.problems, result.problems
    assert [v.message for v in result.verdicts if not v.passed] == []
    assert report.passed, report.notes
    assert wait_gone(cluster, result.namespace)


def test_no_sandbox_is_left_behind(cluster):
    from grading.live import reap

    reap(
        cluster,
        now=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
        stuck_after=datetime.timedelta(minutes=5),
    )
    for box in cluster.sandboxes():
        assert wait_gone(cluster, box.name), f"{box.name} is still there"
