import { defineConfig } from "vitest/config";

/**
 * The runtime's end-to-end suites (test/e2e/runtime-*.test.ts and scale-out.test.ts; transport
 * chosen by CONSILIUM_TRANSPORT, timings from `transportTimings`) run here unchanged. Not listed:
 * test/e2e/portfolio-coordination*.test.ts runs on the embedded broker only (no transport
 * switch); its real-broker counterpart is test/pulsar/portfolio-coordination.test.ts.
 */
const E2E_ON_REAL_BROKER = ["test/e2e/runtime-*.test.ts", "test/e2e/scale-out.test.ts"];

// Suites that need the real broker (test/pulsar/start-broker.sh): the WebSocket client's own tests,
// the bundled topology on Pulsar, the contract suite and the e2e suites above, run with
// CONSILIUM_TRANSPORT=websocket (set by run.sh).
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/pulsar/**/*.test.ts", "test/contract/**/*.test.ts", ...E2E_ON_REAL_BROKER],
    exclude: ["node_modules", "dist", "test/pulsar/broker/**", "test/pulsar/data/**"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: "forks",
    // One file at a time: the suites share one broker on a 2-core machine.
    fileParallelism: false,
  },
});
