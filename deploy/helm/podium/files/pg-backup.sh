#!/bin/sh
# Podium's database backup: one pg_dump (custom format), checked, renamed into place, old dumps
# pruned. The chart's backup CronJob runs this file (mounted from a ConfigMap into the postgres
# image), and `make restore-test` runs the same file against a scratch database and restores the
# dump with pg-restore.sh: the flags tested are the flags used.
#
# Environment: PGHOST, PGPORT, PGUSER, PGDATABASE (libpq); PGPASSWORD, or PGPASSWORD_FILE naming
# a file that holds it; BACKUP_DIR (where dumps go); BACKUP_KEEP (dumps kept, default 7).
set -eu
: "${BACKUP_DIR:?BACKUP_DIR is not set}"
: "${PGDATABASE:?PGDATABASE is not set}"
if [ -z "${PGPASSWORD:-}" ] && [ -n "${PGPASSWORD_FILE:-}" ]; then
  PGPASSWORD=$(cat "$PGPASSWORD_FILE")
  export PGPASSWORD
fi
keep=${BACKUP_KEEP:-7}
name="$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$BACKUP_DIR/.$name.partial"
trap 'rm -f "$partial"' EXIT
# --no-owner/--no-privileges: restorable as another role (a new cluster, a scratch database).
# --lock-wait-timeout: fail instead of queueing behind a migration's exclusive lock.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --lock-wait-timeout=60000 \
  --file="$partial"
# A truncated or corrupt archive fails here, before it replaces anything.
pg_restore --list "$partial" > /dev/null
mv "$partial" "$BACKUP_DIR/$name"
echo "pg-backup: wrote $BACKUP_DIR/$name ($(wc -c < "$BACKUP_DIR/$name") bytes)"
# Names sort by time (UTC stamp): keep the newest $keep, delete the rest.
ls -1 "$BACKUP_DIR" | grep -E "^$PGDATABASE-[0-9]{8}T[0-9]{6}Z\.dump$" | sort -r | tail -n +"$((keep + 1))" |
  while read -r old; do
    rm -f "$BACKUP_DIR/$old"
    echo "pg-backup: removed $old (keeping $keep)"
  done
