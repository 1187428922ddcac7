#!/usr/bin/env bash
# 100 submissions graded live by 2 Celery workers against the Kubernetes API emulator (with
# simulated controllers); one worker is SIGKILLed mid-run. Checks none lost, none graded
# twice, and zero sandboxes left after the reaper's next pass.
#   SUBMISSIONS=100 bash bench/grading_live.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/podium_bench_live}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}
export SECRET_KEY=bench-only-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export DEBUG=0 SECURE_SSL=0 STATICFILES_MANIFEST=0 LOG_LEVEL=WARNING
# Short limits so a killed worker's submission (and sandbox) is reclaimed within seconds.
export GRADING_TASK_SOFT_TIME_LIMIT=8 GRADING_TASK_TIME_LIMIT=10 GRADING_STALE_AFTER=12 GRADING_REQUEUE_AFTER=60
export GRADING_SANDBOX_TTL=15

work=$(mktemp -d)
$PY -m grading.tests.k8s_emulator --controllers > "$work/url" 2> "$work/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do [ -s "$work/url" ] && break; sleep 0.1; done
cat > "$work/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: emulator, cluster: {server: "$(cat "$work/url")"}}]
users: [{name: grader, user: {token: bench}}]
contexts: [{name: emulator, context: {cluster: emulator, user: grader}}]
current-context: emulator
KUBECONFIG
export GRADING_KUBECONFIG="$work/kubeconfig"

$PY bench/create_db.py
$PY manage.py migrate --no-input -v0
$PY manage.py load_course courses/content/kubernetes-fundamentals >/dev/null
$PY bench/grading_live.py --submissions "${SUBMISSIONS:-100}"
