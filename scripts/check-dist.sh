#!/usr/bin/env bash
# Checks that a release binary runs without the Swift toolchain: lists its shared libraries (none may come from the
# toolchain or be missing), then runs it with an empty environment (no toolchain on PATH or LD_LIBRARY_PATH).
set -euo pipefail
binary=${1:-dist/pds}
echo "Shared libraries of $binary:"
ldd "$binary" | sed 's/^/  /'
if ldd "$binary" | grep -E "not found|libswift|libFoundation|libdispatch|/opt/swift|/usr/share/swift" >/dev/null; then
    echo "error: $binary needs libraries from the Swift toolchain (or some are missing)" >&2
    exit 1
fi
version=$(env -i "$binary" --version)
echo "Runs without the toolchain: pds $version"
