import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventJsonSchemas } from "../events/registry.js";

/** Write one JSON Schema file per event (`<EventName>.schema.json`) into `outDir`; returns the paths. */
export function writeEventSchemas(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, schema] of Object.entries(eventJsonSchemas()).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(outDir, `${name}.schema.json`);
    writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
    written.push(path);
  }
  return written;
}
