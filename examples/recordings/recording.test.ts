import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeEvent } from "../../lib/events/decode.js";
import { eventSchemas } from "../../lib/events/registry.js";
import { coordinationTopics } from "../../topologies/topics.js";
import { buildRecording, defaultRecordingOptions, type RecordingSummary } from "./build.js";
import { bundledRecordingPath, encodeRecording, messageBytes, projectRoot, readRecording } from "./format.js";
import { sharedDataDir } from "../../lib/data/shared-data-dir.js";

const schemaOfTopic = new Map<string, (typeof eventSchemas)[keyof typeof eventSchemas]>([
  [coordinationTopics.signals, eventSchemas.TradingSignalEvent],
  [coordinationTopics.marketData, eventSchemas.NormalizedMarketDataEvent],
  [coordinationTopics.correlations, eventSchemas.CorrelationMatrixUpdatedEvent],
  [coordinationTopics.rebalanceRequests, eventSchemas.RebalanceRequestEvent],
  [coordinationTopics.optimizations, eventSchemas.PortfolioOptimizationEvent],
]);

const summary = JSON.parse(
  readFileSync(resolve(projectRoot(), "examples/recordings/portfolio-coordination.summary.json"), "utf8"),
) as RecordingSummary & { compressedBytes: number };

describe("bundled recording", () => {
  const messages = readRecording(bundledRecordingPath());

  it("is small enough to commit and matches its summary", () => {
    expect(summary.compressedBytes).toBeLessThan(5 * 1024 * 1024);
    expect(messages).toHaveLength(summary.messages);
    messages.forEach((m, i) => {
      expect(m.seq).toBe(i);
      if (i > 0) expect(m.publishTime).toBeGreaterThanOrEqual(messages[i - 1]!.publishTime);
    });
  });

  it("decodes into the valid events, duplicates and dead letters the summary announces", () => {
    const reasons: Record<string, number> = { "invalid-json": 0, undecodable: 0, "schema-violation": 0 };
    const seen = new Map<string, string>();
    let duplicates = 0;
    let late = 0;
    const lastOnTime = new Map<string, number>();
    for (const m of messages) {
      const schema = schemaOfTopic.get(m.topic);
      expect(schema, m.topic).toBeDefined();
      const r = decodeEvent(schema!, messageBytes(m));
      if (!r.ok) {
        reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
        continue;
      }
      const event = r.value as { eventId: string; eventTime: number; portfolioId?: string };
      expect(event.eventTime).toBe(m.eventTime);
      if (event.portfolioId !== undefined) expect(m.key).toBe(event.portfolioId);
      const previous = seen.get(event.eventId);
      if (previous !== undefined) {
        // A duplicate is a byte-identical redelivery, never a different event under the same id.
        expect(m.data).toBe(previous);
        duplicates++;
      } else seen.set(event.eventId, m.data);
      if (m.publishTime - m.eventTime > 24 * 3600_000) late++;
      else if (previous === undefined) {
        // On-time first deliveries are in event-time order per topic (what replay determinism needs).
        expect(m.eventTime).toBeGreaterThanOrEqual(lastOnTime.get(m.topic) ?? 0);
        lastOnTime.set(m.topic, m.eventTime);
      }
    }
    expect(reasons).toEqual(summary.defects.invalid);
    expect(duplicates).toBe(summary.defects.duplicates);
    expect(late).toBe(summary.defects.late);
    const valid = Object.values(summary.validEvents).reduce((a, b) => a + b, 0);
    expect(seen.size).toBe(valid);
    expect(valid + duplicates + Object.values(reasons).reduce((a, b) => a + b, 0)).toBe(messages.length);
  });

  const dataDir = sharedDataDir(projectRoot());
  it("is regenerated identically by the committed generator from ../shared/data", () => {
    const rebuilt = encodeRecording(buildRecording({ ...defaultRecordingOptions, dataDir }).messages);
    // Compare the uncompressed JSON Lines: gzip bytes may differ between zlib versions.
    const sha = (b: Uint8Array) => createHash("sha256").update(gunzipSync(b)).digest("hex");
    expect(sha(rebuilt)).toBe(sha(readFileSync(bundledRecordingPath())));
  });
});
