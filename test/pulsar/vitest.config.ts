import { defineConfig } from "vitest/config";

// Suites that need the real broker (test/pulsar/start-broker.sh): the WebSocket client's own tests
// and, with CONSILIUM_TRANSPORT=websocket (set by run.sh), the contract and end-to-end suites.
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/pulsar/**/*.test.ts", "test/contract/**/*.test.ts", "test/e2e/**/*.test.ts"],
    exclude: ["node_modules", "dist", "test/pulsar/broker/**", "test/pulsar/data/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One file at a time: the suites share one broker on a 2-core machine.
    fileParallelism: false,
  },
});
