/** Loading the recording the CLI replays, and the topic → schema map of the bundled topology. */
import type { EventName } from "../events/registry.js";
import { bundledRecordingPath, type RecordedMessage, readRecording } from "../../examples/recordings/format.js";
import { coordinationTopics } from "../../topologies/topics.js";

export function loadRecording(path: string | undefined): { path: string; messages: RecordedMessage[] } {
  const resolved = path ?? bundledRecordingPath();
  return { path: resolved, messages: readRecording(resolved) };
}

const schemaByTopic = new Map<string, EventName>([
  [coordinationTopics.signals, "TradingSignalEvent"],
  [coordinationTopics.rebalanceRequests, "RebalanceRequestEvent"],
  [coordinationTopics.optimizations, "PortfolioOptimizationEvent"],
  [coordinationTopics.correlations, "CorrelationMatrixUpdatedEvent"],
  [coordinationTopics.marketData, "NormalizedMarketDataEvent"],
]);

/** Event schema of an input topic of the portfolio-coordination topology. */
export function inputSchemaOf(topic: string): EventName | undefined {
  return schemaByTopic.get(topic);
}
