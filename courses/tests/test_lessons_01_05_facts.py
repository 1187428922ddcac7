"""Lessons 01-05 stay right about the facts review found wrong (issue 15, "Lessons 01-05").

Each test checks what a student would run or read: the commands and manifests themselves where
they can be checked mechanically (a curl whose output shows a request body, the ndots example, the
order and guarding of cluster creation, the model server's SIGTERM handling), and otherwise the
claim the lesson makes (EndpointSlice readiness, tags versus digests, release years...).
"""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

COURSE = Path(__file__).resolve().parents[1] / "content" / "kubernetes-fundamentals"
FENCE_RE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)


def lesson(number: int) -> str:
    (path,) = COURSE.glob(f"{number:02d}-*.md")
    return path.read_text(encoding="utf-8")


def blocks(text: str, info: str) -> list[tuple[int, str]]:
    """(line, body) of every fenced block whose info string starts with `info`."""
    return [(text[: m.start()].count("\n") + 1, m.group(2)) for m in FENCE_RE.finditer(text)
            if m.group(1).split()[:1] == [info]]


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", FENCE_RE.sub("", text))]


def commands(body: str) -> list[tuple[str, list[str]]]:
    """Console block -> [(command with continuations joined, output lines)]."""
    result, lines = [], body.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        cmd = lines[i][2:]
        while cmd.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd = cmd.rstrip()[:-1] + " " + lines[i].strip()
        output = []
        while i + 1 < len(lines) and not lines[i + 1].startswith("$ "):
            i += 1
            output.append(lines[i])
        result.append((cmd, output))
        i += 1
    return result


LESSONS = {n: lesson(n) for n in range(1, 6)}


# --- EndpointSlices list unready Pods too --------------------------------------------------------

WRONG_READINESS_CLAIMS = [
    r"lists? the IPs of the ready Pods",
    r"no \*\*ready\*\* Pod matches",
    r"matches no \*ready\* pod",
    r"EndpointSlices list its ready Pods",
    r"adds each ready Pod's IP",
    r"endpoints per Service means the readiness probes pass",
]


@pytest.mark.parametrize("number", range(1, 6))
def test_no_lesson_says_an_endpointslice_holds_only_ready_pods(number):
    text = " ".join(LESSONS[number].split())
    found = [claim for claim in WRONG_READINESS_CLAIMS if re.search(claim, text, re.I)]
    assert not found, f"lesson {number:02d} says EndpointSlices list only ready Pods: {found}"


@pytest.mark.parametrize("number", [1, 4, 5])
def test_a_lesson_showing_the_endpoints_column_says_where_readiness_shows(number):
    text = LESSONS[number]
    assert "get endpointslices" in text
    assert re.search(r"ready: (false|true)", text), (
        f"lesson {number:02d} lists EndpointSlices but never shows the `ready` condition: the "
        "ENDPOINTS column includes Pods that are not ready")


# --- curl without -d is a GET --------------------------------------------------------------------

def test_every_curl_whose_output_shows_a_request_body_sends_one():
    checked = 0
    for number, text in LESSONS.items():
        for line, body in blocks(text, "console"):
            for cmd, output in commands(body):
                if cmd.startswith("curl") and any('"input_bytes"' in out for out in output):
                    checked += 1
                    assert re.search(r"\s(-d|--data\S*)\s", cmd + " "), (
                        f"lesson {number:02d}, block at line {line}: `{cmd}` sends a GET (no -d), "
                        "which the stub answers without input_bytes")
    assert checked >= 3


# --- tags move, digests pin ----------------------------------------------------------------------

@pytest.mark.parametrize("number", range(1, 6))
def test_no_lesson_calls_a_plain_tag_pinned(number):
    text = " ".join(LESSONS[number].split())
    found = re.findall(r"[^.]*\b(?:pinned (?:tag|image)|is a pinned|image is pinned)\b[^.]*", text, re.I)
    assert not found, f"lesson {number:02d} calls a moving tag pinned: {found}"


def test_lesson_01_teaches_digests_and_its_clusters_use_the_node_image_by_digest():
    text = LESSONS[1]
    assert "python:3.12-slim@sha256:" in text
    versions = yaml.safe_load((COURSE / "versions.yaml").read_text(encoding="utf-8"))["components"]
    node_image = versions["kubernetes"]["node_image"]
    for number, body in LESSONS.items():
        for line, bash in blocks(body, "bash"):
            joined = bash.replace("\\\n", " ")
            for create in re.findall(r"kind create cluster[^\n]*", joined):
                assert "--config" in create or f"--image {node_image}" in create, (
                    f"lesson {number:02d}, block at line {line}: `{create}` takes kind's default node image")


# --- lesson 01's history table ------------------------------------------------------------------

RELEASE_YEAR = {"1.0": 2015, "1.24": 2022, "1.29": 2023, "1.33": 2025, "1.34": 2025}


def test_history_table_puts_each_release_in_its_year():
    rows = re.findall(r"^\| (\d{4})(?:[–-](\d{4}))? \| (.+) \|$", LESSONS[1], re.M)
    assert rows
    for first, last, text in rows:
        years = range(int(first), int(last or first) + 1)
        # Kubernetes releases only: "Gateway API v1.0" is another project's version.
        for version in re.findall(r"(?<!API )\b(?:v|in )(1\.\d+)\b", text):
            if version in RELEASE_YEAR:
                assert RELEASE_YEAR[version] in years, (
                    f"history row {first}{'-' + last if last else ''}: {version} was released in "
                    f"{RELEASE_YEAR[version]}")


# --- lesson 02: scoring, ndots, kube-proxy modes -------------------------------------------------

def test_leastallocated_gpu_example_says_gpus_are_scored_only_when_configured():
    scoring = LESSONS[2].split("### Scoring", 1)[1].split("\n### ", 1)[0]
    flat = " ".join(scoring.split())
    assert re.search(r"only \*\*CPU and memory\*\*", flat)
    assert "scoringStrategy" in flat and "nvidia.com/gpu" in flat
    fragment = next(body for _, body in blocks(scoring, "yaml") if "scoringStrategy" in body)
    resources = yaml.safe_load(fragment)[0]["args"]["scoringStrategy"]["resources"]
    assert {"cpu", "memory", "nvidia.com/gpu"} <= {r["name"] for r in resources}


def test_ndots_example_looks_up_a_name_the_lowered_ndots_sends_out_first():
    for _, body in blocks(LESSONS[2], "yaml"):
        pod = yaml.safe_load(body)
        options = (pod.get("spec") or {}).get("dnsConfig", {}).get("options", [])
        ndots = [int(o["value"]) for o in options if o["name"] == "ndots"]
        if not ndots:
            continue
        command = " ".join(pod["spec"]["containers"][0]["command"])
        (name,) = re.findall(r"gethostbyname\('([^']+)'\)", command)
        assert name.count(".") >= ndots[0], (
            f"{name} has {name.count('.')} dot(s): with ndots {ndots[0]} it still walks the search list")
        return
    pytest.fail("lesson 02 has no ndots example")


def test_every_lesson_listing_kube_proxy_modes_says_ipvs_is_deprecated():
    for number in (2, 5):
        listing = [p for p in paragraphs(LESSONS[number]) if "**IPVS**" in p or "| `ipvs`" in p]
        assert listing and all(re.search(r"deprecated", p, re.I) for p in listing), (
            f"lesson {number:02d} lists IPVS as a mode without saying it is deprecated (1.35)")


# --- lesson 03: baseline capabilities, exit codes, the cluster first ----------------------------

def test_baseline_row_allows_adding_capabilities_from_its_list():
    (row,) = re.findall(r"^\| `baseline` \|.*$", LESSONS[3], re.M)
    assert "added capabilities" not in row
    assert "NET_BIND_SERVICE" in row and "NET_RAW" in row


def test_missing_binary_is_startError_128_and_127_is_a_shell():
    crash = LESSONS[3].split("### Pod not starting: CrashLoopBackOff", 1)[1].split("\n### ", 1)[0]
    flat = " ".join(crash.split())
    assert "StartError" in flat and "Exit Code: 128" in flat
    for sentence in re.findall(r"[^.]*\b127\b[^.]*", flat):
        assert "shell" in sentence, f"127 is a shell's 'not found', not the runtime's: {sentence}"


@pytest.mark.parametrize("number", [3, 4])
def test_lesson_creates_its_cluster_before_its_first_kubectl_command(number):
    bash = blocks(LESSONS[number], "bash")
    first_kubectl = next(line for line, body in bash if re.search(r"^kubectl ", body, re.M))
    first_create = next(line for line, body in bash if "kind create cluster" in body)
    assert first_create <= first_kubectl, (
        f"lesson {number:02d} runs kubectl at line {first_kubectl} but creates the cluster at {first_create}")


def test_a_kind_cluster_created_again_later_is_created_only_if_missing():
    seen: set[str] = set()
    for number, text in LESSONS.items():
        for line, body in blocks(text, "bash"):
            joined = body.replace("\\\n", " ")
            for prefix, name in re.findall(r"^(.*?)kind create cluster --name (\S+)", joined, re.M):
                if name in seen:
                    assert f"kind get clusters | grep -qx {name} ||" in prefix, (
                        f"lesson {number:02d}, block at line {line}: `kind create cluster --name {name}` "
                        "fails when the earlier lesson's cluster still exists")
                seen.add(name)
    assert "podium" in seen


# --- lesson 04: SIGTERM, fsGroup, gRPC ----------------------------------------------------------

def model_server_code() -> str:
    for _, body in blocks(LESSONS[4], "yaml"):
        doc = yaml.safe_load(body)
        if doc.get("kind") == "ConfigMap" and doc["metadata"]["name"] == "model-server-code":
            return doc["data"]["server.py"]
    raise AssertionError("lesson 04 has no model-server-code ConfigMap")


def test_lesson_04_server_exits_cleanly_on_sigterm(tmp_path):
    """PID 1 ignores SIGTERM without a handler; here (not PID 1) an unhandled SIGTERM kills the
    process with the signal, so a clean exit 0 after "stopped" shows the handler drained and returned."""
    # Any free port on loopback: other test runs share this machine.
    code = model_server_code().replace('ThreadingHTTPServer(("", 8080)',
                                       'ThreadingHTTPServer(("127.0.0.1", 0)')
    assert "127.0.0.1" in code
    script = tmp_path / "server.py"
    script.write_text(code, encoding="utf-8")
    env = {"MODEL_VERSION": "v1", "MODEL_WEIGHTS": "0.8,-1.2,0.3", "MODEL_BIAS": "0.1",
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-u", str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout.readline().startswith("loading model")
        assert proc.stdout.readline().startswith("model v1 loaded")
        time.sleep(0.3)  # the handler is installed just before serve_forever()
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=5)
    finally:
        proc.kill()
    assert proc.returncode == 0, f"SIGTERM was not handled (exit {proc.returncode}): {out}"
    assert "stopped" in out and time.monotonic() - started < 5


def test_fsgroup_is_said_to_matter_on_cloud_block_volumes_not_on_kind():
    flat = " ".join(LESSONS[4].split())
    assert re.search(r"On kind and minikube you will see no difference with or without `fsGroup`", flat)
    assert "cloud block volume" in flat


@pytest.mark.parametrize("number", [2, 4, 5])
def test_grpc_is_never_called_a_non_http_protocol(number):
    flat = " ".join(LESSONS[number].split())
    found = re.findall(r"[^|.]*non-HTTP[^|.]*gRPC[^|.]*|gRPC over raw TCP", flat)
    assert not found, f"lesson {number:02d}: gRPC is HTTP/2; the point is L4 passthrough: {found}"


# --- lesson 05: a cluster without a CNI ---------------------------------------------------------

def test_without_a_cni_nodes_are_notready_and_coredns_pending():
    (para,) = [p for p in paragraphs(LESSONS[5]) if p.startswith("A cluster without a working CNI plugin")]
    assert "NotReady" in para and "CoreDNS" in para and "`Pending`" in para
    assert "ContainerCreating" not in para


def test_flannel_row_names_the_policy_add_ons():
    flat = " ".join(LESSONS[5].split())
    assert "netpol.enabled=true" in flat and "k3s" in flat
