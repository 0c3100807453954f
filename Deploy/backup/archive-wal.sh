#!/bin/sh
# PostgreSQL's archive_command: copies one finished WAL segment into the archive folder.
#     archive_command = '/usr/local/lib/credit-broker/archive-wal.sh %p %f /var/lib/postgresql/wal-archive'
# Exit 0 only once the file is durably in the archive; PostgreSQL keeps the segment and retries
# otherwise. A segment already archived with the same bytes is accepted (a retry after a crash
# between copy and acknowledgement); one with different bytes is refused, never overwritten.
# For an archive on another machine, mount it (NFS, object-storage gateway) or replace the copy
# with pgBackRest or WAL-G: the contract (exit 0 = durable) is the same.
set -eu
path=$1 name=$2 archive=$3
target=$archive/$name
if [ -f "$target" ]; then
  cmp -s "$path" "$target" && exit 0
  echo "archive-wal: $target exists with other contents; not overwriting" >&2
  exit 1
fi
cp "$path" "$target.partial"
sync "$target.partial"
mv "$target.partial" "$target"
sync "$archive"
