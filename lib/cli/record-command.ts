/** `consilium record`: read topics from the beginning into a recording file. */
import type { RecordedMessage } from "../../examples/recordings/format.js";
import { writeRecording } from "../../examples/recordings/format.js";
import type { PulsarBinding } from "../transports/pulsar-client-like.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function payload(data: Buffer): Pick<RecordedMessage, "data" | "encoding"> {
  try {
    return { data: utf8.decode(data), encoding: "utf8" };
  } catch {
    return { data: data.toString("base64"), encoding: "base64" };
  }
}

/**
 * Read every message of `topics` (from the earliest, until the reader has no next message or
 * `maxPerTopic` is reached) and write them as one recording, ordered by publish time (ties: topic,
 * then position in the topic). Returns the message count.
 */
export async function recordTopics(
  binding: PulsarBinding,
  topics: readonly string[],
  out: string,
  maxPerTopic = Number.POSITIVE_INFINITY,
): Promise<number> {
  const all: (Omit<RecordedMessage, "seq"> & { pos: number })[] = [];
  for (const topic of topics) {
    const reader = await binding.client.createReader({ topic, startMessageId: binding.MessageId.earliest() });
    try {
      let pos = 0;
      while (pos < maxPerTopic && reader.hasNext()) {
        const m = await reader.readNext(5000);
        const eventTime = m.getEventTimestamp();
        all.push({
          topic,
          key: m.getPartitionKey(),
          eventTime: eventTime > 0 ? eventTime : m.getPublishTimestamp(),
          publishTime: m.getPublishTimestamp(),
          ...(Object.keys(m.getProperties()).length > 0 ? { properties: m.getProperties() } : {}),
          ...payload(m.getData()),
          pos: pos++,
        });
      }
    } finally {
      await reader.close();
    }
  }
  all.sort((a, b) => a.publishTime - b.publishTime || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.pos - b.pos));
  writeRecording(
    out,
    all.map(({ pos: _pos, ...m }, seq) => ({ seq, ...m })),
  );
  return all.length;
}
