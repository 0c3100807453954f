#!/bin/sh
# Restores a base backup into a new data folder and replays archived WAL up to an instant, then
# opens the restored cluster for writes (a new timeline). Run as the server account (postgres).
#     restore.sh BACKUP ARCHIVE DATA 'YYYY-MM-DD HH:MM:SS.ffffff+00' [PORT]
# BACKUP is a folder from basebackup.sh; DATA must not exist or be empty. Transactions that committed at or
# before the instant are kept, later ones are not (recovery_target_inclusive). Start it with
#     pg_ctl -D DATA -l DATA/restore.log start
# and watch the log for "archive recovery complete". PostgreSQL fails the recovery, rather than
# open a copy older than asked, if the archive ends before the instant.
set -eu
backup=$1 archive=$2 data=$3 target_time=$4 port=${5:-}
bin=${PGBIN:-$(pg_config --bindir)}
[ -z "$(ls -A "$data" 2>/dev/null)" ] || { echo "restore: $data is not empty; restore into a new folder" >&2; exit 1; }
"$bin/pg_verifybackup" -q "$backup"
mkdir -p "$data"
cp -a "$backup/." "$data/"
chmod 700 "$data"
rm -f "$data/backup_manifest" "$data/postmaster.pid"
cat >> "$data/postgresql.auto.conf" <<CONF
# restore.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)
restore_command = 'cp "$archive/%f" "%p"'
recovery_target_time = '$target_time'
recovery_target_inclusive = on
recovery_target_action = 'promote'
# The copy must not write into the production archive, nor wait for the production standby.
archive_mode = off
synchronous_standby_names = ''
CONF
[ -n "$port" ] && echo "port = $port" >> "$data/postgresql.auto.conf"
touch "$data/recovery.signal"
echo "prepared $data: recovery to $target_time"
