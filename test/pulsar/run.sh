#!/usr/bin/env bash
# `npm run test:pulsar`: fetch (first time) and start a real Apache Pulsar standalone broker, run
# the WebSocket client's broker tests, the contract suite and the end-to-end suites against it
# with CONSILIUM_TRANSPORT=websocket, and always stop the broker afterwards.
# Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

cleanup() { "$HERE/stop-broker.sh" || true; }
trap cleanup EXIT INT TERM

"$HERE/start-broker.sh"

cd "$ROOT"
export CONSILIUM_TRANSPORT=websocket
export PULSAR_WS_URL="ws://127.0.0.1:8080"
export PULSAR_ADMIN_URL="http://127.0.0.1:8080"
npx vitest run --config test/pulsar/vitest.config.ts "$@"
