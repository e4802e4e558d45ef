export { OVERFLOW_LABEL } from "./bounded-counter.js";
export { ConsiliumMetrics, type ConsiliumMetricsOptions, LATENCY_BUCKETS_SECONDS } from "./consilium-metrics.js";
export { type MetricsServer, type ServeMetricsOptions, serveMetrics } from "./metrics-server.js";
export { combineObservers, type RuntimeObserver } from "./runtime-observer.js";
export { parseExposition } from "./parse-exposition.js";
export { type RuntimeStatsLike, StatsTracker } from "./stats-tracker.js";
export { FastHistogram } from "./fast-histogram.js";
