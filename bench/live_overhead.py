"""What live grading costs the platform per submission, outside the cluster's own waiting.

    .venv/bin/python bench/live_overhead.py [--runs 100]

The real `kubernetes` client (grading/live/cluster.py) against the test emulator on 127.0.0.1
(grading/tests/k8s_emulator.py): create the sandbox + its 8 guardrail objects, apply 15
objects (dry run, then for real), read the state once, delete the sandbox. Prints p50/p95 per
stage and in total. Target (issue 6): total p50 <= 300 ms. The emulator answers from memory,
so these are the client's and the grader's costs plus loopback HTTP, not a real API server's.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from grading.live.cluster import Cluster  # noqa: E402
from grading.live.sandbox import SandboxSpec  # noqa: E402
from grading.tests.k8s_emulator import GRADER_TOKEN, KubernetesEmulator  # noqa: E402


def fifteen_objects() -> list[dict]:
    objs: list[dict] = []
    for i in range(3):
        labels = {"app": f"app{i}"}
        objs.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cfg{i}"}, "data": {"K": "v"}}
        )
        objs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"app{i}"},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                    },
                },
            }
        )
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"app{i}"},
                "spec": {"selector": labels, "ports": [{"port": 80}]},
            }
        )
    objs += [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}"}, "stringData": {"K": "v"}}
        for i in range(2)
    ]
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    objs.append(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app0"},
                "minReplicas": 1,
                "maxReplicas": 3,
            },
        }
    )
    objs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web"},
            "spec": {"rules": [{"host": "x.podium.test"}]},
        }
    )
    objs.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "pdb"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "app0"}}},
        }
    )
    assert len(objs) == 15
    return objs


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    emu = KubernetesEmulator().start()
    cluster = Cluster.for_url(emu.url, request_timeout=10, token=GRADER_TOKEN)  # as the chart's grader (RBAC)
    objects = fifteen_objects()
    kinds = list(dict.fromkeys((o["apiVersion"], o["kind"]) for o in objects))
    stages: dict[str, list[float]] = {"sandbox": [], "apply": [], "read": [], "delete": [], "total": []}
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    for run in range(args.runs + 5):  # 5 warm-up runs
        spec = SandboxSpec(submission_id=100000 + run, lab="bench", expires_at=expires)
        t0 = time.perf_counter()
        cluster.create_sandbox(spec)
        t1 = time.perf_counter()
        problems = cluster.apply(spec.namespace, objects)
        assert not problems, problems
        t2 = time.perf_counter()
        cluster.read_state(spec.namespace, kinds)
        t3 = time.perf_counter()
        cluster.delete_sandbox(spec.namespace)
        t4 = time.perf_counter()
        if run >= 5:
            for name, ms in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
                stages[name].append(1000 * ms)
    left = [n for n in emu.namespaces() if n.startswith("podium-sub-")]
    requests = len(emu.requests) / (args.runs + 5)
    emu.stop()
    print(f"live overhead per submission, 15 objects, {args.runs} runs, {requests:.0f} API requests each")
    for name, values in stages.items():
        print(f"  {name:8s} p50 {statistics.median(values):7.1f} ms   p95 {pct(values, 0.95):7.1f} ms")
    print(f"  sandboxes left: {len(left)}")
    print("target: total p50 <= 300 ms:", "OK" if statistics.median(stages["total"]) <= 300 else "MISSED")


if __name__ == "__main__":
    main()
