#!/usr/bin/env bash
# Load benchmark: the lesson page and the dashboard, gunicorn + PostgreSQL on this machine,
# driven by wrk. Prints requests/s and p50/p95/p99. Target (issue 2): lesson page >= 300 req/s
# at p95 <= 100 ms on the 2-core machine.
#   DURATION=20s CONNECTIONS=16 WORKERS=3 bash bench/lesson_page.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
WORKERS=${WORKERS:-3}
PORT=${PORT:-8765}

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }

export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/podium_bench}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15}
export SECRET_KEY=bench-only-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export DEBUG=0 SECURE_SSL=0 STATICFILES_MANIFEST=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING

$PY bench/create_db.py
$PY manage.py migrate --no-input -v0
$PY manage.py load_course courses/content/kubernetes-fundamentals
COOKIE=$($PY bench/make_session.py)
LESSON=$($PY -c "
import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE','lms.settings'); django.setup()
from courses.models import Lesson; print(Lesson.objects.order_by('number')[4].get_absolute_url())")

.venv/bin/gunicorn lms.wsgi:application --bind 127.0.0.1:$PORT --workers "$WORKERS" \
  --log-level warning --access-logfile /dev/null >/tmp/podium-bench-gunicorn.log 2>&1 &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done

run() {
  local name=$1 path=$2
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT$path")
  [ "$status" = 200 ] || { echo "$name: GET $path answered $status" >&2; exit 1; }
  wrk -t2 -c"$CONNECTIONS" -d5s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT$path" >/dev/null  # warm-up
  printf '%-10s %s ' "$name" "$path"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: $COOKIE" -s bench/report.lua \
    "http://127.0.0.1:$PORT$path" | grep '^RESULT' | sed 's/^RESULT //'
}
echo "gunicorn workers=$WORKERS, wrk connections=$CONNECTIONS, duration=$DURATION, $(nproc) cores"
run lesson "$LESSON"
run dashboard /dashboard/
