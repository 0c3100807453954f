#!/bin/sh
# Takes a base backup of the primary into BACKUPS/<UTC time>/ and verifies it; keeps the newest
# KEEP backups (default 7) and removes archived WAL older than the oldest one kept.
#     basebackup.sh BACKUPS ARCHIVE [conninfo]
# The conninfo (default: the environment's PG* variables) names a role with REPLICATION, e.g.
# "host=db1 user=credit_broker_replication sslmode=verify-full"; its password comes from
# ~/.pgpass or PGPASSFILE, never from the command line. Run as the account that owns BACKUPS.
# Restore with restore.sh. WAL between backups comes from archive-wal.sh (archive_command).
set -eu
backups=$1 archive=$2 conn=${3:-}
keep=${KEEP:-7}
bin=${PGBIN:-$(pg_config --bindir)}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target=$backups/$stamp
mkdir -p "$backups"
# Plain format with a SHA-256 manifest, so pg_verifybackup can check every file; the WAL needed
# to make the copy consistent is streamed into it (-X stream), so it restores without the archive.
"$bin/pg_basebackup" ${conn:+-d "$conn"} -D "$target.partial" -Fp -X stream -c fast \
  --manifest-checksums=SHA256 --label="credit-broker $stamp"
"$bin/pg_verifybackup" -q "$target.partial"
mv "$target.partial" "$target"
echo "$target"

# Retention: the newest $keep backups, and the archived WAL the oldest of them needs.
ls -1d "$backups"/*Z 2>/dev/null | sort | head -n "-$keep" | while read -r old; do rm -rf "$old"; done
oldest=$(ls -1d "$backups"/*Z | sort | head -n 1)
start_wal=$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p' "$oldest/backup_label")
[ -n "$start_wal" ] && "$bin/pg_archivecleanup" "$archive" "$start_wal"
