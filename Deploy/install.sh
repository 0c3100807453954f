#!/bin/sh
# Installs a built credit-broker and this folder's deployment files in the places the systemd
# units expect. Run from the repository after
# `swift build -c release --product credit-broker --static-swift-stdlib` (no Swift runtime needed on the host):
#     sudo Deploy/install.sh [--destdir DIR] [--binary PATH]
# DESTDIR (default /) lets a package build or a test install into a scratch root. On the real
# root it also creates the service accounts and the drop folder; it never overwrites a file in
# /etc/credit-broker (settings, secrets, contracts an operator edited).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
destdir= binary=$repo/.build/release/credit-broker
while [ $# -gt 0 ]; do
  case $1 in
    --destdir) destdir=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "usage: $0 [--destdir DIR] [--binary PATH]" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "no binary at $binary (swift build -c release --product credit-broker --static-swift-stdlib)" >&2; exit 1; }
share=$destdir/usr/local/share/credit-broker

install -D -m 755 "$binary" "$destdir/usr/local/bin/credit-broker"
mkdir -p "$share"
cp -R "$repo/Policies" "$share/"
cp "$repo/README.md" "$share/"
for f in postgres/roles.sql postgres/grants.sql postgres/postgresql.conf.md backup/archive-wal.sh backup/basebackup.sh \
         backup/restore.sh standby/make-standby.sh systemd/ingest-drop.sh haproxy/haproxy.cfg patroni/patroni.yml; do
  install -D -m "$(case $f in *.sh) echo 755 ;; *) echo 644 ;; esac)" "$repo/Deploy/$f" "$share/Deploy/$f"
done
for unit in credit-broker.service credit-broker-migrate.service credit-broker-ingest.path credit-broker-ingest.service \
            credit-broker-basebackup.service credit-broker-basebackup.timer; do
  install -D -m 644 "$repo/Deploy/systemd/$unit" "$destdir/etc/systemd/system/$unit"
done

# Settings and contracts: examples on first install only.
etc=$destdir/etc/credit-broker
install -d -m 755 "$etc"
for pair in credit-broker.env:credit-broker.env credit-broker-migrate.env:migrate.env credit-broker-ingest.env:ingest.env; do
  [ -e "$etc/${pair#*:}" ] || install -m 600 "$repo/Deploy/systemd/${pair%%:*}" "$etc/${pair#*:}"
done
[ -e "$etc/contracts" ] || cp -R "$repo/Contracts" "$etc/contracts"

if [ -z "$destdir" ]; then
  getent passwd credit-broker >/dev/null ||
    useradd --system --home-dir /var/lib/credit-broker --no-create-home --shell /usr/sbin/nologin credit-broker
  getent passwd credit-broker-migrate >/dev/null ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin credit-broker-migrate
  getent passwd credit-broker-ingest >/dev/null ||
    useradd --system --home-dir /var/spool/credit-broker --no-create-home --shell /usr/sbin/nologin credit-broker-ingest
  install -d -m 750 -o credit-broker-ingest -g credit-broker-ingest /var/spool/credit-broker \
    /var/spool/credit-broker/upload /var/spool/credit-broker/incoming
  systemctl daemon-reload 2>/dev/null || true
fi
echo "installed into ${destdir:-/}"
