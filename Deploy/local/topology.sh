#!/usr/bin/env bash
# The production topology on one machine, on loopback: a primary and a synchronous streaming
# standby (PostgreSQL, unix sockets), two gateways (`credit-broker serve`, mutual TLS) whose
# database URL names both servers with target_session_attrs=read-write and who read records and
# consents from the standby (--replica-url, target_session_attrs=standby), and HAProxy passing
# TLS through to them, health-checked on /readyz.
#
#     Deploy/local/topology.sh up       # builds nothing: set CREDIT_BROKER_BIN or build first
#     Deploy/local/topology.sh status
#     Deploy/local/topology.sh down     # stops everything and removes the run folder
#
# Run folder: $CREDIT_BROKER_TOPOLOGY (default /tmp/credit-broker-topology); it holds the
# clusters, the WAL archive, the development PKI, the password file and topology.env (every
# address, for scripts: `source $TOPO/topology.env`). Ports: $CREDIT_BROKER_TOPOLOGY_PORT
# (default 18440) + 3 for HAProxy, + 1 and + 2 for the gateways, + 11 and + 12 for their admin
# listeners, + 21 and + 22 for their operations listeners (/metrics). Size of the synthetic province: TOPOLOGY_ENTERPRISES (2000), TOPOLOGY_PERSONS (500).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOY=$REPO/Deploy
TOPO=${CREDIT_BROKER_TOPOLOGY:-/tmp/credit-broker-topology}
BASE=${CREDIT_BROKER_TOPOLOGY_PORT:-18440}
BIN=${CREDIT_BROKER_BIN:-$REPO/.build/debug/credit-broker}
PRIMARY_PORT=55432 STANDBY_PORT=55433
source "$DEPLOY/local/lib.sh"

log() { printf '[topology %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The gateways' database URL: both servers; libpq takes the one that accepts writes, so after a
# promotion the pool's next connection finds the new primary without a restart.
gateway_url() {
  echo "host=$TOPO/run,$TOPO/run port=$PRIMARY_PORT,$STANDBY_PORT dbname=credit_broker user=credit_broker_gateway target_session_attrs=read-write connect_timeout=2"
}

# Where the gateways read records and consents while it is fresh: the standby only (libpq refuses
# a server that is not in recovery), so after a promotion every read goes to the primary's pool.
standby_url() {
  echo "host=$TOPO/run port=$STANDBY_PORT dbname=credit_broker user=credit_broker_gateway target_session_attrs=standby connect_timeout=2"
}

start_gateway() {
  local n=$1 port=$((BASE + $1)) admin=$((BASE + 10 + $1)) ops=$((BASE + 20 + $1))
  serve_in_background "gateway$n" "$(gateway_url)" --host 127.0.0.1 --port "$port" --admin-port "$admin" --ops-port "$ops" \
    --replica-url "$(standby_url)" --tls-dir "$TOPO/pki" --receipt-key "$TOPO/receipt-signing-key" \
    --receipt-sm2-key "$TOPO/receipt-signing-key-sm2.pem" --db-pool-size 8
  WAIT=90 wait_for curl -sf --cacert "$TOPO/pki/ca.pem" "https://localhost:$port/readyz" ||
    { log "gateway $n did not become ready:"; tail -20 "$TOPO/log/gateway$n.log"; return 1; }
}

stop_gateway() {
  local pidfile=$TOPO/gateway$1.pid
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    WAIT=30 wait_for sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

haproxy_env() {
  export CREDIT_BROKER_LISTEN=127.0.0.1:$((BASE + 3))
  export CREDIT_BROKER_GATEWAY_1=127.0.0.1:$((BASE + 1)) CREDIT_BROKER_GATEWAY_2=127.0.0.1:$((BASE + 2))
  export CREDIT_BROKER_SERVER_CA=$TOPO/pki/ca.pem CREDIT_BROKER_SERVER_NAME=localhost
  export CREDIT_BROKER_STATS=$TOPO/run/haproxy.sock
}

# haproxy_states: "gateway1 UP" lines.
haproxy_states() { haproxy_servers "$TOPO/run/haproxy.sock" | cut -d' ' -f1,2; }

# replication STANDBY COLUMN: a column of pg_stat_replication on the primary.
replication() {
  sql postgres $PRIMARY_PORT "SELECT $2 FROM pg_stat_replication WHERE application_name = '$1'"
}

up() {
  [ -x "$BIN" ] || { echo "no credit-broker binary at $BIN: nice -n 10 swift build --product credit-broker" >&2; exit 1; }
  command -v haproxy >/dev/null || { echo "haproxy missing: apt-get install haproxy" >&2; exit 1; }
  [ -e "$TOPO/primary" ] && { echo "$TOPO already holds a topology: $0 down first" >&2; exit 1; }
  topo_prepare
  new_secret >"$TOPO/person-key.secret"; chmod 600 "$TOPO/person-key.secret"
  new_sealing_keys >"$TOPO/sealing-keys"; chmod 600 "$TOPO/sealing-keys"
  # The gateways' shared receipt keys: a key given by path must exist (serve creates one only at its
  # default place in the state folder, which is each gateway's own).
  (umask 077; openssl rand -base64 32 >"$TOPO/receipt-signing-key"
   openssl genpkey -algorithm SM2 -out "$TOPO/receipt-signing-key-sm2.pem")

  log "primary: initdb, roles, migrations (as the owner), grants"
  cluster_init primary $PRIMARY_PORT
  cluster_start primary
  psql_file postgres $PRIMARY_PORT "$DEPLOY/postgres/roles.sql" postgres >/dev/null
  set_passwords $PRIMARY_PORT
  "$BIN" migrate --database-url "$(conninfo credit_broker_owner $PRIMARY_PORT)" >"$TOPO/log/migrate.log" 2>&1
  psql_file credit_broker_owner $PRIMARY_PORT "$DEPLOY/postgres/grants.sql"

  log "synthetic province (${TOPOLOGY_ENTERPRISES:-2000} organisations, ${TOPOLOGY_PERSONS:-500} persons), ingested as credit_broker_ingest"
  "$BIN" demo-data generate --enterprises "${TOPOLOGY_ENTERPRISES:-2000}" --persons "${TOPOLOGY_PERSONS:-500}" \
    --seed 2026 --out "$TOPO/province" >"$TOPO/log/generate.log"
  (cd "$REPO" && CREDIT_BROKER_PERSON_KEY_SECRET=$(cat "$TOPO/person-key.secret") \
    "$BIN" ingest --manifest "$TOPO/province/manifest.json" --database-url "$(conninfo credit_broker_ingest $PRIMARY_PORT)" \
    >"$TOPO/log/ingest.log" 2>&1)

  log "development PKI"
  (cd "$REPO" && "$BIN" pki init --out "$TOPO/pki" >"$TOPO/log/pki.log")

  log "standby: base backup with a replication slot, streaming; then synchronous"
  pg_folder standby
  as_pg env PGBIN="$PGBIN" "$TOPO/bin/make-standby.sh" "$TOPO/standby" standby1 \
    "host=$TOPO/run port=$PRIMARY_PORT user=credit_broker_replication passfile=$TOPO/pgpass.server" >"$TOPO/log/make-standby.log" 2>&1
  cluster_configure standby $STANDBY_PORT
  cluster_start standby
  WAIT=60 wait_until '[ "$(replication standby1 state)" = streaming ]'
  sql postgres $PRIMARY_PORT "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" >/dev/null
  sql postgres $PRIMARY_PORT "SELECT pg_reload_conf()" >/dev/null
  WAIT=30 wait_until '[ "$(replication standby1 sync_state)" = sync ]'

  log "gateways on 127.0.0.1:$((BASE + 1)) and :$((BASE + 2)) as credit_broker_gateway"
  start_gateway 1
  start_gateway 2

  log "HAProxy on 127.0.0.1:$((BASE + 3))"
  haproxy_env
  haproxy -c -q -f "$DEPLOY/haproxy/haproxy.cfg"
  haproxy -D -p "$TOPO/haproxy.pid" -f "$DEPLOY/haproxy/haproxy.cfg" 2>>"$TOPO/log/haproxy.log"
  WAIT=30 wait_until '[ "$(haproxy_states | grep -c " UP$")" = 2 ]'

  cat >"$TOPO/topology.env" <<ENV
TOPO=$TOPO
REPO=$REPO
BIN=$BIN
PGBIN=$PGBIN
PGPASSFILE=$TOPO/pgpass
PRIMARY_PORT=$PRIMARY_PORT
STANDBY_PORT=$STANDBY_PORT
HAPROXY_PORT=$((BASE + 3))
GATEWAY_PORTS="$((BASE + 1)) $((BASE + 2))"
ADMIN_PORTS="$((BASE + 11)) $((BASE + 12))"
OPS_PORTS="$((BASE + 21)) $((BASE + 22))"
STANDBY_URL="$(standby_url)"
PKI=$TOPO/pki
ENV
  log "up: HAProxy https://localhost:$((BASE + 3)) (CA $TOPO/pki/ca.pem); details: $0 status"
}

status() {
  [ -f "$TOPO/topology.env" ] || { echo "no topology in $TOPO"; return 1; }
  export PGPASSFILE=$TOPO/pgpass
  echo "primary (port $PRIMARY_PORT): in recovery = $(sql postgres $PRIMARY_PORT 'SELECT pg_is_in_recovery()' 2>/dev/null || echo down)"
  echo "standby (port $STANDBY_PORT): in recovery = $(sql postgres $STANDBY_PORT 'SELECT pg_is_in_recovery()' 2>/dev/null || echo down)"
  sql postgres $PRIMARY_PORT "SELECT 'replication: ' || application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication" 2>/dev/null || true
  for n in 1 2; do
    echo "gateway$n (127.0.0.1:$((BASE + n))): $(curl -s --cacert "$TOPO/pki/ca.pem" "https://localhost:$((BASE + n))/readyz" || echo down)" \
      "reads: $(curl -s "http://127.0.0.1:$((BASE + 20 + n))/metrics" | grep '^credit_broker_database_reads_total' | sed 's/credit_broker_database_reads_total//' | tr '\n' ' ')"
  done
  haproxy_states | sed 's/^/haproxy: /' || echo "haproxy: down"
}

down() {
  [ -d "$TOPO" ] || return 0
  if [ -f "$TOPO/haproxy.pid" ]; then
    kill -TERM "$(cat "$TOPO/haproxy.pid")" 2>/dev/null || true
    rm -f "$TOPO/haproxy.pid"
  fi
  for pidfile in "$TOPO"/gateway*.pid; do
    [ -f "$pidfile" ] || continue
    n=${pidfile##*/gateway}; stop_gateway "${n%.pid}"
  done
  for cluster in "$TOPO"/*/; do
    [ -f "$cluster/PG_VERSION" ] && cluster_stop "$(basename "$cluster")" immediate
  done
  [ "${KEEP_TOPOLOGY:-}" = 1 ] || rm -rf "$TOPO"
  log "down"
}

case ${1:-} in
  up) up ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
