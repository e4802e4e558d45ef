import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitCsvLine } from "./csv.js";

/** Writes fields as one CSV line, quoting every field that needs it. */
const join = (fields: readonly string[]) =>
  fields.map((f) => (/[",]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(",");

describe("splitCsvLine", () => {
  it("splits plain, empty and quoted fields", () => {
    expect(splitCsvLine("a,,b")).toEqual(["a", "", "b"]);
    expect(splitCsvLine('MMM,"3M Company, Inc.",Industrials')).toEqual(["MMM", "3M Company, Inc.", "Industrials"]);
    expect(splitCsvLine('"say ""hi""",x')).toEqual(['say "hi"', "x"]);
  });

  it("inverts quoting of arbitrary fields (no newlines)", () => {
    const field = fc.string().filter((s) => !/[\r\n]/.test(s));
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), (fields) => {
        expect(splitCsvLine(join(fields))).toEqual(fields);
      }),
      { numRuns: 1000 },
    );
  });
});
