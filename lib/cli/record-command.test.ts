import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundledRecordingPath, readRecording } from "../../examples/recordings/format.js";
import { embeddedBinding } from "../transports/embedded/index.js";
import { recordTopics } from "./record-command.js";
import { publish } from "./run-recording.js";

describe("recordTopics", () => {
  it("reads back what was published: same payload bytes, keys, event times and properties per topic", async () => {
    const all = readRecording(bundledRecordingPath());
    // A slice plus every payload that is not UTF-8 (recorded back as base64).
    const original = [...all.slice(0, 800), ...all.slice(800).filter((m) => m.encoding === "base64")];
    expect(original.some((m) => m.encoding === "base64")).toBe(true);
    const binding = embeddedBinding();
    try {
      await publish(binding, original);
      const topics = [...new Set(original.map((m) => m.topic))].sort();
      const out = join(mkdtempSync(join(tmpdir(), "consilium-record-")), "r.jsonl.gz");
      expect(await recordTopics(binding, topics, out)).toBe(original.length);
      const recorded = readRecording(out);
      recorded.forEach((m, i) => {
        expect(m.seq).toBe(i);
        if (i > 0) expect(m.publishTime).toBeGreaterThanOrEqual(recorded[i - 1]!.publishTime);
      });
      const strip = (ms: typeof original) =>
        ms.map((m) => ({
          topic: m.topic,
          key: m.key,
          eventTime: m.eventTime,
          data: m.data,
          encoding: m.encoding,
          properties: m.properties,
        }));
      for (const topic of topics) {
        // Per topic, the order is the publish order; payloads (incl. the non-UTF-8 ones) survive.
        expect(strip(recorded.filter((m) => m.topic === topic))).toEqual(
          strip(original.filter((m) => m.topic === topic)),
        );
      }
    } finally {
      await binding.client.close();
    }
  });
});
