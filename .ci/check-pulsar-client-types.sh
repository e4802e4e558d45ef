#!/usr/bin/env bash
# Type-checks consilium's pulsar-client interface subset against pulsar-client's published
# index.d.ts. The native addon cannot be built here (no libpulsar), so the package is installed
# with --ignore-scripts into a gitignored side folder, and only its declarations are used.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${PULSAR_CLIENT_VERSION:-1.18.0}"
SIDE=.pulsar-typecheck
installed="$(node -p "try { require('./$SIDE/node_modules/pulsar-client/package.json').version } catch { '' }")"
if [ "$installed" != "$VERSION" ] || [ ! -d "$SIDE/node_modules/@types/node" ]; then
  echo "== installing pulsar-client@$VERSION (declarations only, --ignore-scripts) into $SIDE/"
  mkdir -p "$SIDE"
  npm install --ignore-scripts --no-save --no-audit --no-fund --prefix "$SIDE" "pulsar-client@$VERSION" @types/node@20
fi

echo "== type-checking .ci/pulsar-client-compat.typecheck.ts against pulsar-client@$VERSION"
npx tsc -p .ci/pulsar-client-types.tsconfig.json
echo "pulsar-client@$VERSION declarations are compatible with lib/transports/pulsar-client-like.ts"
