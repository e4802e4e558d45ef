import { createHash } from "node:crypto";
import type { z } from "zod";
import { SCHEMA_VERSION } from "./common.js";
import type { DeadLetterEvent, DeadLetterReason } from "./dead-letter.js";
import { jsonBytesPath } from "./json-bytes-path.js";
import { jsonFastPath, UNDECIDED } from "./json-fast-path.js";

export interface DecodeIssue {
  readonly path: string;
  readonly message: string;
}

/** Why a message could not be decoded; never thrown, always returned. */
export interface DecodeFailure {
  readonly ok: false;
  readonly reason: Extract<DeadLetterReason, "undecodable" | "invalid-json" | "schema-violation">;
  readonly message: string;
  readonly issues: readonly DecodeIssue[];
}

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | DecodeFailure;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * bytes -> UTF-8 text -> JSON -> schema. Returns a typed failure instead of throwing.
 *
 * First the schema's byte decoder (`json-bytes-path.ts`) tries the common shape — keys in
 * schema order, ASCII, no escapes, plain numbers — and returns zod's exact output in one pass.
 * Anything it does not accept (including every invalid message) takes the general path:
 * TextDecoder (fatal) → JSON.parse → the compiled value fast path → zod, so results and messages
 * (undecodable, JSON.parse's message, zod's issues) are exactly those of TextDecoder + JSON.parse
 * + `schema.safeParse`.
 */
export function decodeEvent<S extends z.ZodType>(schema: S, bytes: Uint8Array): DecodeResult<z.infer<S>> {
  const direct = jsonBytesPath(schema)(bytes);
  if (direct !== UNDECIDED) return { ok: true, value: direct as z.infer<S> };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "undecodable", message: "message is not valid UTF-8", issues: [] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: "invalid-json", message: (e as Error).message, issues: [] };
  }
  const fast = jsonFastPath(schema)(json);
  if (fast !== UNDECIDED) return { ok: true, value: fast as z.infer<S> };
  return validateEvent(schema, json);
}

/** Validate an already-parsed value against a schema. */
export function validateEvent<S extends z.ZodType>(schema: S, json: unknown): DecodeResult<z.infer<S>> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const first = issues[0];
  return {
    ok: false,
    reason: "schema-violation",
    message: first ? `${first.path || "(root)"}: ${first.message}` : "schema violation",
    issues,
  };
}

/** Serialize an event to the bytes consilium sends (UTF-8 JSON). */
export function encodeEvent(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

export interface DeadLetterInput {
  readonly bytes: Uint8Array;
  readonly sourceTopic: string;
  readonly reason: DeadLetterReason;
  readonly message: string;
  readonly issues?: readonly DecodeIssue[];
  /** Event time to stamp on the dead letter (the message's event time, or the stream's watermark). */
  readonly eventTime: number;
  readonly messageId?: string;
  readonly redeliveryCount?: number;
}

/** Build a `DeadLetterEvent`; its id is a hash of the topic and the original bytes (replay-stable). */
export function toDeadLetter(input: DeadLetterInput): DeadLetterEvent {
  const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  const eventId = `dl-${createHash("sha256").update(input.sourceTopic).update("\0").update(bytes).digest("hex").slice(0, 32)}`;
  return {
    eventType: "DeadLetter",
    eventId,
    eventTime: input.eventTime,
    schemaVersion: SCHEMA_VERSION,
    sourceTopic: input.sourceTopic,
    reason: input.reason,
    message: input.message,
    issues: (input.issues ?? []).map((i) => ({ path: i.path, message: i.message })),
    originalBase64: bytes.toString("base64"),
    ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
    ...(input.redeliveryCount !== undefined ? { redeliveryCount: input.redeliveryCount } : {}),
  };
}
