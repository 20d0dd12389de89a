#!/usr/bin/env bash
# Checks that a release binary runs without the Swift toolchain: lists its shared libraries (none may come from the
# toolchain or be missing), runs `--version` and `--help` with an empty environment (no toolchain on PATH or
# LD_LIBRARY_PATH), then starts `serve` the same way in dev mode on a free port with a temporary data directory,
# creates an account (SQLite, secp256k1, the repo write path) and stops it with SIGTERM, which must exit 0.
set -euo pipefail
binary=${1:-dist/pds}
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
echo "Shared libraries of $binary ($(du -h "$binary" | cut -f1)):"
ldd "$binary" | sed 's/^/  /'
if ldd "$binary" | grep -E "not found|libswift|libFoundation|libdispatch|/opt/swift|/usr/share/swift" >/dev/null; then
    echo "error: $binary needs libraries from the Swift toolchain (or some are missing)" >&2
    exit 1
fi
clean=(env -i PATH=/usr/bin:/bin)
version=$("${clean[@]}" "$binary" --version)
echo "Runs without the toolchain: pds $version"
"${clean[@]}" "$binary" --help >/dev/null
"${clean[@]}" "$binary" serve --help >/dev/null
echo "--help and serve --help: ok"

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${clean[@]}" PDS_DEV_MODE=true PDS_PORT="$port" PDS_HOSTNAME=localhost PDS_DATA_DIRECTORY="$data" \
    PDS_INVITE_REQUIRED=false "$binary" serve >"$data/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
url=http://127.0.0.1:$port
for _ in $(seq 1 300); do
    curl -fsS "$url/xrpc/_health" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "error: serve exited:" >&2; cat "$data/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "$url/xrpc/_health" >/dev/null
curl -fsS "$url/xrpc/com.atproto.server.describeServer" >/dev/null
did=$(curl -fsS -H 'Content-Type: application/json' "$url/xrpc/com.atproto.server.createAccount" \
    -d '{"handle":"dist-check.test","email":"dist-check@example.com","password":"dist-check-password"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["did"])')
curl -fsS "$url/xrpc/com.atproto.sync.getLatestCommit?did=$did" >/dev/null
kill -TERM "$server"
status=0
wait "$server" || status=$?
trap - EXIT
rm -rf "$data"
if [ "$status" -ne 0 ]; then
    echo "error: serve exited with status $status after SIGTERM" >&2
    exit 1
fi
echo "serve smoke without the toolchain: _health, describeServer, createAccount ($did), getLatestCommit; clean exit"
