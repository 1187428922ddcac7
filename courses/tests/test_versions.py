"""Version truth: every pinned tool version in the lessons and lab instructions is the one
versions.yaml holds.

Only pins are checked (install commands, image tags, `--version` flags, sample output), never
minimums in prose ("kind v0.24 or later", "GA in 1.33"): each pattern below is anchored on
syntax that only a pin has. A failure names the file, the line and the expected version.
"""

import re
from pathlib import Path

import pytest
import yaml

COURSE = Path(__file__).resolve().parents[1] / "content" / "kubernetes-fundamentals"
VERSIONS_FILE = COURSE / "versions.yaml"

V = r"(?P<v>v?\d+\.\d+\.\d+(?:[.-][0-9A-Za-z.]+)?)"  # 1.2.3, v1.2.3, v0.6.3.post1, v1.2.3-rc.1
# A plain Kubernetes version: a vendor build such as v1.30.4-eks-a737599 is a cloud cluster's output,
# not the course's kind cluster, and is left alone.
KV = r"(?P<v>v\d+\.\d+\.\d+)(?![-+.\w])"

# (component, field in versions.yaml, pattern with a group named v). Patterns run on logical
# lines: a shell command continued with a trailing backslash is one line.
PATTERNS: list[tuple[str, str, re.Pattern]] = [(c, f, re.compile(p)) for c, f, p in [
    # kind itself
    ("kind", "version", r"\bKIND_VERSION=" + V),
    ("kind", "version", r"kubernetes-sigs/kind/releases/download/" + V),
    ("kind", "version", r"kind\.sigs\.k8s\.io/dl/" + V),
    ("kind", "version", r"^\s*kind " + V + r" go\d"),  # `kind version` output
    ("kind", "version", r"\bgo install sigs\.k8s\.io/kind@" + V),
    # Kubernetes: node images, flags, kubectl downloads and version/node output
    ("kubernetes", "version", r"kindest/node:" + V),
    ("kubernetes", "version", r"--kubernetes-version[= ]" + V),
    ("kubernetes", "version", r"dl\.k8s\.io/release/" + V + r"/bin"),
    ("kubernetes", "version", r"\b(?:Client|Server) Version: " + KV),
    ("kubernetes", "version", r'"gitVersion": "' + KV),
    # `kubectl get nodes` on a kind cluster: nodes are named <cluster>-control-plane / -worker[N]
    ("kubernetes", "version",
     r"^\S+-(?:control-plane|worker\d*)\s+(?:Not)?Ready(?:,SchedulingDisabled)?\s+\S+\s+\S+\s+" + KV),
    # Helm
    ("helm", "version", r"get\.helm\.sh/helm-" + V + r"-"),
    ("helm", "version", r"\bDESIRED_VERSION=" + V),
    ("helm", "version", r'version\.BuildInfo\{Version:"' + V + '"'),
    # GPU Operator chart
    ("gpu_operator", "version", r"\bhelm\b.*\bnvidia/gpu-operator\b.*--version[= ]" + V),
    ("gpu_operator", "version", r"\bgpu-operator-" + V + r"\.tgz"),
    # NVIDIA device plugin: chart and image
    ("device_plugin", "version", r"\bhelm\b.*\bnvdp/nvidia-device-plugin\b.*--version[= ]" + V),
    ("device_plugin", "version", r"k8s-device-plugin:" + V),
    ("device_plugin", "version", r"k8s-device-plugin/" + V + r"/deployments"),
    # vLLM image and package
    ("vllm", "version", r"vllm/vllm-openai:" + V),
    ("vllm", "version", r"\bvllm==" + V),
    # metrics-server: app version (manifest, image, chart listing) and chart version
    ("metrics_server", "version", r"metrics-server/releases/download/" + V + r"/components\.yaml"),
    ("metrics_server", "version", r"metrics-server/metrics-server:" + V),
    ("metrics_server", "version", r"^\s*App version:\s+" + V),
    ("metrics_server", "chart_version", r"\bhelm\b.*\bmetrics-server/metrics-server\b.*--version[= ]" + V),
    ("metrics_server", "chart_version", r"^\s*Chart version:\s+" + V),
    ("metrics_server", "chart_version", r"^metrics-server/metrics-server\s+" + V),
    ("metrics_server", "version", r"^metrics-server/metrics-server\s+\S+\s+" + V),
    ("metrics_server", "chart_version", r"\bmetrics-server-" + V + r"\b"),
    # kube-prometheus-stack chart
    ("kube_prometheus_stack", "version",
     r"\bhelm\b.*\bprometheus-community/kube-prometheus-stack\b.*--version[= ]" + V),
    ("kube_prometheus_stack", "version", r"\bkube-prometheus-stack-" + V + r"\b"),
]]

# A retired name may be named only on a line that says it is retired.
RETIRED_CONTEXT = re.compile(r"deprecat|replac|renamed|retired|older|old name|was called", re.I)


def load_versions(path: Path = VERSIONS_FILE) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["components"]


def norm(version: str) -> str:
    return str(version).removeprefix("v")


def course_files() -> list[Path]:
    """Lessons, and the lab instructions students read (lab.yaml, README)."""
    files = sorted(COURSE.glob("[0-9][0-9]-*.md"))
    files += sorted(COURSE.glob("labs/*/lab.yaml"))
    files += sorted(COURSE.glob("labs/*/README*"))
    return files


def logical_lines(text: str):
    """(first line number, text) with backslash-continued lines joined."""
    start, parts = None, []
    for number, line in enumerate(text.splitlines(), start=1):
        if start is None:
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        start, parts = None, []
    if parts:
        yield start, " ".join(parts)


def version_mismatches(text: str, versions: dict, label: str = "<text>") -> list[str]:
    problems = []
    for number, line in logical_lines(text):
        for component, field, pattern in PATTERNS:
            expected = versions[component][field]
            for match in pattern.finditer(line):
                found = match.group("v")
                if norm(found) != norm(expected):
                    problems.append(f"{label}:{number}: {component} {field} is {expected} in versions.yaml, "
                                    f"but this line names {found}: {line.strip()[:120]}")
        for component, spec in versions.items():
            for name in spec.get("retired_names") or []:
                if name in line and not RETIRED_CONTEXT.search(line):
                    problems.append(f"{label}:{number}: {name} is retired ({component}); name "
                                    f"its replacement, or say it is deprecated: {line.strip()[:120]}")
    return problems


# --- versions.yaml itself -------------------------------------------------------------------

REQUIRED = ["kind", "kubernetes", "helm", "gpu_operator", "device_plugin", "vllm", "metrics_server",
            "kube_prometheus_stack"]


def test_versions_file_names_every_course_wide_component_with_a_source():
    versions = load_versions()
    assert sorted(REQUIRED) == sorted(set(REQUIRED) & set(versions)), \
        f"versions.yaml lacks {sorted(set(REQUIRED) - set(versions))}"
    for name, spec in versions.items():
        assert re.fullmatch(V, str(spec.get("version", ""))), f"{name}: version {spec.get('version')!r}"
        assert str(spec.get("source", "")).startswith("https://"), f"{name}: no https source"
    node_image = versions["kubernetes"]["node_image"]
    assert node_image.startswith(f"kindest/node:{versions['kubernetes']['version']}@sha256:"), \
        "the kind node image must be the Kubernetes version, pinned by digest"
    assert version_mismatches(node_image, versions) == []


def test_every_pattern_names_a_component_and_field_of_versions_yaml():
    versions = load_versions()
    for component, field, _ in PATTERNS:
        assert field in versions[component], f"{component}.{field} is missing from versions.yaml"


# --- the patterns: real pins caught, prose minimums and other tools left alone ----------------

FAKE = {
    "kind": {"version": "v0.33.0"}, "kubernetes": {"version": "v1.36.4"}, "helm": {"version": "v4.2.3"},
    "gpu_operator": {"version": "v26.7.2"}, "device_plugin": {"version": "v0.19.2"},
    "vllm": {"version": "v0.32.0", "retired_names": ["vllm:gpu_cache_usage_perc"]},
    "metrics_server": {"version": "v0.8.1", "chart_version": "3.13.1"},
    "kube_prometheus_stack": {"version": "88.4.0"},
}

CAUGHT = [
    ("KIND_VERSION=v0.25.0   # or the newest release", "kind"),
    ("curl -Lo ./kind https://kind.sigs.k8s.io/dl/v0.25.0/kind-linux-amd64", "kind"),
    (" ✓ Ensuring node image (kindest/node:v1.31.2) 🖼", "kubernetes"),
    ("minikube start --driver=docker --kubernetes-version=v1.31.2", "kubernetes"),
    ("Client Version: v1.31.2", "kubernetes"),
    ('  "gitVersion": "v1.31.2",', "kubernetes"),
    ("ml-intro-control-plane   Ready    control-plane   72s   v1.31.2", "kubernetes"),
    ("gpu-lab-worker          Ready    <none>          2m    v1.31.2   NVIDIA-L4     23034", "kubernetes"),
    ("helm install gpu-operator nvidia/gpu-operator \\\n  --namespace gpu-operator --create-namespace \\\n"
     "  --version v24.9.2", "gpu_operator"),
    ("helm upgrade -i nvdp nvdp/nvidia-device-plugin \\\n  --namespace nvidia-device-plugin \\\n"
     "  --version 0.17.1 \\\n  --set gfd.enabled=true", "device_plugin"),
    ("        image: vllm/vllm-openai:v0.6.3.post1", "vllm"),
    ("  vLLM (`vllm/vllm-openai:v0.6.3.post1`, port `http` = 8000) serving", "vllm"),
    ("kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.7.2/"
     "components.yaml", "metrics_server"),
    ("helm show values metrics-server/metrics-server --version 3.12.2 | less", "metrics_server"),
    ("metrics-server  kube-system  1  2026-03-02  deployed  metrics-server-3.12.2  0.7.2", "metrics_server"),
    ("helm install monitoring prometheus-community/kube-prometheus-stack \\\n  --version 65.1.0",
     "kube_prometheus_stack"),
    ("vLLM exposes `vllm:gpu_cache_usage_perc` on its `/metrics`.", "vllm"),
]

LEFT_ALONE = [
    "**You need:** Docker, `kind` (v0.24 or later), `kubectl`, `helm` and `openssl`.",
    "Since kind v0.24.0, it also runs a NetworkPolicy enforcer (kube-network-policies)",
    "It was alpha in 1.31, beta in 1.33 and on by default from 1.35.",
    "kubeVersion: \">=1.29.0-0\"      # optional: refuse to install on older clusters",
    "You need `kind`, `kubectl` and `helm` (3.8 or later; 4.x preferred).",
    "helm install my-release ./model-server --version 0.1.0",
    "docker run --rm pytorch/pytorch:2.4.1-cuda12.4-cudnn9-runtime",
    "image: registry.k8s.io/metrics-server/metrics-server:v0.8.1",
    "`vllm:kv_cache_usage_perc` replaces the deprecated `vllm:gpu_cache_usage_perc`.",
    "kind delete cluster --name model-lab",
    "ip-10-0-1-23.ec2.internal   Ready    <none>   3d   v1.30.4-eks-a737599",
    "Server Version: v1.30.4-eks-a737599",
]


@pytest.mark.parametrize(("text", "component"), CAUGHT, ids=[c for _, c in CAUGHT])
def test_a_lesson_naming_another_version_of_a_component_is_reported_with_its_line(text, component):
    problems = version_mismatches("intro\n" + text, FAKE, "lesson.md")
    assert problems, f"not caught: {text!r}"
    assert all(p.startswith("lesson.md:2: ") for p in problems), problems
    assert any(component in p for p in problems), problems


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_prose_minimums_other_tools_and_matching_pins_are_not_reported(text):
    assert version_mismatches(text, FAKE) == []


# --- the course ---------------------------------------------------------------------------------

def test_course_lessons_and_lab_instructions_name_only_the_versions_in_versions_yaml():
    versions = load_versions()
    problems = []
    for file in course_files():
        problems += version_mismatches(file.read_text(encoding="utf-8"), versions,
                                       str(file.relative_to(COURSE)))
    assert not problems, "versions differ from versions.yaml:\n" + "\n".join(problems)


# --- the course loader reads versions.yaml and refuses a broken one ---------------------------

def test_the_course_loader_reads_versions_yaml():
    from courses.content_files import read_course

    spec = read_course(COURSE)
    on_disk = load_versions()
    assert sorted(spec.versions) == sorted(on_disk)
    for name, component in on_disk.items():
        assert spec.versions[name]["version"] == component["version"]


def test_a_versions_file_with_a_misspelt_field_or_no_source_is_refused_naming_file_line_and_field(course_dir):
    from courses.content_files import read_course
    from courses.yaml_lines import ContentErrors

    (course_dir / "versions.yaml").write_text(
        "components:\n"
        "  helm:\n"
        "    version: v4.2.3\n"
        "    source: https://github.com/helm/helm/releases\n"
        "  vllm:\n"
        "    verison: v0.32.0\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as info:
        read_course(course_dir)
    errors = [str(e) for e in info.value.errors]
    assert any("versions.yaml:6" in e and "verison" in e for e in errors), errors
    assert any("versions.yaml" in e and "components.vllm" in e and "source" in e for e in errors), errors


# --- every kind cluster the course creates runs the course's node image ------------------------

KIND_CREATE = re.compile(r"\bkind create cluster\b.*--name\b")
CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)


def unpinned_kind_clusters(text: str, label: str = "<text>") -> list[str]:
    """`kind create cluster --name …` without --image or --config, and kind configs whose nodes
    name no image, run whatever node image the student's kind release defaults to."""
    problems = []
    for number, line in logical_lines(text):
        if KIND_CREATE.search(line) and "--image" not in line and "--config" not in line:
            problems.append(f"{label}:{number}: kind cluster without the course's node image "
                            f"(add --image from versions.yaml): {line.strip()[:120]}")
    for block in CODE_BLOCK.finditer(text):
        body = block.group(1)
        if re.search(r"^kind: Cluster\s*$", body, re.M):
            roles = len(re.findall(r"^\s*- role:", body, re.M))
            images = len(re.findall(r"^\s*image: kindest/node:", body, re.M))
            if roles != images:
                number = text.count("\n", 0, block.start()) + 1
                problems.append(f"{label}:{number}: kind config with {roles} nodes but {images} "
                                f"node images: give every node the course's image")
    return problems


def test_a_kind_cluster_without_the_course_node_image_is_reported():
    text = ("```bash\nkind create cluster --name lab\n```\n\n"
            "```yaml partial\nkind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
            "- role: control-plane\n  image: kindest/node:v1.36.4\n- role: worker\n```\n")
    problems = unpinned_kind_clusters(text, "lesson.md")
    assert [p.split(": ")[0] for p in problems] == ["lesson.md:2", "lesson.md:5"], problems
    pinned = ("kind create cluster --name lab \\\n  --image kindest/node:v1.36.4@sha256:ab\n"
              "`kind create cluster` refuses to overwrite a cluster\n")
    assert unpinned_kind_clusters(pinned) == []


def test_every_kind_cluster_in_the_course_runs_the_course_node_image():
    problems = []
    for file in course_files():
        problems += unpinned_kind_clusters(file.read_text(encoding="utf-8"), str(file.relative_to(COURSE)))
    assert not problems, "\n".join(problems)


def test_the_grader_and_the_content_tests_validate_against_the_courses_kubernetes():
    """Manifests are validated against the schemas of the Kubernetes the lessons run (kind's node
    image), so a field the course's cluster accepts is not refused by the grader, or the reverse."""
    from courses.tests.test_course_content import K8S_VERSION
    from grading.intake.validation import KUBERNETES_VERSION

    minor = ".".join(norm(load_versions()["kubernetes"]["version"]).split(".")[:2])
    assert minor == KUBERNETES_VERSION
    assert K8S_VERSION.startswith(minor + ".")
