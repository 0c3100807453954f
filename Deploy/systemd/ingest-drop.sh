#!/bin/sh
# credit-broker-ingest.service: ingests each delivery folder in SPOOL/incoming (name order) and
# moves it to SPOOL/done, SPOOL/rejected (loaded, but some lines refused: `ingest` exits 3; the
# folder keeps rejects.csv and ingest.log for the supplier) or SPOOL/failed. A folder without
# manifest.json is not a delivery: it is moved to failed/ too, so that the drop folder empties and
# the path unit does not fire again. Exits 1 when any delivery was not loaded whole.
#     ingest-drop.sh SPOOL
set -eu
spool=$1
bin=${CREDIT_BROKER_BIN:-/usr/local/bin/credit-broker}
mkdir -p "$spool/incoming" "$spool/done" "$spool/rejected" "$spool/failed"
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
  rc=0
  "$bin" ingest --manifest "$from/manifest.json" --rejects "$from/rejects.csv" 2>"$from/ingest.log" || rc=$?
  case $rc in
    0)
      echo "$delivery: loaded"
      mv "$from" "$spool/done/$delivery.$stamp" ;;
    3)
      echo "$delivery: loaded except rejected lines, see rejected/$delivery.$stamp/rejects.csv" >&2
      mv "$from" "$spool/rejected/$delivery.$stamp"
      status=1 ;;
    *)
      echo "$delivery: failed (exit status $rc), see failed/$delivery.$stamp/ingest.log" >&2
      mv "$from" "$spool/failed/$delivery.$stamp"
      status=1 ;;
  esac
done
exit $status
