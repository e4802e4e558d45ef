import { z } from "zod";
import { eventBase } from "./common.js";

export const DeadLetterReason = z.enum([
  "undecodable",
  "invalid-json",
  "schema-violation",
  "operator-failure",
  "max-redeliveries",
]);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** A message consilium could not process, with the reason and its original bytes. */
export const DeadLetterEvent = z.object({
  eventType: z.literal("DeadLetter"),
  ...eventBase,
  sourceTopic: z.string(),
  reason: DeadLetterReason,
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  /** The original message bytes, base64. */
  originalBase64: z.string(),
  messageId: z.string().optional(),
  redeliveryCount: z.number().int().nonnegative().optional(),
});
export type DeadLetterEvent = z.infer<typeof DeadLetterEvent>;
