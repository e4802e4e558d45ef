/**
 * The recording format: JSON Lines (gzip-compressed), one message per line, in publish order.
 *
 * ```json
 * {"seq":0,"topic":"persistent://…/market-data","key":"AAPL","eventTime":1506978000000,
 *  "publishTime":1506978000012,"data":"{\"eventType\":…}","encoding":"utf8"}
 * ```
 * `data` is the message payload: the UTF-8 text itself (`encoding: "utf8"`) or, for payloads that
 * are not valid UTF-8, its base64 (`encoding: "base64"`). `properties` are Pulsar message
 * properties. `publishTime` is the virtual time the producer sent it (non-decreasing in `seq`);
 * `eventTime` is the event's own time (late events have `eventTime` far behind `publishTime`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";

export const RecordedMessage = z.object({
  seq: z.number().int().nonnegative(),
  topic: z.string().min(1),
  key: z.string(),
  eventTime: z.number().int().nonnegative(),
  publishTime: z.number().int().nonnegative(),
  properties: z.record(z.string(), z.string()).optional(),
  data: z.string(),
  encoding: z.enum(["utf8", "base64"]),
});
export type RecordedMessage = z.infer<typeof RecordedMessage>;

/** The payload bytes of a recorded message. */
export function messageBytes(m: RecordedMessage): Buffer {
  return m.encoding === "base64" ? Buffer.from(m.data, "base64") : Buffer.from(m.data, "utf8");
}

/** Serialize messages to gzip-compressed JSON Lines (deterministic: fixed key order, fixed gzip level). */
export function encodeRecording(messages: readonly RecordedMessage[]): Buffer {
  const lines = messages.map((m) =>
    JSON.stringify({
      seq: m.seq,
      topic: m.topic,
      key: m.key,
      eventTime: m.eventTime,
      publishTime: m.publishTime,
      ...(m.properties !== undefined ? { properties: m.properties } : {}),
      data: m.data,
      encoding: m.encoding,
    }),
  );
  return gzipSync(Buffer.from(`${lines.join("\n")}\n`, "utf8"), { level: 9 });
}

/** Parse a recording (gzip-compressed or plain JSON Lines); throws with the line number on a bad line. */
export function decodeRecording(bytes: Uint8Array): RecordedMessage[] {
  const isGzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = (isGzip ? gunzipSync(bytes) : Buffer.from(bytes)).toString("utf8");
  const out: RecordedMessage[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    const parsed = RecordedMessage.safeParse(JSON.parse(line));
    if (!parsed.success) {
      throw new Error(`recording line ${lineNo}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    }
    out.push(parsed.data);
  }
  return out;
}

export function readRecording(path: string): RecordedMessage[] {
  return decodeRecording(readFileSync(path));
}

export function writeRecording(path: string, messages: readonly RecordedMessage[]): void {
  writeFileSync(path, encodeRecording(messages));
}

const here = dirname(fileURLToPath(import.meta.url));

/** Path of the recording bundled with consilium (works from the sources and from `dist/`). */
export function bundledRecordingPath(): string {
  return resolve(projectRoot(), "examples/recordings/portfolio-coordination.jsonl.gz");
}

/** The package root: the folder above `examples/` (also when running from `dist/examples/…` or `.bench-build/examples/…`). */
export function projectRoot(): string {
  const up = resolve(here, "../..");
  // Compiled copies live one folder down: dist/ (the package build) and .bench-build/ (benchmarks).
  return /[\\/](dist|\.bench-build)$/.test(up) ? resolve(up, "..") : up;
}
