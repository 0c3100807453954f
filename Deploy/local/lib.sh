# Shell functions for PostgreSQL clusters on this machine, for the local topology and the deploy
# tests (sourced, not run). Each cluster listens on a unix socket only (no TCP port), and every
# connection authenticates with SCRAM through the run folder's password file.
#
# Needs: TOPO (the run folder). As root, PostgreSQL runs as the `postgres` account.

PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null)}
if [ ! -x "$PGBIN/initdb" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server programs not found (apt-get install postgresql)" >&2; return 1; }

if [ "$(id -u)" = 0 ]; then PGUSER_OS=postgres; else PGUSER_OS=$(id -un); fi

# Runs a command as the account that owns the clusters.
# As root, from / (the caller's folder may be one the postgres account cannot enter).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# A random password (hex), never written anywhere but the run folder's password files.
new_secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
# new_sealing_keys: a sealing key file of one fresh key (SM4 and HMAC-SM3: 48 random bytes).
new_sealing_keys() { printf 'k1 %s\n' "$(openssl rand -base64 48)"; }

# topo_prepare: the run folder, its socket folder and password files (PGPASSFILE for this shell
# and the gateways; a copy the server account can read, for a standby's primary_conninfo).
topo_prepare() {
  mkdir -p "$TOPO/run" "$TOPO/log" "$TOPO/bin"
  chmod 755 "$TOPO"
  chmod 1777 "$TOPO/run"
  chown "$PGUSER_OS" "$TOPO/log"
  export PGPASSFILE=$TOPO/pgpass
  if [ ! -f "$PGPASSFILE" ]; then
    : > "$PGPASSFILE"; chmod 600 "$PGPASSFILE"
    for role in postgres credit_broker_owner credit_broker_gateway credit_broker_ingest credit_broker_replication patroni_rewind; do
      # host:port:database:user:password, for the socket folder and loopback alike.
      printf '*:*:*:%s:%s\n' "$role" "$(new_secret)" >> "$PGPASSFILE"
    done
    install -m 600 -o "$PGUSER_OS" "$PGPASSFILE" "$TOPO/pgpass.server"
  fi
  # The server account runs these (the WAL archiver, the standby and backup scripts): copies it
  # can surely reach, wherever the repository is (a folder under /root is not).
  install -m 755 "$DEPLOY/backup/archive-wal.sh" "$DEPLOY/backup/basebackup.sh" "$DEPLOY/backup/restore.sh" \
    "$DEPLOY/standby/make-standby.sh" "$TOPO/bin/"
}

# pg_folder NAME: an empty folder in the run folder for the server account (a standby, a restore).
pg_folder() { mkdir -p "$TOPO/$1"; chown "$PGUSER_OS" "$TOPO/$1"; chmod 700 "$TOPO/$1"; }

secret_of() { awk -F: -v r="$1" '$4 == r { print $5; exit }' "$TOPO/pgpass"; }

# conninfo ROLE PORT [extra…]: a key/value connection string to credit_broker on a local cluster.
conninfo() {
  local role=$1 port=$2; shift 2
  echo "host=$TOPO/run port=$port dbname=credit_broker user=$role connect_timeout=3 $*"
}

# cluster_init NAME PORT: initdb (SCRAM for every connection) and this machine's settings.
cluster_init() {
  local name=$1 port=$2 data=$TOPO/$1
  mkdir -p "$data"; chown "$PGUSER_OS" "$data"; chmod 700 "$data"
  local pwfile=$TOPO/$name.pw
  secret_of postgres > "$pwfile"; chown "$PGUSER_OS" "$pwfile"
  as_pg "$PGBIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C --data-checksums >"$TOPO/log/$name-initdb.log"
  rm -f "$pwfile"
  cluster_configure "$name" "$port"
}

# cluster_configure NAME PORT: the settings of Deploy/postgres/postgresql.conf.md, sized down to
# this machine, plus WAL archiving into $TOPO/archive. Also used on a copy (standby, restore).
cluster_configure() {
  local name=$1 port=$2 data=$TOPO/$1
  mkdir -p "$TOPO/archive"; chown "$PGUSER_OS" "$TOPO/archive"
  as_pg tee "$data/conf.d.local.conf" >/dev/null <<CONF
listen_addresses = ''
unix_socket_directories = '$TOPO/run'
port = $port
max_connections = 100
shared_buffers = 128MB
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
synchronous_commit = on
archive_mode = on
archive_command = '$TOPO/bin/archive-wal.sh %p %f $TOPO/archive'
archive_timeout = 60
wal_compression = on
checkpoint_timeout = 15min
max_wal_size = 1GB
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = off
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0
log_error_verbosity = terse
CONF
  grep -q "^include_if_exists = 'conf.d.local.conf'" "$data/postgresql.conf" 2>/dev/null ||
    echo "include_if_exists = 'conf.d.local.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

cluster_start() {
  as_pg "$PGBIN/pg_ctl" -D "$TOPO/$1" -l "$TOPO/log/$1.log" -w -t 60 start >/dev/null
}

# cluster_stop NAME [MODE]: fast by default; `immediate` is a crash (no shutdown checkpoint).
cluster_stop() {
  [ -f "$TOPO/$1/postmaster.pid" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$TOPO/$1" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1 || true
}

# sql ROLE PORT SQL: one statement's rows, unaligned, tab-separated; fails on an SQL error.
sql() {
  local role=$1 port=$2; shift 2
  "$PGBIN/psql" "$(conninfo "$role" "$port")" -X -v ON_ERROR_STOP=1 -qAt -F $'\t' -c "$*"
}

# psql_file ROLE PORT FILE [DATABASE]
psql_file() {
  "$PGBIN/psql" "host=$TOPO/run port=$2 dbname=${4:-credit_broker} user=$1" -X -v ON_ERROR_STOP=1 -q -f "$3"
}

# set_passwords PORT: gives each login role its password from the password file. The statement
# goes through psql's standard input (not its command line, which `ps` shows); the server keeps
# only the SCRAM verifier.
set_passwords() {
  local port=$1 role
  for role in credit_broker_owner credit_broker_gateway credit_broker_ingest credit_broker_replication; do
    printf "\\set pw '%s'\nALTER ROLE %s PASSWORD :'pw';\n" "$(secret_of "$role")" "$role"
  done | "$PGBIN/psql" "host=$TOPO/run port=$port dbname=postgres user=postgres" -X -q -v ON_ERROR_STOP=1 >/dev/null
}

# serve_in_background NAME DATABASE_URL [serve flags…]: `credit-broker serve` detached, with
# $TOPO/person-key.secret and $TOPO/sealing-keys; log in $TOPO/log/NAME.log, pid in $TOPO/NAME.pid. By default $BIN from
# the repository folder (Policies/, Contracts/), the password file $TOPO/pgpass, state in $TOPO/NAME;
# SERVE_DIR names another folder holding credit-broker, Policies/, Contracts/, pgpass and state/.
# With CONFINE=UNIT, under that systemd unit's account (CONFINE_USER standing in), system call
# filter and other restrictions (Deploy/test/confine.py).
serve_in_background() {
  local name=$1 url=$2; shift 2
  local dir=${SERVE_DIR:-$REPO} bin=$BIN pgpass=$TOPO/pgpass state=$TOPO/$name seed_pki= sealing=$TOPO/sealing-keys
  [ -d "$TOPO/pki" ] && seed_pki=$TOPO/pki
  [ -n "${SERVE_DIR:-}" ] && { bin=$SERVE_DIR/credit-broker pgpass=$SERVE_DIR/pgpass state=$SERVE_DIR/state sealing=$SERVE_DIR/sealing-keys; }
  # exec: the background subshell becomes the gateway (confine.py execs it in turn), so $! is its pid.
  # The first gateway on an empty database seeds its contract ledger from Contracts/, each bank's
  # certificate pinned to the one the topology's development PKI issued it.
  (cd "$dir"; exec env CREDIT_BROKER_PERSON_KEY_SECRET="$(cat "$TOPO/person-key.secret")" DATABASE_URL="$url" \
    CREDIT_BROKER_SEALING_KEYS="$sealing" ${seed_pki:+CREDIT_BROKER_SEED_PKI="$seed_pki"} \
    PGPASSFILE="$pgpass" setsid ${CONFINE:+/usr/bin/python3 "$DEPLOY/test/confine.py" "$CONFINE" ${CONFINE_USER:+--user "$CONFINE_USER"} --} \
    "$bin" serve --state-dir "$state" "$@" </dev/null >"$TOPO/log/$name.log" 2>&1) &
  echo $! >"$TOPO/$name.pid"
}

# haproxy_servers SOCKET [BACKEND]: "server status sessions-so-far" per server of the backend
# (default: gateways), from HAProxy's stats socket.
haproxy_servers() {
  python3 - "$1" "${2:-gateways}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536): data += chunk
for f in (line.split(",") for line in data.decode().splitlines()):
    if len(f) > 17 and f[0] == sys.argv[2] and f[1] not in ("FRONTEND", "BACKEND"): print(f[1], f[17], f[7])
PY
}

# metered CONNINFO ID,ID,…: how many of these request ids have a meter event. The ids travel as
# a psql variable, quoted by psql (:'ids').
metered() {
  echo "SELECT count(*) FROM meter_events WHERE request_id = ANY (string_to_array(:'ids', ','))" |
    "$PGBIN/psql" "$1" -X -qAt -v ON_ERROR_STOP=1 -v ids="$2"
}

# wait_until 'SHELL CONDITION': evaluates the condition again every half second, for up to WAIT
# seconds (default 60); e.g. wait_until '[ "$(replica_state)" = streaming ]'.
wait_until() {
  local deadline=$((SECONDS + ${WAIT:-60}))
  until eval "$1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# wait_for CMD…: retries the command for up to WAIT seconds (default 60).
wait_for() {
  local deadline=$((SECONDS + ${WAIT:-60}))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}
