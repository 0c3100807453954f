#!/usr/bin/env bash
# The fault harness's short versions, as CI runs them (.ci/run), about 10 minutes on two cores:
# every scenario with its acceptance criteria, fewer repetitions or shorter phases where the full
# run takes long (the README's Reliability section gives the full commands and their figures).
# Each scenario's last line is its figure; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
run() {
  echo "== Tests/Faults/run.sh $*"
  Tests/Faults/run.sh "$@" || status=1
}
run kill --kills 10 --maximum-load 2.5
run postgres --outage 3
run quota --repetitions 5 --boundary-repetitions 1
# The debug build's TLS handshakes and HTTP/2 streams cost several times the release build's: CI checks
# that the gateway stays up, ready and within its memory bound and that the bank is served; the p99
# bound (3 × quiet) is the release build's (README, Reliability).
run hostile --seconds 5 --quiet-seconds 5 --idle-connections 3000 --report-latency-only
run tls
run soak --minutes 1.5 --sample 15 --svg /tmp/credit-broker-soak-ci.svg
run demo
exit $status
