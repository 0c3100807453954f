#!/usr/bin/env bash
# Patroni on this machine: one etcd member and two Patroni nodes on loopback, each node's
# configuration derived from Deploy/patroni/patroni.yml (the production file) with loopback
# addresses, small memory settings, password authentication over 127.0.0.1 and short timers.
#
#     Deploy/patroni/local.sh up | status | leader | down
#
# Run folder: $CREDIT_BROKER_PATRONI (default /tmp/credit-broker-patroni). PostgreSQL on
# 127.0.0.1:55441 and :55442, Patroni's REST API on 127.0.0.1:18008 and :18009, etcd on :23790.
# `up` returns once a leader runs with the broker's roles; Deploy/test/run.sh then migrates,
# serves and kills the leader.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOY=$REPO/Deploy
TOPO=${CREDIT_BROKER_PATRONI:-/tmp/credit-broker-patroni}
source "$DEPLOY/local/lib.sh"
PG_PORTS=(55441 55442) REST_PORTS=(18008 18009) ETCD_PORT=23790 ETCD_PEER=23800

log() { printf '[patroni %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# node_config N: the production file with this machine's values.
node_config() {
  local n=$1 i=$(($1 - 1))
  /usr/bin/python3 - "$DEPLOY/patroni/patroni.yml" "$TOPO/node$n.yml" <<PY   # Debian's, with python3-yaml (Patroni's)
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
config["name"] = "node$n"
config["restapi"] = {"listen": "127.0.0.1:${REST_PORTS[$i]}", "connect_address": "127.0.0.1:${REST_PORTS[$i]}"}
config["etcd3"] = {"hosts": "127.0.0.1:$ETCD_PORT", "protocol": "http"}
dcs = config["bootstrap"]["dcs"]
dcs.update({"ttl": 20, "loop_wait": 2, "retry_timeout": 5})
dcs["postgresql"]["parameters"].update({
    "max_connections": 100, "shared_buffers": "128MB", "effective_cache_size": "1GB", "maintenance_work_mem": "64MB",
    "max_wal_size": "1GB", "max_slot_wal_keep_size": "1GB", "huge_pages": "off",
    "archive_command": "$TOPO/bin/archive-wal.sh %p %f $TOPO/archive",
})
hba = ["local all all scram-sha-256", "host all all 127.0.0.1/32 scram-sha-256",
       "host replication credit_broker_replication 127.0.0.1/32 scram-sha-256"]
config["bootstrap"]["pg_hba"] = hba
pg = config["postgresql"]
pg.update({"listen": "127.0.0.1:${PG_PORTS[$i]}", "connect_address": "127.0.0.1:${PG_PORTS[$i]}",
           "data_dir": "$TOPO/node$n/data", "bin_dir": "$PGBIN", "pgpass": "$TOPO/node$n/pgpass", "pg_hba": hba})
pg["parameters"] = {"unix_socket_directories": "$TOPO/run"}
secrets = {line.split(":")[3]: line.strip().split(":")[4] for line in open("$TOPO/pgpass")}
pg["authentication"]["superuser"]["password"] = secrets["postgres"]
pg["authentication"]["replication"]["password"] = secrets["credit_broker_replication"]
pg["authentication"]["rewind"]["password"] = secrets["patroni_rewind"]
yaml.safe_dump(config, open(sys.argv[2], "w"), sort_keys=False)
PY
  chown "$PGUSER_OS" "$TOPO/node$n.yml"; chmod 600 "$TOPO/node$n.yml"
}

rest() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2"; }

# leader: the PostgreSQL port of the node Patroni made primary.
leader() {
  local i
  for i in 0 1; do [ "$(rest "${REST_PORTS[$i]}" /primary)" = 200 ] && { echo "${PG_PORTS[$i]}"; return 0; }; done
  return 1
}

start_node() {
  mkdir -p "$TOPO/node$1"; chown "$PGUSER_OS" "$TOPO/node$1"; chmod 700 "$TOPO/node$1"
  # The child writes its own pid (fd 3) before exec, so the pid file names Patroni, not runuser.
  (as_pg sh -c 'echo $$ >&3; exec setsid patroni "$1"' _ "$TOPO/node$1.yml" 3>"$TOPO/node$1.pid" </dev/null >>"$TOPO/log/node$1.log" 2>&1 &)
  wait_for test -s "$TOPO/node$1.pid"
}

up() {
  command -v patroni >/dev/null && command -v etcd >/dev/null || { echo "apt-get install patroni etcd-server" >&2; exit 1; }
  [ -e "$TOPO/etcd" ] && { echo "$TOPO already in use: $0 down first" >&2; exit 1; }
  topo_prepare
  mkdir -p "$TOPO/etcd"; chown "$PGUSER_OS" "$TOPO/etcd"; chmod 700 "$TOPO/etcd"
  mkdir -p "$TOPO/archive"; chown "$PGUSER_OS" "$TOPO/archive"
  log "etcd on 127.0.0.1:$ETCD_PORT"
  (as_pg sh -c 'echo $$ >&3; exec setsid etcd "$@"' _ --name local --data-dir "$TOPO/etcd/data" \
     --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
     --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
     --initial-cluster "local=http://127.0.0.1:$ETCD_PEER" 3>"$TOPO/etcd.pid" </dev/null >"$TOPO/log/etcd.log" 2>&1 &)
  WAIT=30 wait_for curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  node_config 1; node_config 2
  log "node1 bootstraps the cluster"
  start_node 1
  WAIT=90 wait_until '[ "$(rest "${REST_PORTS[0]}" /primary)" = 200 ]' ||
    { tail -20 "$TOPO/log/node1.log"; exit 1; }
  log "roles (Deploy/postgres/roles.sql) on the leader"
  psql_file postgres "${PG_PORTS[0]}" "$DEPLOY/postgres/roles.sql" postgres >/dev/null
  set_passwords "${PG_PORTS[0]}"
  log "node2 joins as a replica"
  start_node 2
  WAIT=90 wait_until '[ "$(rest "${REST_PORTS[1]}" /replica)" = 200 ]' ||
    { tail -20 "$TOPO/log/node2.log"; exit 1; }
  # synchronous_mode: node2 becomes the synchronous standby.
  WAIT=30 wait_until '[ "$(rest "${REST_PORTS[1]}" /sync)" = 200 ]' || true
  log "up: leader on port $(leader); replica synchronous: $([ "$(rest "${REST_PORTS[1]}" /sync)" = 200 ] && echo yes || echo no)"
}

status() {
  local i
  for i in 0 1; do
    echo "node$((i + 1)) (postgres ${PG_PORTS[$i]}): primary $(rest "${REST_PORTS[$i]}" /primary), replica $(rest "${REST_PORTS[$i]}" /replica), sync $(rest "${REST_PORTS[$i]}" /sync)"
  done
}

# kill_node N: the node's Patroni and PostgreSQL die at once, as when its host is lost.
kill_node() {
  local pid; pid=$(cat "$TOPO/node$1.pid")
  kill -KILL "$pid" 2>/dev/null || true
  [ -f "$TOPO/node$1/data/postmaster.pid" ] && kill -KILL "$(head -1 "$TOPO/node$1/data/postmaster.pid")" 2>/dev/null || true
}

down() {
  [ -d "$TOPO" ] || return 0
  for n in 1 2; do
    [ -f "$TOPO/node$n.pid" ] && { kill -TERM "$(cat "$TOPO/node$n.pid")" 2>/dev/null || true; }
  done
  for n in 1 2; do
    [ -f "$TOPO/node$n.pid" ] && { WAIT=30 wait_for sh -c "! kill -0 $(cat "$TOPO/node$n.pid")" || kill_node $n; }
    [ -f "$TOPO/node$n/data/postmaster.pid" ] && cluster_stop "node$n/data" immediate
  done
  [ -f "$TOPO/etcd.pid" ] && { kill -TERM "$(cat "$TOPO/etcd.pid")" 2>/dev/null || true; }
  sleep 1
  rm -rf "$TOPO"
  log "down"
}

case ${1:-} in
  up) up ;;
  status) status ;;
  leader) leader ;;
  kill) kill_node "$2" ;;
  down) down ;;
  *) echo "usage: $0 up|status|leader|kill N|down" >&2; exit 2 ;;
esac
