#!/usr/bin/env bash
# What the local stack's malware scanner needs: Debian's ClamAV daemon (clamd, with clamdscan
# for the throughput benchmark) and the project's own signature database in .scanner/db: the
# EICAR test signature and the project's test signatures. No signature download: to scan with
# ClamAV's real signatures, run freshclam and start the stack with
# DROPGATE_CLAMAV_DB=/var/lib/clamav (docs/RESOURCES.md). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clamd >/dev/null && [[ ! -x /usr/sbin/clamd ]] || ! command -v clamdscan >/dev/null; then
  echo "installing Debian's clamav-daemon (once)" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  # Debian's packages start a system clamd and freshclam as services; the stack runs its own
  # clamd and never downloads signatures, so those services are not needed (and stay down in a
  # container without an init).
  $sudo apt-get install -y -qq --no-install-recommends clamav clamav-daemon clamdscan >/dev/null
fi

# The test strings, byte for byte (local/src/scanner/mod.rs names them for tests):
# EICAR's 68-byte test file, a marker anywhere in a file, a header at its first byte.
eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
marker='DROPGATE-TEST-MALWARE-MARKER-5b1e0c'
header='DROPGATE-TEST-MALWARE-HEADER-9d27f4'
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# .ndb lines: Name:TargetType:Offset:HexSignature (target 0 = any file; offset * = anywhere).
want="Dropgate.Test.EICAR:0:*:$(hex "$eicar")
Dropgate.Test.Marker:0:*:$(hex "$marker")
Dropgate.Test.Header:0:0:$(hex "$header")"
db=.scanner/db
mkdir -p "$db"
if [[ "$(cat "$db/dropgate.ndb" 2>/dev/null)" != "$want" ]]; then
  printf '%s\n' "$want" >"$db/dropgate.ndb.tmp"
  mv "$db/dropgate.ndb.tmp" "$db/dropgate.ndb"
  echo "wrote $db/dropgate.ndb" >&2
fi
