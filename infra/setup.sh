#!/usr/bin/env bash
# One-time (and idempotent) setup for the embedded default: nats-server, npm dependencies, build.
# Safe to run again: it installs only what is missing and re-syncs node_modules with the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_FLOOR="2.9.4"

say() { printf 'setup: %s\n' "$*"; }

version_ge() { # version_ge A B: A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))."
  exit 1
fi

if ! command -v "${NATS_SERVER_BIN:-nats-server}" >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    say "installing nats-server from the distribution's packages (apt-get install nats-server)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server >/dev/null
  else
    say "nats-server is not installed and apt-get is not available. Install it, then run this again:"
    say "  macOS:   brew install nats-server"
    say "  Fedora:  dnf install nats-server      Arch: pacman -S nats-server"
    say "  other:   https://github.com/nats-io/nats-server/releases (put nats-server on PATH or set NATS_SERVER_BIN)"
    say "  or skip it entirely and point the hub at an existing server with NATS_URL=nats://host:4222"
    exit 1
  fi
fi

nats_version="$("${NATS_SERVER_BIN:-nats-server}" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)"
if ! version_ge "$nats_version" "$NATS_FLOOR"; then
  say "nats-server $nats_version is older than $NATS_FLOOR; install a newer one or set NATS_URL."
  exit 1
fi
say "nats-server $nats_version"

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error

say "building (tsc -b)"
npx tsc -b

say "done. Start the hub with: npm start"
