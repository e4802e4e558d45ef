#!/usr/bin/env bash
# Starts an Apache Pulsar standalone broker (from Maven Central, see pom.xml) for consilium's
# real-broker suites: binary protocol on 127.0.0.1:6650, admin + WebSocket API on 127.0.0.1:8080.
# Fetches the broker's jars into test/pulsar/broker/lib on first use, wipes test/pulsar/data,
# starts the JVM in the background (pid in test/pulsar/data/broker.pid, log in
# test/pulsar/data/broker.log) and returns once the admin API lists public/default.
# Stop it with test/pulsar/stop-broker.sh.
#
# Environment: PULSAR_START_TIMEOUT (seconds, default 240), PULSAR_HEAP (default 1g),
# PULSAR_NAMESPACES (space-separated tenant/namespace pairs to create besides public/default;
# default: consilium/coordination, the bundled topology's namespace).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$HERE/broker/lib"
DATA="$HERE/data"
PID_FILE="$DATA/broker.pid"
LOG="$DATA/broker.log"
ADMIN_URL="http://127.0.0.1:8080"
TIMEOUT="${PULSAR_START_TIMEOUT:-240}"
HEAP="${PULSAR_HEAP:-1g}"

# A broker left over by an interrupted earlier run of this script: stop it (by its pid file).
if [ -f "$PID_FILE" ]; then
  "$HERE/stop-broker.sh"
fi
for port in 6650 8080 3181; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "pulsar: port $port on 127.0.0.1 is already in use; stop whatever listens there first" >&2
    exit 1
  fi
done

command -v java >/dev/null || { echo "pulsar: java not found (Java 17+ is needed)" >&2; exit 1; }

# 1. Fetch the broker from Maven Central (again whenever pom.xml or settings.xml change).
VERSION="$(sed -n 's#.*<pulsar.version>\(.*\)</pulsar.version>.*#\1#p' "$HERE/pom.xml")"
STAMP="$LIB/.fetched-$(cat "$HERE/pom.xml" "$HERE/settings.xml" | sha1sum | cut -c1-12)"
if [ ! -f "$STAMP" ]; then
  command -v mvn >/dev/null || { echo "pulsar: mvn not found (Maven is needed to fetch the broker)" >&2; exit 1; }
  echo "pulsar: fetching Apache Pulsar $VERSION from Maven Central into $LIB"
  rm -rf "$LIB"
  fetch_start=$SECONDS
  mvn -B -q -s "$HERE/settings.xml" -f "$HERE/pom.xml" dependency:copy-dependencies
  touch "$STAMP"
  echo "pulsar: fetched $(ls "$LIB" | wc -l) jars in $((SECONDS - fetch_start))s"
fi

# 2. Fresh data folders every run.
rm -rf "$DATA"
mkdir -p "$DATA"

# JVM flags: the --add-opens set and system properties Pulsar's own bin/pulsar passes on Java 17.
JVM_OPTS=(
  "-Xms256m" "-Xmx$HEAP" "-XX:MaxDirectMemorySize=512m"
  "-XX:+UseG1GC" "-XX:MaxGCPauseMillis=10" "-XX:+ExitOnOutOfMemoryError"
  "-Djava.net.preferIPv4Stack=true" "-Djute.maxbuffer=10485760"
  "-Dio.netty.tryReflectionSetAccessible=true"
  "--add-opens" "java.base/java.io=ALL-UNNAMED"
  "--add-opens" "java.base/java.util.zip=ALL-UNNAMED"
  "--add-opens" "java.base/java.nio=ALL-UNNAMED"
  "--add-opens" "java.base/jdk.internal.misc=ALL-UNNAMED"
  "--add-opens" "java.base/sun.net=ALL-UNNAMED"
  "--add-opens" "java.management/sun.management=ALL-UNNAMED"
  "-Dlog4j2.configurationFile=$HERE/log4j2.xml" "-Dlog4j2.is.webapp=false"
  "-Dzookeeper.4lw.commands.whitelist=*" "-Dzookeeper.snapshot.trust.empty=true"
  "-Dbookkeeper.metadata.bookie.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataBookieDriver"
  "-Dbookkeeper.metadata.client.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataClientDriver"
)

# 3. Start (from inside the data folder, so relative paths of the starter land there too).
start=$SECONDS
cd "$DATA"
nohup java "${JVM_OPTS[@]}" -cp "$LIB/*" org.apache.pulsar.PulsarStandaloneStarter \
  --config "$HERE/standalone.conf" \
  --no-functions-worker --no-stream-storage \
  --advertised-address 127.0.0.1 \
  --metadata-dir "$DATA/metadata" \
  --bookkeeper-dir "$DATA/bookkeeper" \
  >"$LOG" 2>&1 </dev/null &
echo $! >"$PID_FILE"
echo "pulsar: starting Apache Pulsar $VERSION standalone (pid $(cat "$PID_FILE"), log $LOG)"

# 4. Wait for the admin API to list public/default.
while true; do
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    echo "pulsar: the broker exited during startup; last log lines:" >&2
    tail -n 40 "$LOG" >&2
    rm -f "$PID_FILE"
    exit 1
  fi
  if curl -sf --max-time 2 "$ADMIN_URL/admin/v2/namespaces/public" 2>/dev/null | grep -q '"public/default"'; then
    break
  fi
  if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
    echo "pulsar: the broker did not list public/default within ${TIMEOUT}s; last log lines:" >&2
    tail -n 40 "$LOG" >&2
    "$HERE/stop-broker.sh" || true
    exit 1
  fi
  sleep 1
done
# 5. Tenants and namespaces the project's topologies use.
for ns in ${PULSAR_NAMESPACES-consilium/coordination}; do
  tenant="${ns%%/*}"
  curl -sf -o /dev/null -X PUT -H "Content-Type: application/json" \
    -d '{"allowedClusters":["standalone"]}' "$ADMIN_URL/admin/v2/tenants/$tenant" 2>/dev/null || true
  if ! curl -sf -o /dev/null -X PUT "$ADMIN_URL/admin/v2/namespaces/$ns"; then
    curl -sf "$ADMIN_URL/admin/v2/namespaces/$tenant" | grep -q "\"$ns\"" ||
      { echo "pulsar: could not create namespace $ns" >&2; exit 1; }
  fi
done
echo "pulsar: broker ready in $((SECONDS - start))s (ws://127.0.0.1:8080, pulsar://127.0.0.1:6650)"
