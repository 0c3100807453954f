#!/usr/bin/env bash
# One scenario of the fault harness (issue 14), from the repository folder:
#
#   Tests/Faults/run.sh kill       # kill -9 under load, 10 kills
#   Tests/Faults/run.sh postgres   # PostgreSQL stopped fast, immediately, and killed under load
#   Tests/Faults/run.sh quota      # 3 processes × 50 clients race for a quota of 1,000, 20 times, and across midnight
#   Tests/Faults/run.sh hostile    # hostile clients while a bank queries
#   Tests/Faults/run.sh tls        # sslscan of both listeners and a matrix of client certificates
#   Tests/Faults/run.sh soak       # 30 minutes at half the measured maximum, plotted to Tests/Faults/soak.svg
#   Tests/Faults/run.sh demo       # the demo with persons' queries, then the clear-text scan
#
# Options after the scenario go to it (`Tests/Faults/run.sh kill --help`). Every scenario also ends
# with the clear-text scan (scenario 8). Builds the debug credit-broker and the harness first
# (nice -n 10). The scenario's figure is the last line; the exit status is non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
for product in credit-broker CreditBrokerFaults; do
  nice -n 10 swift build --product "$product" >/tmp/credit-broker-faults-build.log 2>&1 || {
    tail -40 /tmp/credit-broker-faults-build.log >&2
    exit 2
  }
done
exec .build/debug/CreditBrokerFaults "$@"
