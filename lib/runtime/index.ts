export { AckTracker, type Inbound } from "./ack-tracker.js";
export { backoffDelay, withBackoff } from "./backoff.js";
export { type DigestInput, outputDigest } from "./digest.js";
export { createReplayBinding, replay } from "./replay-binding.js";
export { run } from "./run.js";
export { EVENT_ID_PROPERTY, TopicWriter } from "./topic-writer.js";
export * from "./types.js";
