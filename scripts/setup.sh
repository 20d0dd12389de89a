#!/usr/bin/env bash
# Installs what building and testing the PDS needs on a Debian machine, if it is missing:
# the system libraries (libsqlite3, libssl, libsecp256k1, libzstd) and, with --test, a Python venv
# (.venv) holding the end-to-end test tools. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libsqlite3-dev libssl-dev libsecp256k1-dev libzstd-dev pkg-config)
# The end-to-end tests also drive a headless browser (Tests/e2e/test_oauth.py: the OAuth sign-in pages).
if [ "${1:-}" = "--test" ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH (Swift 6.2 or later is needed)" >&2
    exit 1
fi

if [ "${1:-}" = "--test" ]; then
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    .venv/bin/pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
fi
