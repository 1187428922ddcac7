#!/usr/bin/env bash
# 200 submissions through Celery on Redis with 2 worker processes; one worker is SIGKILLed
# mid-run. Checks that every submission is graded exactly once and prints submissions/s.
#   SUBMISSIONS=200 bash bench/grading_queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/podium_bench_grading}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}
export SECRET_KEY=bench-only-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export DEBUG=0 SECURE_SSL=0 STATICFILES_MANIFEST=0 LOG_LEVEL=WARNING
# Short limits so a killed worker's submission is reclaimed within seconds, not minutes.
export GRADING_TASK_SOFT_TIME_LIMIT=4 GRADING_TASK_TIME_LIMIT=5 GRADING_STALE_AFTER=8 GRADING_REQUEUE_AFTER=60

$PY bench/create_db.py
$PY manage.py migrate --no-input -v0
$PY manage.py load_course courses/content/kubernetes-fundamentals >/dev/null
$PY bench/grading_queue.py --submissions "${SUBMISSIONS:-200}"
