/**
 * Topic names of the bundled portfolio-coordination topology. The recording generator, the CLI and
 * the examples use these, so a recording replays into the topology without any mapping.
 */
const ns = "persistent://consilium/coordination";

export const coordinationTopics = {
  /** Inputs. */
  signals: `${ns}/trading-signals`,
  rebalanceRequests: `${ns}/rebalance-requests`,
  optimizations: `${ns}/portfolio-optimizations`,
  correlations: `${ns}/correlation-matrices`,
  marketData: `${ns}/market-data`,
  /** Outputs. */
  decisions: `${ns}/coordinated-decisions`,
  stateUpdates: `${ns}/portfolio-state-updates`,
  analytics: `${ns}/coordination-analytics`,
  /** Side outputs. */
  deadLetters: `${ns}/dead-letters`,
  late: `${ns}/late-events`,
  duplicates: `${ns}/duplicates`,
  rejected: `${ns}/rejected`,
  /** Batches that yielded no trade (kept for the audit trail: their inputs end here). */
  noDecision: `${ns}/no-decision-batches`,
} as const;

export type CoordinationTopic = (typeof coordinationTopics)[keyof typeof coordinationTopics];
