#!/usr/bin/env bash
# Usage: bash tests/conformance/run.sh http://127.0.0.1:PORT/graphql
# Installs the pinned clients (npm ci), runs the graphql-http audit suite against URL, then drives
# the subscriptions at URL/ws with the graphql-ws client (needs the demo world).
# Exits 1 if any MUST audit or any subscription check fails, 0 otherwise.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: bash tests/conformance/run.sh http://127.0.0.1:PORT/graphql" >&2
  exit 2
fi

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$dir"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  echo "conformance: npm ci failed:" >&2
  cat "$log" >&2
  exit 1
fi

set +e
node audit.mjs "$1"
audit=$?
node subscriptions.mjs "$1"
subscriptions=$?
[ "$audit" -eq 0 ] && [ "$subscriptions" -eq 0 ]
