#!/usr/bin/env bash
# Deployment tests on real tools (PostgreSQL, pg_basebackup, HAProxy, Patroni and etcd,
# systemd-analyze, the built credit-broker), run by .ci/run after `swift test`:
#   - the systemd units: `systemd-analyze verify` clean on an installed tree, gateway exposure <= 2.0,
#     and a gateway running under the unit's own confinement (confine.py) answers a query
#   - the runtime roles: UPDATE/DELETE/TRUNCATE/ALTER on the ledgers refused by privilege;
#     `serve` refuses the owner role and a superuser
#   - the local topology (primary, synchronous standby, two gateways, HAProxy): a bank query through
#     HAProxy recognised by its client certificate, quotas exact across the gateways, a CRL change
#     seen by both, the ingest drop folder's script
#   - reads from the standby: the queries' record lookups run on the standby (its own statistics),
#     none on the primary; with the standby's replay paused, a consent registered or revoked on
#     the primary a moment ago is honoured, and past the lag bound records come from the primary
#   - SIGHUP: a replaced server certificate served to new connections, a bad key refused with the
#     old pair kept, the process alive
#   - backups: base backup + WAL archive of the loaded database, restore to an instant between two
#     batches of queries: exactly the earlier meter events, identical replayed answers, audit verify
#   - failover: primary killed, disclosures stop with 503, resume after promotion without restart,
#     every answered query's meter event on the new primary; the same under Patroni
# Prints one line per check and "N passed, N failed"; exits non-zero if any failed. Runs as root
# (PostgreSQL then runs as `postgres`) or as the clusters' owner; installs the Debian packages it
# needs when missing (haproxy, patroni, etcd-server, python3-seccomp).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOY=$REPO/Deploy
export CREDIT_BROKER_TOPOLOGY=${CREDIT_BROKER_TOPOLOGY:-/tmp/credit-broker-deploy-test}
export CREDIT_BROKER_BIN=${CREDIT_BROKER_BIN:-$REPO/.build/debug/credit-broker}
TOPO=$CREDIT_BROKER_TOPOLOGY
started=$SECONDS
passed=0 failed=0

missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v python3 >/dev/null || missing+=(python3)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v curl >/dev/null || missing+=(curl)
command -v patroni >/dev/null || missing+=(patroni)
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || missing+=(python3-seccomp)
command -v etcd >/dev/null || missing+=(etcd-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
if [ ! -x "$CREDIT_BROKER_BIN" ]; then
  (cd "$REPO" && nice -n 10 swift build --product credit-broker >/dev/null) || { echo "build failed"; exit 1; }
fi

ok() { passed=$((passed + 1)); printf 'ok     %s\n' "$1"; }
not_ok() { failed=$((failed + 1)); printf 'FAILED %s\n' "$1"; shift; [ $# -gt 0 ] && printf '       %s\n' "$@"; }
# expect NAME COMMAND…: one line per check, ok when the command succeeds.
expect() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
step() { printf -- '-- %s (%ss)\n' "$*" $((SECONDS - started)); }

# ---------------------------------------------------------------------------------------------
step "systemd units"
root=$(mktemp -d)
"$DEPLOY/install.sh" --destdir "$root" --binary "$CREDIT_BROKER_BIN" >/dev/null
# verify resolves everything inside --root: give it the distribution's own units, psql and kill
# (the gateway's ExecReload).
mkdir -p "$root/lib/systemd" "$root/usr/bin" "$root/bin"
cp -a /lib/systemd/system "$root/lib/systemd/"
cp -L "$(command -v psql)" "$root/usr/bin/psql"
cp -L /bin/kill "$root/bin/kill"
units=(credit-broker.service credit-broker-migrate.service credit-broker-ingest.path credit-broker-ingest.service
       credit-broker-basebackup.service credit-broker-basebackup.timer)
verify_out=$(systemd-analyze verify --root="$root" "${units[@]}" 2>&1); verify_rc=$?
if [ $verify_rc = 0 ] && [ -z "$verify_out" ]; then ok "systemd-analyze verify: ${#units[@]} units clean"
else not_ok "systemd-analyze verify" "$verify_out"; fi
security=$(systemd-analyze security --offline=true --root="$root" credit-broker.service 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for credit-broker.service: \([0-9.]*\).*/\1/p' <<<"$security")
echo "       gateway unit exposure: ${exposure:-?} (systemd-analyze security --offline=true)"
expect "systemd-analyze security: gateway exposure ${exposure:-?} <= 2.0" \
  python3 -c "import sys; sys.exit(0 if '$exposure' and float('$exposure') <= 2.0 else 1)"
# The owner role's password (owner.pgpass, readable by the migrate unit's account alone) is out of
# the gateway's reach only if the two units run as different accounts.
migrate_user=$(sed -n 's/^User=//p' "$root/etc/systemd/system/credit-broker-migrate.service")
gateway_user=$(sed -n 's/^User=//p' "$root/etc/systemd/system/credit-broker.service")
expect "the migrate unit runs as its own account ($migrate_user), not the gateway's ($gateway_user)" \
  test -n "$migrate_user" -a "$migrate_user" != "$gateway_user" -a "$migrate_user" != root
for unit in credit-broker-ingest.service credit-broker-migrate.service; do
  echo "       $unit exposure: $(systemd-analyze security --offline=true --root="$root" "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
done
rm -rf "$root"

# ---------------------------------------------------------------------------------------------
step "topology up"
"$DEPLOY/local/topology.sh" down >/dev/null 2>&1
if ! "$DEPLOY/local/topology.sh" up; then
  not_ok "local topology up" "$(tail -30 "$TOPO"/log/*.log 2>/dev/null)"
  KEEP_TOPOLOGY=1 "$DEPLOY/local/topology.sh" down >/dev/null 2>&1
  echo "$passed passed, $failed failed"; exit 1
fi
ok "local topology up: primary, synchronous standby, 2 gateways, HAProxy"
source "$TOPO/topology.env"
DEPLOY=$REPO/Deploy
source "$DEPLOY/local/lib.sh"
export PGPASSFILE
trap '"$DEPLOY/local/topology.sh" down >/dev/null 2>&1' EXIT
read -r GW1 GW2 <<<"$GATEWAY_PORTS"
read -r ADMIN1 ADMIN2 <<<"$ADMIN_PORTS"
read -r OPS1 OPS2 <<<"$OPS_PORTS"
BANK=bank.icbc_jiangsu
bank_curl() { curl -s --cacert "$PKI/ca.pem" --cert "$PKI/clients/$BANK.pem" --key "$PKI/clients/$BANK-key.pem" "$@"; }

# ---------------------------------------------------------------------------------------------
step "runtime roles"
# refused: ROLE SQL — must fail with "permission denied" or "must be owner" (privileges), not
# with the ledgers' triggers ("is insert-only"), which would mean the privilege was there.
refused() {
  local out; out=$(sql "$1" "$PRIMARY_PORT" "$2" 2>&1) && { echo "allowed: $2"; return 1; }
  grep -qE 'permission denied|must be owner' <<<"$out" || { echo "$2: $out"; return 1; }
}
for statement in "UPDATE meter_events SET http_status = 200" "DELETE FROM meter_events" "TRUNCATE meter_events" \
                 "UPDATE admin_audit SET detail = 'x'" "DELETE FROM admin_audit" "TRUNCATE admin_audit" \
                 "ALTER TABLE meter_events DISABLE TRIGGER meter_events_no_update_delete" "DROP TABLE admin_audit" \
                 "CREATE TABLE scratch (x int)" "UPDATE records SET fields = '{}'" "UPDATE api_keys SET secret_sha256 = secret_sha256" \
                 "UPDATE contract_versions SET label = 'x'" "DELETE FROM partner_status_changes" "DELETE FROM contract_proposals" \
                 "CREATE TEMP TABLE scratch (x int)"; do
  expect "credit_broker_gateway refused: $statement" refused credit_broker_gateway "$statement"
done
for statement in "UPDATE meter_events SET http_status = 200" "DELETE FROM records" "SELECT count(*) FROM meter_events" \
                 "SELECT count(*) FROM admin_audit" "SELECT count(*) FROM api_keys"; do
  expect "credit_broker_ingest refused: $statement" refused credit_broker_ingest "$statement"
done
# What the gateway must be able to do, in a transaction rolled back.
expect "credit_broker_gateway may append a meter event (rolled back)" sql credit_broker_gateway "$PRIMARY_PORT" "BEGIN;
  INSERT INTO meter_events (partner_id, request_id, endpoint, items_disclosed, items_withheld, contract_label, contract_digest,
    http_status, latency_us, response_bytes, occurred_at)
  VALUES ('p', 'deploy-test', '/v1/queries', '[]', '[]', 'l', 'd', 200, 1, 1, now()); ROLLBACK"
expect "grants.sql runs again (idempotent)" psql_file credit_broker_owner "$PRIMARY_PORT" "$DEPLOY/postgres/grants.sql"
# serve refuses the owner role and the superuser, before listening.
for role in credit_broker_owner postgres; do
  out=$(cd "$REPO" && timeout 60 env CREDIT_BROKER_PERSON_KEY_SECRET=$(cat "$TOPO/person-key.secret") \
    "$BIN" serve --database-url "$(conninfo $role "$PRIMARY_PORT")" --port 0 --state-dir "$TOPO/refused" 2>&1); rc=$?
  expect "serve as $role refused (exit $rc)" grep -q "refusing to serve: the database role" <<<"$out"
  [ $rc != 0 ] || not_ok "serve as $role exited 0"
done

# ---------------------------------------------------------------------------------------------
step "bank queries through HAProxy"
candidates=$(sql postgres "$PRIMARY_PORT" "SELECT subject_key FROM subjects WHERE kind = 'organisation' ORDER BY subject_key LIMIT 50")
SUBJECT=$("$BIN" ids check $candidates 2>/dev/null | awk '$2 == "valid" { print $1; exit }')
query_body() { printf '{"subject":"%s","purpose":"credit_approval","items":["enterprise.registration","enterprise.penalty"]}' "$SUBJECT"; }
# query PORT [KEY] -> prints "STATUS REQUEST_ID" and saves the body in $TOPO/answers/KEY
mkdir -p "$TOPO/answers"
query() {
  local port=$1 key=${2:-} headers body
  body=$TOPO/answers/${key:-last}; headers=$body.headers
  bank_curl -D "$headers" -o "$body" "https://localhost:$port/v1/queries" -H 'Content-Type: application/json' \
    ${key:+-H "Idempotency-Key: $key"} -d "$(query_body)" --max-time 20
  local status; status=$(awk 'NR == 1 { print $2 }' "$headers")
  echo "${status:-000} $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("request_id", "-"))' "$body" 2>/dev/null || echo -)"
}
first=$(query "$HAPROXY_PORT")
expect "bank query through HAProxy: 200 (subject $SUBJECT)" test "${first%% *}" = 200
expect "the answer names the bank its certificate identifies" grep -q "\"partner\":\"$BANK\"" "$TOPO/answers/last"
used_before=$(bank_curl "https://localhost:$HAPROXY_PORT/v1/usage" | python3 -c 'import json,sys; print(json.load(sys.stdin)["quota_today"]["used"])')
answered=()
for i in $(seq 1 20); do
  r=$(query "$HAPROXY_PORT"); [ "${r%% *}" = 200 ] && answered+=("${r#* }")
done
used_after=$(bank_curl "https://localhost:$HAPROXY_PORT/v1/usage" | python3 -c 'import json,sys; print(json.load(sys.stdin)["quota_today"]["used"])')
expect "20 queries through HAProxy answered 200 (${#answered[@]})" test ${#answered[@]} = 20
expect "quota exact across the gateways: used $used_before -> $used_after (+20 and the usage call itself is not billable)" \
  test $((used_after - used_before)) = 20
sessions=$(haproxy_servers "$TOPO/run/haproxy.sock" | cut -d' ' -f3 | tr '\n' ' ')
read -r s1 s2 <<<"$sessions"
expect "HAProxy spread the connections over both gateways (sessions: $sessions)" test "${s1:-0}" -gt 0 -a "${s2:-0}" -gt 0
# The gateway under its unit's confinement: an unprivileged account (nobody standing in for
# credit-broker) with its own copies of the files it reads, the system call filter, address
# families, W^X memory, no new privileges, no capabilities (systemd does not run here;
# confine.py imposes them).
GW5=$((HAPROXY_PORT + 3))
confined=$TOPO/confined-files
mkdir -p "$confined"
cp -R "$PKI" "$confined/pki"; cp -R "$REPO/Policies" "$REPO/Contracts" "$confined/"
cp "$BIN" "$TOPO/receipt-signing-key" "$TOPO/receipt-signing-key-sm2.pem" "$TOPO/sealing-keys" "$TOPO/pgpass" "$confined/"
chown -R nobody: "$confined"; chmod 700 "$confined"
SERVE_DIR=$confined CONFINE=$DEPLOY/systemd/credit-broker.service CONFINE_USER=nobody serve_in_background confined \
  "$(conninfo credit_broker_gateway "$PRIMARY_PORT")" --port "$GW5" --tls-dir "$confined/pki" --receipt-key "$confined/receipt-signing-key" \
  --receipt-sm2-key "$confined/receipt-signing-key-sm2.pem" --pdf-no-sandbox
WAIT=60 wait_for curl -sf --cacert "$PKI/ca.pem" "https://localhost:$GW5/readyz"
confinement=$(grep -E '^(Uid|Seccomp|NoNewPrivs|CapEff):' "/proc/$(cat "$TOPO/confined.pid")/status" 2>/dev/null | awk '{print $1, $2}' | tr '\n' ' ')
r=$(query "$GW5")
expect "the gateway under credit-broker.service's confinement ($confinement) answers a bank query: ${r%% *}" \
  sh -c "[ '${r%% *}' = 200 ] && echo '$confinement' | grep -q 'Uid: $(id -u nobody) CapEff: 0000000000000000 NoNewPrivs: 1 Seccomp: 2'"
[ "${r%% *}" = 200 ] || tail -5 "$TOPO/log/confined.log"
# A PDF credit report under the same confinement: Chromium without V8's JIT (W^X memory) and, as
# credit-broker.env sets it, without its own sandbox (which NoNewPrivileges and the filter forbid).
pdf=$(bank_curl -o "$TOPO/answers/confined-report.pdf" -w '%{http_code}' "https://localhost:$GW5/v1/reports" -H 'Content-Type: application/json' \
  -H 'Accept: application/pdf' -d "$(query_body)" --max-time 60)
expect "the gateway under that confinement renders a PDF credit report: $pdf" \
  sh -c "[ '$pdf' = 200 ] && head -c 5 '$TOPO/answers/confined-report.pdf' | grep -q '%PDF-'"
[ "$pdf" = 200 ] || tail -5 "$TOPO/log/confined.log"
kill -TERM "$(cat "$TOPO/confined.pid")"; rm -f "$TOPO/confined.pid"
# A revoked bank certificate is refused by both gateways, with no restart: the CRL file changed.
OTHER=$(ls "$PKI/clients" | sed -n 's/^\(bank\.[a-z_]*\)\.pem$/\1/p' | grep -v "^$BANK$" | head -1)
other_status() { curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" --cert "$PKI/clients/$OTHER.pem" --key "$PKI/clients/$OTHER-key.pem" \
  "https://localhost:$1/v1/partner" --max-time 10; }
expect "$OTHER recognised by gateway 1 and 2 before revocation" test "$(other_status "$GW1")$(other_status "$GW2")" = 200200
(cd "$REPO" && "$BIN" pki revoke --dir "$PKI" "$OTHER" >/dev/null)
WAIT=20 wait_for sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert $PKI/ca.pem --cert $PKI/clients/$OTHER.pem --key $PKI/clients/$OTHER-key.pem https://localhost:$GW1/v1/partner)\" != 200 ]"
expect "$OTHER refused by gateway 1 and 2 after revocation (statuses $(other_status "$GW1") $(other_status "$GW2"))" \
  test "$(other_status "$GW1")" != 200 -a "$(other_status "$GW2")" != 200
expect "$BANK still served after the other's revocation" test "$(query "$HAPROXY_PORT" | cut -d' ' -f1)" = 200

# ---------------------------------------------------------------------------------------------
step "ingest drop folder (credit-broker-ingest.service's script)"
spool=$TOPO/spool
mkdir -p "$spool/incoming"
"$BIN" demo-data generate --enterprises 50 --persons 10 --seed 7 --out "$spool/upload/delivery-1" >/dev/null
mv "$spool/upload/delivery-1" "$spool/incoming/"
mkdir "$spool/incoming/half-copied"   # no manifest.json: not a delivery
# A delivery whose manifest names its file's source wrongly: every line refused (ingest exits 3).
"$BIN" demo-data generate --enterprises 5 --persons 0 --seed 8 --out "$spool/upload/delivery-2" >/dev/null
sed -i 's/"jiangsu_public_credit"/"sushu_tax"/g' "$spool/upload/delivery-2/manifest.json"
mv "$spool/upload/delivery-2" "$spool/incoming/"
records_before=$(sql postgres "$PRIMARY_PORT" "SELECT count(*) FROM records")
(cd "$REPO" && env CREDIT_BROKER_BIN="$BIN" DATABASE_URL="$(conninfo credit_broker_ingest "$PRIMARY_PORT")" \
  CREDIT_BROKER_PERSON_KEY_SECRET="$(cat "$TOPO/person-key.secret")" "$DEPLOY/systemd/ingest-drop.sh" "$spool" >"$TOPO/log/drop.log" 2>&1)
drop_rc=$?
records_after=$(sql postgres "$PRIMARY_PORT" "SELECT count(*) FROM records")
expect "ingest-drop.sh: the delivery loaded as credit_broker_ingest (records $records_before -> $records_after) and moved to done/" \
  sh -c "[ $records_after -gt $records_before ] && ls '$spool/done' | grep -q '^delivery-1\.'"
expect "ingest-drop.sh: a folder without manifest.json moved to failed/, exit status 1 (was $drop_rc), incoming/ empty" \
  sh -c "[ $drop_rc = 1 ] && ls '$spool/failed' | grep -q '^half-copied\.' && [ -z \"\$(ls -A '$spool/incoming')\" ]"
expect "ingest-drop.sh: a delivery with rejected lines moved to rejected/ with its rejects.csv, not done/" \
  sh -c "ls '$spool/rejected' | grep -q '^delivery-2\.' && [ -s \"\$(ls -d '$spool'/rejected/delivery-2.*)/rejects.csv\" ] && ! ls '$spool/done' | grep -q '^delivery-2\.'"

# ---------------------------------------------------------------------------------------------
step "reads from the standby"
# scans TABLE PORT: sequential and index scans of a table counted by that server (its own
# cumulative statistics: a standby counts the queries run on it).
scans() { sql postgres "$2" "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = '$1'"; }
# metric PORT NAME{LABELS}: a value from a gateway's /metrics (operations listener).
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2; exit }'; }
usable() { metric "$1" credit_broker_standby_usable | cut -d. -f1; }   # 1 while the gateway reads from the standby
standby_reads() { echo $(( $(metric "$OPS1" 'credit_broker_database_reads_total{server="standby"}') + $(metric "$OPS2" 'credit_broker_database_reads_total{server="standby"}') )); }
expect "both gateways read from the standby (credit_broker_standby_usable $(usable "$OPS1") $(usable "$OPS2"))" \
  test "$(usable "$OPS1")$(usable "$OPS2")" = 11
sessions=$(sql postgres "$STANDBY_PORT" "SELECT count(*) FROM pg_stat_activity WHERE usename = 'credit_broker_gateway'")
expect "the gateways hold connections on the standby ($sessions sessions of credit_broker_gateway)" test "$sessions" -ge 2
# Let the statistics of earlier work settle: a backend reports them within a second or so of going
# idle, later on a loaded machine (CI once counted 2 scans of records on the primary, left from the
# ingest above, inside the window below). So wait until neither server's count moves for 2 s.
settled() { local primary standby; primary=$(scans records "$PRIMARY_PORT") standby=$(scans records "$STANDBY_PORT"); sleep 2
  [ "$(scans records "$PRIMARY_PORT")" = "$primary" ] && [ "$(scans records "$STANDBY_PORT")" = "$standby" ]; }
WAIT=30 wait_for settled
standby_scans=$(scans records "$STANDBY_PORT") primary_scans=$(scans records "$PRIMARY_PORT") reads_before=$(standby_reads)
ok_queries=0
for i in $(seq 1 20); do r=$(query "$HAPROXY_PORT"); [ "${r%% *}" = 200 ] && ok_queries=$((ok_queries + 1)); done
WAIT=20 wait_until "[ \$((\$(scans records $STANDBY_PORT) - $standby_scans)) -ge 20 ]"
sleep 2
standby_delta=$(($(scans records "$STANDBY_PORT") - standby_scans)) primary_delta=$(($(scans records "$PRIMARY_PORT") - primary_scans))
# Each gateway counts the reads it sent to the standby, one per query: all 20 there. The primary's
# scan count is shown, not required to stay still: it counts every session's scans of records (CI
# saw 2 there in the window, with the 20 standby reads counted and 40 scans on the standby).
reads_delta=$(($(standby_reads) - reads_before))
expect "20 bank queries answered ($ok_queries): their record lookups ran on the standby ($standby_delta scans of records there, $primary_delta on the primary)" \
  test "$ok_queries" = 20 -a "$standby_delta" -ge 20 -a "$primary_delta" -lt 20
expect "the gateways counted them as standby reads, one each ($reads_before -> $((reads_before + reads_delta)))" test "$reads_delta" = 20

# A third gateway on the same topology with a lag bound of an hour, so that it keeps reading from
# a standby whose replay is paused: what it answers rests on the consent rules alone.
GW6=$((HAPROXY_PORT + 4))
serve_in_background lagging "$(conninfo credit_broker_gateway "$PRIMARY_PORT")" --port "$GW6" --tls-dir "$PKI" \
  --receipt-key "$TOPO/receipt-signing-key" --replica-url "$STANDBY_URL" --replica-max-lag 3600
WAIT=60 wait_for curl -sf --cacert "$PKI/ca.pem" "https://localhost:$GW6/readyz"
# A subject with nothing on file for the consented items: no use is spent, so the answer rests on
# the consent as read (the primary confirms it); and one with a real-estate record (a use is spent
# on the primary, which checks the consent in the same statement).
CONSENT_ITEMS='"market.real_estate","market.tax_paid"'
bare=$(sql postgres "$PRIMARY_PORT" "SELECT s.subject_key FROM subjects s WHERE s.kind = 'organisation' AND NOT EXISTS
  (SELECT 1 FROM records r WHERE r.subject_key = s.subject_key AND r.item IN ($(tr '"' "'" <<<"$CONSENT_ITEMS"))) ORDER BY 1 LIMIT 40")
BARE=$("$BIN" ids check $bare 2>/dev/null | awk '$2 == "valid" { print $1; exit }')
held=$(sql postgres "$PRIMARY_PORT" "SELECT DISTINCT subject_key FROM records WHERE item = 'market.real_estate' AND status = 'active' ORDER BY 1 LIMIT 40")
HELD=$("$BIN" ids check $held 2>/dev/null | awk '$2 == "valid" { print $1; exit }')
# consent SUBJECT -> the new consent's id (registered on the primary through the lagging gateway)
consent() {
  bank_curl "https://localhost:$GW6/v1/consents" -H 'Content-Type: application/json' --max-time 20 -d "{\"subject\":\"$1\",
    \"purposes\":[\"credit_approval\"],\"items\":[\"market.real_estate\"],\"categories\":[\"tax\"],\"valid_to\":\"2028-12-31\",
    \"use_limit\":\"unlimited\",\"document_digest\":\"$(printf 'signed by %s' "$1" | sha256sum | cut -c1-64)\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("id", "none"))'
}
# consented PORT SUBJECT CONSENT -> "STATUS market.real_estate=OUTCOME" (disclosed or the withholding reason)
consented() {
  local out=$TOPO/answers/consented
  local status; status=$(bank_curl -o "$out" -w '%{http_code}' "https://localhost:$1/v1/queries" -H 'Content-Type: application/json' --max-time 20 \
    -d "{\"subject\":\"$2\",\"purpose\":\"credit_approval\",\"items\":[$CONSENT_ITEMS],\"consent_id\":\"$3\"}")
  echo "$status $(python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))
d = {x["item"]: "disclosed" for x in a.get("disclosed", [])} | {x["item"]: x["reason"] for x in a.get("withheld", [])}
print("market.real_estate=" + d.get("market.real_estate", a.get("type", "?").rsplit("/", 1)[-1]))' "$out" 2>/dev/null)"
}
on_standby() { sql postgres "$STANDBY_PORT" "SELECT coalesce(bool_or(revoked_at IS NULL)::text, 'absent') FROM consents WHERE consent_id = '$1'"; }
replay() { sql postgres "$STANDBY_PORT" "SELECT pg_wal_replay_$1()" >/dev/null; }
for subject in "$BARE" "$HELD"; do
  what=$([ "$subject" = "$BARE" ] && echo "nothing on file" || echo "a record on file")
  id=$(consent "$subject")
  WAIT=20 wait_until "[ \"\$(on_standby $id)\" = true ]"
  expect "consent ($what) replayed on the standby, active there: $(on_standby "$id")" test "$(on_standby "$id")" = true
  expect "a query under it through the lagging gateway: $(consented "$GW6" "$subject" "$id")" \
    test "$(consented "$GW6" "$subject" "$id")" = "200 market.real_estate=disclosed"
  replay pause
  WAIT=20 wait_until "[ \"\$(sql postgres $STANDBY_PORT 'SELECT pg_get_wal_replay_pause_state()')\" = paused ]"
  expect "consent ($what) revoked on the primary: 204" test "$(bank_curl -o /dev/null -w '%{http_code}' -X DELETE "https://localhost:$GW6/v1/consents/$id")" = 204
  r=$(consented "$GW6" "$subject" "$id")
  expect "replay paused, the standby still says active ($(on_standby "$id")): the revocation holds from the next query ($r)" \
    test "$(on_standby "$id") $r" = "true 200 market.real_estate=consent_missing"
  fresh=$(consent "$subject")
  r=$(consented "$GW6" "$subject" "$fresh")
  expect "a consent registered a moment ago, absent from the paused standby ($(on_standby "$fresh")): found on the primary ($r)" \
    test "$(on_standby "$fresh") $r" = "absent 200 market.real_estate=disclosed"
  replay resume
done

# Past the lag bound records come from the primary: with replay paused, a delivery loaded on the
# primary is on file for gateway 1 (bound 1 s) and not for the lagging gateway, still on the standby.
replay pause
WAIT=20 wait_until "[ \"\$(sql postgres $STANDBY_PORT 'SELECT pg_get_wal_replay_pause_state()')\" = paused ]"
"$BIN" demo-data generate --enterprises 20 --persons 0 --seed 8 --out "$TOPO/late" >/dev/null
(cd "$REPO" && CREDIT_BROKER_PERSON_KEY_SECRET=$(cat "$TOPO/person-key.secret") "$BIN" ingest --manifest "$TOPO/late/manifest.json" \
  --database-url "$(conninfo credit_broker_ingest "$PRIMARY_PORT")" >"$TOPO/log/late-ingest.log" 2>&1)
comm -23 <(sql postgres "$PRIMARY_PORT" "SELECT subject_key FROM subjects WHERE kind = 'organisation' ORDER BY 1") \
  <(sql postgres "$STANDBY_PORT" "SELECT subject_key FROM subjects WHERE kind = 'organisation' ORDER BY 1") >"$TOPO/late/new-subjects"
LATE=$("$BIN" ids check $(head -40 "$TOPO/late/new-subjects") 2>/dev/null | awk '$2 == "valid" { print $1; exit }')
on_file() { # PORT -> whether enterprise.registration of $LATE is on file in the answer
  bank_curl "https://localhost:$1/v1/queries" -H 'Content-Type: application/json' --max-time 20 \
    -d "{\"subject\":\"$LATE\",\"purpose\":\"credit_approval\",\"items\":[\"enterprise.registration\"]}" |
    python3 -c 'import json,sys; a = json.load(sys.stdin); print([x["on_file"] for x in a.get("disclosed", [])])'
}
sleep 1.5
expect "replay paused, a subject loaded since (${LATE:-none}): on file through gateway 1, reading the primary past its 1 s bound ($(on_file "$GW1"))" \
  test "$(on_file "$GW1")" = "[True]"
expect "... and not on file through the lagging gateway, still reading the standby ($(on_file "$GW6"))" test "$(on_file "$GW6")" = "[False]"
expect "gateway 1 reports the standby unusable (credit_broker_standby_usable $(usable "$OPS1"))" \
  test "$(usable "$OPS1")" = 0
replay resume
WAIT=20 wait_until "[ \"\$(usable $OPS1)\" = 1 ]"
reads_before=$(standby_reads)
expect "replay resumed: gateway 1 reads from the standby again, which now has the subject ($(on_file "$GW1"); standby reads $reads_before -> $(standby_reads))" \
  test "$(on_file "$GW1")" = "[True]" -a "$(standby_reads)" -gt "$reads_before"
kill -TERM "$(cat "$TOPO/lagging.pid")"; rm -f "$TOPO/lagging.pid"

# ---------------------------------------------------------------------------------------------
step "SIGHUP: the server certificate, a bad key, the process stays"
served_by() { # PORT CA: whether a TLS connection to the gateway verifies with that CA
  curl -s -o /dev/null -w '%{http_code}' --cacert "$2" "https://localhost:$1/healthz" --max-time 10
}
pid1=$(cat "$TOPO/gateway1.pid")
# The new certificate: another development PKI's server certificate and key (its own CA).
(cd "$REPO" && "$BIN" pki init --out "$TOPO/pki2" >/dev/null)
cp "$PKI/server.pem" "$PKI/server-key.pem" "$TOPO/"
expect "before: gateway 1 serves the first PKI's certificate ($(served_by "$GW1" "$PKI/ca.pem"), with the second CA: $(served_by "$GW1" "$TOPO/pki2/ca.pem"))" \
  test "$(served_by "$GW1" "$PKI/ca.pem")$(served_by "$GW1" "$TOPO/pki2/ca.pem")" = 200000
cp "$TOPO/pki2/server.pem" "$TOPO/pki2/server-key.pem" "$PKI/"
expect "files replaced, no signal yet: still the old certificate ($(served_by "$GW1" "$PKI/ca.pem"))" test "$(served_by "$GW1" "$PKI/ca.pem")" = 200
kill -HUP "$pid1"
WAIT=10 wait_until "[ \"\$(served_by $GW1 $TOPO/pki2/ca.pem)\" = 200 ]"
expect "after SIGHUP: new connections get the new certificate ($(served_by "$GW1" "$TOPO/pki2/ca.pem"); the old CA: $(served_by "$GW1" "$PKI/ca.pem"))" \
  test "$(served_by "$GW1" "$TOPO/pki2/ca.pem")$(served_by "$GW1" "$PKI/ca.pem")" = 200000
expect "the reload is in gateway 1's log" grep -q "reload: server certificate" "$TOPO/log/gateway1.log"
# A key that is not the certificate's: refused, the served pair kept.
cp "$TOPO/server.pem" "$PKI/server.pem"
kill -HUP "$pid1"
WAIT=10 wait_until "grep -q 'server certificate not reloaded' '$TOPO/log/gateway1.log'"
expect "a mismatched key on SIGHUP: not taken, logged ($(grep -o 'is not the key of the certificate' "$TOPO/log/gateway1.log" | head -1))" \
  grep -q "is not the key of the certificate" "$TOPO/log/gateway1.log"
expect "... the gateway still serves the last good certificate ($(served_by "$GW1" "$TOPO/pki2/ca.pem")) and answers a bank query" \
  test "$(served_by "$GW1" "$TOPO/pki2/ca.pem")" = 200 -a "$(kill -0 "$pid1" && echo alive)" = alive
cp "$TOPO/server.pem" "$TOPO/server-key.pem" "$PKI/"
kill -HUP "$pid1"
WAIT=10 wait_until "[ \"\$(served_by $GW1 $PKI/ca.pem)\" = 200 ]"
expect "the original pair back after SIGHUP ($(served_by "$GW1" "$PKI/ca.pem")); gateway 1 answers through HAProxy's CA again: $(query "$GW1" | cut -d' ' -f1)" \
  test "$(query "$GW1" | cut -d' ' -f1)" = 200

# ---------------------------------------------------------------------------------------------
step "backup, then two batches, restore to the instant between them"
admin_call() { curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" --cert "$PKI/admins/$1.pem" --key "$PKI/admins/$1-key.pem" \
  "https://localhost:$ADMIN1$2"; }
pg_folder backups
backup=$(as_pg env PGBIN="$PGBIN" PGPASSFILE="$TOPO/pgpass.server" "$TOPO/bin/basebackup.sh" "$TOPO/backups" "$TOPO/archive" \
  "host=$TOPO/run port=$PRIMARY_PORT user=credit_broker_replication" 2>"$TOPO/log/basebackup.log" | tail -1)
expect "basebackup.sh: verified base backup $(basename "${backup:-none}")" test -n "$backup" -a -f "$backup/backup_manifest"
for i in 1 2 3 4 5; do
  r=$(query "$HAPROXY_PORT" "batch-a-$i"); [ "${r%% *}" = 200 ] || not_ok "batch A query $i: $r"
done
expect "admin requests in batch A (200, 200)" test "$(admin_call system /admin/v1/partners)$(admin_call audit /admin/v1/audit)" = 200200
instant=$(sql postgres "$PRIMARY_PORT" "SELECT clock_timestamp()")
events_at_instant=$(sql postgres "$PRIMARY_PORT" "SELECT string_agg(request_id, ',' ORDER BY id) FROM meter_events")
audit_at_instant=$(sql postgres "$PRIMARY_PORT" "SELECT count(*) FROM admin_audit")
sleep 1
for i in 1 2 3 4 5; do
  r=$(query "$HAPROXY_PORT" "batch-b-$i"); [ "${r%% *}" = 200 ] || not_ok "batch B query $i: $r"
done
admin_call system /admin/v1/partners >/dev/null
events_after=$(sql postgres "$PRIMARY_PORT" "SELECT count(*) FROM meter_events")
segment=$(sql postgres "$PRIMARY_PORT" "SELECT pg_walfile_name(pg_switch_wal())")
WAIT=60 wait_for sh -c "[ -f '$TOPO/archive/$segment' ]"
expect "WAL archived through $segment (archive_command = archive-wal.sh)" test -f "$TOPO/archive/$segment"
restore_start=$SECONDS
pg_folder restored
as_pg env PGBIN="$PGBIN" "$TOPO/bin/restore.sh" "$backup" "$TOPO/archive" "$TOPO/restored" "$instant" 55434 >"$TOPO/log/restore.log" 2>&1
cluster_start restored
WAIT=120 wait_until '[ "$(sql postgres 55434 "SELECT pg_is_in_recovery()")" = f ]'
expect "restored cluster open for writes after recovery to $instant ($((SECONDS - restore_start)) s)" \
  test "$(sql postgres 55434 'SELECT pg_is_in_recovery()')" = f
restored_events=$(sql postgres 55434 "SELECT string_agg(request_id, ',' ORDER BY id) FROM meter_events")
expect "restored: exactly the $(tr ',' '\n' <<<"$events_at_instant" | wc -l) meter events committed before the instant (primary has $events_after)" \
  test "$restored_events" = "$events_at_instant"
expect "restored: the admin audit chain as it was at the instant ($audit_at_instant rows)" \
  test "$(sql postgres 55434 'SELECT count(*) FROM admin_audit')" = "$audit_at_instant"
audit=$(cd "$REPO" && "$BIN" audit verify --database-url "$(conninfo credit_broker_owner 55434)" 2>&1); rc=$?
expect "credit-broker audit verify on the restored cluster (exit $rc: $(head -1 <<<"$audit"))" test $rc = 0
# A gateway on the restored cluster replays batch A's answers byte for byte from their
# Idempotency-Keys, and has never heard of batch B's.
GW3=$((HAPROXY_PORT + 1))
serve_in_background gateway3 "$(conninfo credit_broker_gateway 55434)" --port "$GW3" --tls-dir "$PKI" \
  --receipt-key "$TOPO/receipt-signing-key" --receipt-sm2-key "$TOPO/receipt-signing-key-sm2.pem"
WAIT=60 wait_for curl -sf --cacert "$PKI/ca.pem" "https://localhost:$GW3/readyz"
same=0
for i in 1 2 3 4 5; do
  cp "$TOPO/answers/batch-a-$i" "$TOPO/answers/original-a-$i"
  r=$(query "$GW3" "batch-a-$i")
  [ "${r%% *}" = 200 ] && cmp -s "$TOPO/answers/batch-a-$i" "$TOPO/answers/original-a-$i" && same=$((same + 1))
done
expect "restored: batch A's 5 answers replayed byte for byte" test $same = 5
expect "restored: the replays say Idempotent-Replayed: true" grep -qi '^idempotent-replayed: true' "$TOPO/answers/batch-a-5.headers"
r=$(query "$GW3" "batch-b-1")
expect "restored: batch B's Idempotency-Key unknown there (answered afresh: ${r%% *}, not replayed)" \
  sh -c "[ '${r%% *}' = 200 ] && ! grep -qi '^idempotent-replayed' '$TOPO/answers/batch-b-1.headers'"
kill -TERM "$(cat "$TOPO/gateway3.pid")"; rm -f "$TOPO/gateway3.pid"
cluster_stop restored

# ---------------------------------------------------------------------------------------------
step "failover: primary gone, disclosures stop, promotion, disclosures resume"
pids_before=$(cat "$TOPO/gateway1.pid" "$TOPO/gateway2.pid" | tr '\n' ' ')
answered=()
for i in 1 2 3 4 5; do r=$(query "$HAPROXY_PORT"); [ "${r%% *}" = 200 ] && answered+=("${r#* }"); done
cluster_stop primary immediate
first=$(bank_curl -o /dev/null -w '%{http_code} %{time_total}' "https://localhost:$GW1/v1/queries" -H 'Content-Type: application/json' \
  -d "$(query_body)" --max-time 20)
expect "primary gone: the next query is answered 503 within a second (${first% *} in ${first#* } s)" \
  python3 -c "import sys; sys.exit(0 if '${first% *}' == '503' and float('${first#* }') < 1.0 else 1)"
statuses=""
for port in "$GW1" "$GW2" "$GW1" "$GW2"; do statuses+="$(query "$port" | cut -d' ' -f1) "; done
expect "primary gone: the gateways answer 503 ($statuses)" test "$(tr ' ' '\n' <<<"$statuses" | grep -v '^$' | sort -u)" = 503
grep -q '"status":503' "$TOPO/answers/last" && ok "503 is a problem+json" || not_ok "503 body" "$(cat "$TOPO/answers/last")"
through=$(query "$HAPROXY_PORT" | cut -d' ' -f1)
expect "primary gone: 503 through HAProxy too ($through)" test "$through" = 503
# Once every gateway's /readyz has failed three checks, HAProxy routes to the gateways_alive
# backend (/healthz): partners still get the gateways' 503, not a closed connection.
WAIT=30 wait_until '[ "$(haproxy_servers "$TOPO/run/haproxy.sock" | grep -c " DOWN ")" = 2 ]'
through=$(query "$HAPROXY_PORT" | cut -d' ' -f1)
expect "every gateway out of rotation ($(haproxy_servers "$TOPO/run/haproxy.sock" | cut -d' ' -f2 | tr '\n' ' ')): 503 through HAProxy ($through)" \
  test "$through" = 503
promote_start=$SECONDS
as_pg "$PGBIN/pg_ctl" -D "$TOPO/standby" -w promote >/dev/null
WAIT=60 wait_for sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert $PKI/ca.pem --cert $PKI/clients/$BANK.pem --key $PKI/clients/$BANK-key.pem https://localhost:$HAPROXY_PORT/v1/queries -H 'Content-Type: application/json' -d '$(query_body)')\" = 200 ]"
resumed=$((SECONDS - promote_start))
for i in 1 2 3 4 5; do r=$(query "$HAPROXY_PORT"); [ "${r%% *}" = 200 ] && answered+=("${r#* }"); done
expect "after promotion: disclosures resume within ${resumed} s (10 answered of 10 around the failover)" test ${#answered[@]} = 10
for port in "$GW1" "$GW2"; do
  expect "after promotion: gateway on $port answers 200" test "$(query "$port" | cut -d' ' -f1)" = 200
done
expect "after promotion: gateway 1 no longer reads from the old standby, now the primary (credit_broker_standby_usable $(usable "$OPS1"))" \
  test "$(usable "$OPS1")" = 0
expect "no gateway restarted (pids $pids_before)" test "$(cat "$TOPO/gateway1.pid" "$TOPO/gateway2.pid" | tr '\n' ' ')" = "$pids_before"
metered=$(metered "$(conninfo postgres "$STANDBY_PORT")" "$(IFS=,; echo "${answered[*]}")")
expect "every answered query's meter event is on the new primary ($metered of ${#answered[@]}; synchronous standby)" \
  test "$metered" = ${#answered[@]}

# ---------------------------------------------------------------------------------------------
step "topology down"
trap - EXIT
"$DEPLOY/local/topology.sh" down >/dev/null 2>&1
nothing_left() { ! pgrep -f "$TOPO/[a-z]" >/dev/null; }
expect "topology down: nothing left running" nothing_left
# ---------------------------------------------------------------------------------------------
step "Patroni: etcd and two nodes from Deploy/patroni/patroni.yml; the leader's host dies"
PATRONI_TOPO=${CREDIT_BROKER_PATRONI:-/tmp/credit-broker-patroni-test}
expect "patroni --validate-config Deploy/patroni/patroni.yml" env PATRONI_NAME=db1 PATRONI_RESTAPI_CONNECT_ADDRESS=10.0.3.11:8008 \
  PATRONI_POSTGRESQL_CONNECT_ADDRESS=10.0.3.11:5432 PATRONI_ETCD3_HOSTS=10.0.4.11:2379 patroni --validate-config "$DEPLOY/patroni/patroni.yml"
export CREDIT_BROKER_PATRONI=$PATRONI_TOPO
"$DEPLOY/patroni/local.sh" down >/dev/null 2>&1
if "$DEPLOY/patroni/local.sh" up >"$TOPO.patroni.log" 2>&1; then
  ok "Patroni up: a leader and a synchronous replica ($(grep -o 'replica synchronous: [a-z]*' "$TOPO.patroni.log"))"
  trap '"$DEPLOY/local/topology.sh" down >/dev/null 2>&1; "$DEPLOY/patroni/local.sh" down >/dev/null 2>&1' EXIT
  TOPO=$PATRONI_TOPO; export PGPASSFILE=$TOPO/pgpass
  owner="host=127.0.0.1 port=55441 dbname=credit_broker user=credit_broker_owner"
  "$BIN" migrate --database-url "$owner" >"$TOPO/log/migrate.log" 2>&1 && "$PGBIN/psql" "$owner" -X -q -v ON_ERROR_STOP=1 -f "$DEPLOY/postgres/grants.sql" \
    && ok "migrations as the owner and grants.sql on the Patroni leader" || not_ok "migrate on Patroni" "$(tail -3 "$TOPO/log/migrate.log")"
  token=$(cd "$REPO" && "$BIN" keys issue agency.nj_anxin --database-url "$owner" 2>/dev/null | grep '^ak_')
  (cd "$REPO" && "$BIN" pki init --out "$TOPO/pki" >/dev/null)
  PKI=$TOPO/pki SUBJECT=91350100M000100Y43 GW4=$((HAPROXY_PORT + 2))
  mkdir -p "$TOPO/answers"
  new_secret >"$TOPO/person-key.secret"
  new_sealing_keys >"$TOPO/sealing-keys"; chmod 600 "$TOPO/sealing-keys"
  serve_in_background gateway \
    "host=127.0.0.1,127.0.0.1 port=55441,55442 dbname=credit_broker user=credit_broker_gateway target_session_attrs=read-write connect_timeout=2" \
    --port "$GW4" --tls-dir "$PKI"
  WAIT=60 wait_for curl -sf --cacert "$PKI/ca.pem" "https://localhost:$GW4/readyz"
  agency_status() {
    curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/ca.pem" "https://localhost:$GW4/v1/queries" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d '{"subject":"91350100M000100Y43","purpose":"credit_report","items":["enterprise.registration"]}' --max-time 20
  }
  answered=()
  for i in 1 2 3; do r=$(query "$GW4"); [ "${r%% *}" = 200 ] && answered+=("${r#* }"); done
  expect "bank queries through the gateway on Patroni's leader: 200 (${#answered[@]} of 3); an agency's: $(agency_status)" \
    test ${#answered[@]} = 3
  "$DEPLOY/patroni/local.sh" kill 1
  killed=$SECONDS
  outage=$(query "$GW4" | cut -d' ' -f1)
  expect "leader's host gone: the bank gets 503 ($outage)" test "$outage" = 503
  # An agency authenticates by API key, looked up in the database before metering: the lookup's
  # failure is answered 500 today (ProblemMiddleware), not 503; no disclosure either way.
  agency_outage=$(agency_status)
  expect "leader's host gone: no disclosure to an agency either (status $agency_outage)" test "$agency_outage" != 200
  WAIT=90 wait_until '[ "$(query "$GW4" | cut -d" " -f1)" = 200 ]'
  expect "Patroni promoted node2 and the same gateway answers 200 again after $((SECONDS - killed)) s (ttl 20 s)" \
    test "$("$DEPLOY/patroni/local.sh" leader)" = 55442
  for i in 1 2 3; do r=$(query "$GW4"); [ "${r%% *}" = 200 ] && answered+=("${r#* }"); done
  metered=$(metered "host=127.0.0.1 port=55442 dbname=credit_broker user=postgres" "$(IFS=,; echo "${answered[*]}")")
  expect "every answered query's meter event is on the new leader ($metered of ${#answered[@]})" test "$metered" = 6
  kill -TERM "$(cat "$TOPO/gateway.pid")"
  "$DEPLOY/patroni/local.sh" down >/dev/null 2>&1
  TOPO=$CREDIT_BROKER_TOPOLOGY
else
  not_ok "Patroni up" "$(tail -5 "$TOPO.patroni.log")"
  "$DEPLOY/patroni/local.sh" down >/dev/null 2>&1
fi
rm -f "$TOPO.patroni.log"
trap - EXIT

echo "deploy tests: $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
