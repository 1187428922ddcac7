#!/usr/bin/env bash
# Quiz under load: 500 students start, autosave every answer and submit, against gunicorn +
# PostgreSQL + Redis on this machine. Targets (issue 4): 0 errors, no lost answers,
# autosave p95 <= 100 ms, submit p95 <= 300 ms.
#   STUDENTS=500 CONCURRENCY=16 WORKERS=3 bash bench/quiz_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8766}
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/podium_bench}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15}
# The cache named as a Redis of its own, as the chart deploys it: the students' page cache is on.
export REDIS_CACHE_URL=$REDIS_URL
export SECRET_KEY=bench-only-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export DEBUG=0 SECURE_SSL=0 STATICFILES_MANIFEST=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING

$PY bench/create_db.py
$PY manage.py migrate --no-input -v0
$PY manage.py load_course courses/content/kubernetes-fundamentals >/dev/null
.venv/bin/gunicorn lms.wsgi:application --bind 127.0.0.1:$PORT --workers "${WORKERS:-3}" \
  --log-level warning --access-logfile /dev/null >/tmp/podium-quiz-bench.log 2>&1 &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
$PY bench/quiz_load.py --base "http://127.0.0.1:$PORT" --students "${STUDENTS:-500}" \
  --concurrency "${CONCURRENCY:-16}"
