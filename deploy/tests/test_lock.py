"""The hashed lock files are what every install uses (Makefile, Dockerfile, CI). These checks need
no network; `make lock-check` (CI) re-resolves against PyPI to catch a stale lock."""

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def _pins(lock: str) -> dict[str, list[str]]:
    """name -> the hashes listed under its pin, for every `name==version` entry of a lock file."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            pins[current] = [match[3]]
        elif current and "--hash=sha256:" in line:
            pins[current].append(line.strip())
        elif not line.startswith(" "):
            current = None
    return pins


def _requirements(name: str) -> list[Requirement]:
    reqs = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            reqs.append(Requirement(line))
    return reqs


@pytest.mark.parametrize(("lock", "sources"), [
    ("requirements.lock", ["requirements.txt"]),
    ("requirements-dev.lock", ["requirements.txt", "requirements-dev.txt"]),
])
def test_every_requirement_is_pinned_with_hashes_in_its_lock(lock, sources):
    pins = _pins(lock)
    for source in sources:
        for req in _requirements(source):
            name = canonicalize_name(req.name)
            assert name in pins, f"{req.name} ({source}) is missing from {lock}: run `make lock`"
            version, *hashes = pins[name]
            assert req.specifier.contains(version, prereleases=True), (
                f"{lock} pins {req.name}=={version}, outside {source}'s {req.specifier}: run `make lock`")
            assert hashes, f"{lock} pins {req.name} without a hash"
    assert all(hashes for _, *hashes in pins.values()), f"every pin in {lock} carries its hashes"


def test_runtime_and_dev_locks_agree_on_shared_pins():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    for name, (version, *_) in runtime.items():
        assert dev[name][0] == version, f"{name}: {version} in requirements.lock, {dev[name][0]} in dev"


def test_installs_use_the_locks_with_hash_checking():
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "-r requirements.txt" not in dockerfile
    assert "make lock-check" in ci
