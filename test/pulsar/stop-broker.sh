#!/usr/bin/env bash
# Stops the broker that test/pulsar/start-broker.sh started (by the pid in its pid file only):
# SIGTERM, then SIGKILL if it has not exited after PULSAR_STOP_TIMEOUT seconds (default 20).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PID_FILE="$HERE/data/broker.pid"
TIMEOUT="${PULSAR_STOP_TIMEOUT:-20}"

if [ ! -f "$PID_FILE" ]; then
  echo "pulsar: no broker pid file ($PID_FILE); nothing to stop"
  exit 0
fi
pid="$(cat "$PID_FILE")"
# Only a process that is still the broker (the pid may have been reused since).
if kill -0 "$pid" 2>/dev/null && grep -q PulsarStandaloneStarter "/proc/$pid/cmdline" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null || true
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$TIMEOUT" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "pulsar: broker (pid $pid) still running after ${TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "pulsar: broker (pid $pid) stopped"
else
  echo "pulsar: broker (pid $pid) was not running"
fi
rm -f "$PID_FILE"
