#!/bin/sh
# Restores a dump written by pg-backup.sh into an existing, empty database, in one transaction
# (a failure leaves the database empty, never half restored). See deploy/README.md, "Restore".
#
# Usage: pg-restore.sh <dump file>. Target: PGHOST, PGPORT, PGUSER, PGDATABASE; PGPASSWORD or
# PGPASSWORD_FILE.
set -eu
dump=${1:?usage: pg-restore.sh <dump file>}
: "${PGDATABASE:?PGDATABASE is not set}"
if [ -z "${PGPASSWORD:-}" ] && [ -n "${PGPASSWORD_FILE:-}" ]; then
  PGPASSWORD=$(cat "$PGPASSWORD_FILE")
  export PGPASSWORD
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$PGDATABASE" "$dump"
echo "pg-restore: restored $dump into $PGDATABASE"
