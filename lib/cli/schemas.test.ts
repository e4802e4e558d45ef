import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventSchemas } from "../events/registry.js";
import { writeEventSchemas } from "./schemas.js";

describe("writeEventSchemas", () => {
  it("writes one JSON Schema per event, named after it", () => {
    const dir = mkdtempSync(join(tmpdir(), "consilium-schemas-"));
    const paths = writeEventSchemas(dir);
    expect(paths.map((p) => basename(p)).sort()).toEqual(
      Object.keys(eventSchemas)
        .map((n) => `${n}.schema.json`)
        .sort(),
    );
    const signal = JSON.parse(readFileSync(join(dir, "TradingSignalEvent.schema.json"), "utf8"));
    expect(signal.title).toBe("TradingSignalEvent");
    expect(signal.type).toBe("object");
    expect(signal.required).toEqual(expect.arrayContaining(["eventId", "portfolioId", "instrumentId", "confidence"]));
    expect(signal.properties.direction.enum).toEqual(["long", "short", "flat"]);
  });
});
