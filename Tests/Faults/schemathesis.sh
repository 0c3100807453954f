#!/usr/bin/env bash
# Property-based fault search on both OpenAPI descriptions with schemathesis (`--checks all`),
# against a demo the script starts and stops itself. Reproducible: a fixed seed and a bounded
# number of examples per operation. Exit status 0 only when every run is clean.
#
#   Tests/Faults/schemathesis.sh            # builds credit-broker if needed
#   SEED=7 EXAMPLES=50 Tests/Faults/schemathesis.sh
#
# Needs python3 (with venv) and network access to PyPI the first time: schemathesis is installed
# into a virtual environment under $SCHEMATHESIS_VENV (default /tmp/credit-broker-schemathesis).
# Four runs:
#   partner API as a credit agency (API key): every check;
#   partner API as a bank (client certificate): every check but ignored_auth, which strips the
#     Authorization header and cannot take a TLS client certificate away;
#   admin API as the security and as the audit role (client certificates): the same.
# Schema-valid requests the server may still refuse, and why, are in schemathesis.toml; the
# `subject` format and the cursors come from schemathesis_hooks.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
faults=Tests/Faults

seed=${SEED:-20261205}
examples=${EXAMPLES:-30}
port=${PORT:-$((20000 + RANDOM % 20000))}
venv=${SCHEMATHESIS_VENV:-/tmp/credit-broker-schemathesis}
version=4.32.5

if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi
if [ ! -x .build/debug/credit-broker ]; then
  nice -n 10 swift build --product credit-broker
fi

state=$(mktemp -d /tmp/credit-broker-schemathesis-state.XXXXXX)
chmod 711 "$state"  # run as root, the embedded PostgreSQL runs as postgres and must enter it
log=$state.log
.build/debug/credit-broker demo --state-dir "$state/demo" --port "$port" --enterprises 300 --persons 100 >"$log" 2>&1 &
demo=$!
stop() {
  kill -INT "$demo" 2>/dev/null || true
  wait "$demo" 2>/dev/null || true
  rm -rf "$state" "$log"
}
trap stop EXIT

pki=$state/demo/pki
for _ in $(seq 1 300); do
  curl -sf --cacert "$pki/ca.pem" "https://localhost:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$demo" 2>/dev/null || { echo "the demo stopped:"; tail -20 "$log"; exit 1; }
  sleep 1
done
token=$(grep '^agency.nj_anxin' "$state/demo/agency-api-keys.tsv" | cut -f2)

run() {
  local name=$1 schema=$2 url=$3; shift 3
  echo "== $name"
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=$faults "$venv/bin/schemathesis" --config-file "$faults/schemathesis.toml" \
    run "$schema" --url "$url" --tls-verify "$pki/ca.pem" --checks all --seed "$seed" --max-examples "$examples" \
    --workers 1 --no-color "$@"
}

status=0
run "partner API, credit agency (API key)" Contracts/api/openapi.yaml "https://localhost:$port" \
  -H "Authorization: Bearer $token" || status=1
run "partner API, bank (client certificate)" Contracts/api/openapi.yaml "https://localhost:$port" \
  --request-cert "$pki/clients/bank.icbc_jiangsu.pem" --request-cert-key "$pki/clients/bank.icbc_jiangsu-key.pem" \
  --exclude-checks ignored_auth || status=1
for role in security audit; do
  run "admin API, $role role" Contracts/api/admin-openapi.yaml "https://localhost:$((port + 1))" \
    --request-cert "$pki/admins/$role.pem" --request-cert-key "$pki/admins/$role-key.pem" \
    --exclude-checks ignored_auth || status=1
done
exit $status
