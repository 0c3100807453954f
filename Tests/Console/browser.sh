#!/usr/bin/env bash
# The admin console in a real browser: starts a small demo (200 organisations, 50 persons) on free
# ports, gives each admin role its own headless Chromium holding only that role's client
# certificate (an NSS database under its own HOME, chosen without a prompt under Chromium's
# AutoSelectCertificateForUrls policy), and runs Tests/Console/console_browser.py: the scenario of
# issue 21, axe-core on every page, screenshots into docs/console/.
#
# Installs what it lacks: Debian's chromium, chromium-driver, libnss3-tools, python3-venv and
# fonts-noto-cjk (for the Chinese pages); Selenium and axe-core (from the PyPI package
# axe-playwright-python, which ships axe.min.js, MPL-2.0) in a venv under .build-console/.
# Uses the debug build of credit-broker (built if missing). About 2 minutes after the build.
#
#   bash Tests/Console/browser.sh            # the scenario, screenshots into docs/console/
#   SHOTS_DIR=/tmp/shots bash Tests/Console/browser.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
work="$root/.build-console"
mkdir -p "$work"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v pk12util >/dev/null 2>&1 || missing+=(libnss3-tools)
/usr/bin/python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$work/venv/bin/python" ]; then /usr/bin/python3 -m venv "$work/venv"; fi
"$work/venv/bin/pip" install -q --disable-pip-version-check -r Tests/Console/requirements.txt
# axe-core only: the package's Playwright wrapper is not used (Selenium injects axe.min.js itself).
"$work/venv/bin/pip" install -q --disable-pip-version-check --no-deps "axe-playwright-python==0.1.8"
axe=$("$work/venv/bin/python" -c 'import axe_playwright_python, os; print(os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js"))')

binary=$(swift build --show-bin-path)/credit-broker
[ -x "$binary" ] || nice -n 10 swift build --product credit-broker

run="$work/run"
rm -rf "$run"
mkdir -p "$run/homes"
state="$run/state"
# Three free ports in a row: partner, admin (+1), operations (+2).
port=$(/usr/bin/python3 - <<'EOF'
import socket
for base in range(20000, 60000, 7):
    sockets = []
    try:
        for offset in range(3):
            s = socket.socket(); s.bind(("127.0.0.1", base + offset)); sockets.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in sockets: s.close()
EOF
)
admin_port=$((port + 1))

policy_dir=/etc/chromium/policies/managed
policy="$policy_dir/credit-broker-console-test.json"
demo_pid=
cleanup() {
  [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  rm -f "$policy"
}
trap cleanup EXIT

"$binary" demo --enterprises 200 --persons 50 --state-dir "$state" --port "$port" >"$run/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 240); do
  if grep -q "admin console" "$run/demo.log" 2>/dev/null && grep -q "CreditBroker demo is running" "$run/demo.log"; then break; fi
  kill -0 "$demo_pid" 2>/dev/null || { cat "$run/demo.log"; echo "the demo stopped"; exit 1; }
  sleep 1
done
grep -q "CreditBroker demo is running" "$run/demo.log" || { cat "$run/demo.log"; echo "the demo did not start in 4 minutes"; exit 1; }
cp "$run/demo.log" "$state/demo.log"
pki="$state/pki"

# One HOME per role, whose NSS database (Chromium's ~/.pki/nssdb) trusts the demo's CA and holds
# that role's certificate and key only.
for role in system security audit; do
  home="$run/homes/$role"
  db="sql:$home/.pki/nssdb"
  mkdir -p "$home/.pki/nssdb"
  certutil -N -d "$db" --empty-password
  certutil -A -d "$db" -n "credit-broker demo CA" -t "C,," -i "$pki/ca.pem"
  openssl pkcs12 -export -in "$pki/admins/$role.pem" -inkey "$pki/admins/$role-key.pem" \
    -name "credit-broker $role" -out "$run/$role.p12" -passout pass:
  pk12util -i "$run/$role.p12" -d "$db" -W "" >/dev/null
done

# Chromium reads managed policies only from this folder; removed again on exit.
mkdir -p "$policy_dir"
cat >"$policy" <<EOF
{ "AutoSelectCertificateForUrls": ["{\"pattern\":\"https://localhost:$admin_port\",\"filter\":{}}"] }
EOF

# The proposal the system officer uploads: the agency's contract with registration withdrawn.
sed -e 's/^version: .*/version: 2026-12-05.1/' Contracts/agency.nj_anxin.yaml >"$run/proposal.yaml"
printf 'items:\n  enterprise.registration: none\n' >>"$run/proposal.yaml"

CONSOLE_URL="https://localhost:$admin_port" PARTNER_URL="https://localhost:$port" PKI_DIR="$pki" \
STATE_DIR="$state" ROLE_HOMES="$run/homes" AXE_JS="$axe" SHOTS_DIR="${SHOTS_DIR:-$root/docs/console}" \
DOCUMENT="$run/proposal.yaml" \
  "$work/venv/bin/python" Tests/Console/console_browser.py
