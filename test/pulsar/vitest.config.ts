import { defineConfig } from "vitest/config";

/**
 * The end-to-end suites (test/e2e, transport chosen by CONSILIUM_TRANSPORT) that pass on the real
 * broker. Not listed, because they fail there for reasons in the suites, not the transport:
 * - runtime-delivery.test.ts: "dead-letters a message that keeps failing…" stops on idleTimeoutMs 60,
 *   shorter than the 100 ms negative-ack delay (passes with idleTimeoutMs 1000);
 * - runtime-determinism.test.ts: the 1- and 3-worker runs share one topic prefix, so on a broker that
 *   keeps topics the second run finds the first one's subscriptions and decisions;
 * - runtime-resilience.test.ts: "stops receiving while a sink lags" expects input after ~100 ms,
 *   before a real broker has created the run's producers and consumers;
 * - portfolio-coordination.test.ts: runs on the embedded broker only (no transport switch); its
 *   real-broker counterpart is test/pulsar/portfolio-coordination.test.ts.
 */
const E2E_ON_REAL_BROKER = ["test/e2e/scale-out.test.ts"];

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
