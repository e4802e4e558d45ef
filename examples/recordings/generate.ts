/**
 * Regenerates the bundled recording from `../shared/data` (run with `npm run recording:generate`).
 * Writes `portfolio-coordination.jsonl.gz` and `portfolio-coordination.summary.json` beside this
 * file. Deterministic: running it twice gives identical files.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildRecording, defaultRecordingOptions } from "./build.js";
import { encodeRecording, projectRoot } from "./format.js";
import { sharedDataDir } from "../../lib/data/shared-data-dir.js";

const root = projectRoot();
const dataDir = process.argv[2] ?? sharedDataDir(root);
const { messages, summary } = buildRecording({ ...defaultRecordingOptions, dataDir });
const bytes = encodeRecording(messages);
const out = resolve(root, "examples/recordings/portfolio-coordination.jsonl.gz");
writeFileSync(out, bytes);
writeFileSync(
  resolve(root, "examples/recordings/portfolio-coordination.summary.json"),
  `${JSON.stringify({ ...summary, compressedBytes: bytes.length }, null, 2)}\n`,
);
console.log(`wrote ${out}: ${messages.length} messages, ${(bytes.length / 1024).toFixed(0)} KiB`);
