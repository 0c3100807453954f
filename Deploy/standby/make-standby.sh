#!/bin/sh
# Makes a streaming standby of the primary in a new data folder. Run as the server account.
#     make-standby.sh DATA NAME 'PRIMARY_CONNINFO'
# DATA must not exist or be empty. PRIMARY_CONNINFO names a REPLICATION role, e.g.
#     'host=db1 port=5432 user=credit_broker_replication sslmode=verify-full passfile=/var/lib/postgresql/.pgpass'
# NAME becomes the standby's application_name (what synchronous_standby_names on the primary
# lists) and its replication slot (so the primary keeps the WAL the standby has not received).
# Start it with pg_ctl (or the distribution's postgresql@ unit); promote it with
#     pg_ctl -D DATA promote     (or SELECT pg_promote())
# With Patroni (Deploy/patroni/) Patroni does all of this itself: use one or the other.
set -eu
data=$1 name=$2 primary=$3
bin=${PGBIN:-$(pg_config --bindir)}
[ -z "$(ls -A "$data" 2>/dev/null)" ] || { echo "make-standby: $data is not empty" >&2; exit 1; }
# -C -S: create the slot on the primary as part of the copy; -R: write standby.signal.
"$bin/pg_basebackup" -d "$primary" -D "$data" -Fp -X stream -c fast -C -S "$name" -R
chmod 700 "$data"
cat >> "$data/postgresql.auto.conf" <<CONF
# make-standby.sh
primary_conninfo = '$primary application_name=$name'
primary_slot_name = '$name'
hot_standby = on
CONF
echo "standby $name prepared in $data"
