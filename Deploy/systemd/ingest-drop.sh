#!/bin/sh
# credit-broker-ingest.service: ingests each delivery folder in SPOOL/incoming (name order) and
# moves it to SPOOL/done or SPOOL/failed. A folder without manifest.json is not a delivery: it is
# moved to failed/ too, so that the drop folder empties and the path unit does not fire again.
#     ingest-drop.sh SPOOL
set -eu
spool=$1
bin=${CREDIT_BROKER_BIN:-/usr/local/bin/credit-broker}
mkdir -p "$spool/incoming" "$spool/done" "$spool/failed"
status=0
for delivery in $(ls -1 "$spool/incoming" | sort); do
  from=$spool/incoming/$delivery
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  if [ ! -f "$from/manifest.json" ]; then
    echo "$delivery: no manifest.json; moved to failed/" >&2
    mv "$from" "$spool/failed/$delivery.$stamp"
    status=1
    continue
  fi
  if "$bin" ingest --manifest "$from/manifest.json" --rejects "$from/rejects.csv" 2>"$from/ingest.log"; then
    echo "$delivery: loaded"
    mv "$from" "$spool/done/$delivery.$stamp"
  else
    echo "$delivery: failed, see failed/$delivery.$stamp/ingest.log" >&2
    mv "$from" "$spool/failed/$delivery.$stamp"
    status=1
  fi
done
exit $status
