import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortStrings } from "./sort-strings.js";

describe("sortStrings", () => {
  it("gives the built-in sort's order, short and long arrays, any UTF-16 strings, repeats included", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: "binary" })), { maxLength: 40 }), (xs) => {
        const expected = [...xs].sort();
        const copy = [...xs];
        expect(sortStrings(copy)).toBe(copy); // in place
        expect(copy).toEqual(expected);
      }),
    );
  });
});
