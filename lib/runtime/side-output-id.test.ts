import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sideOutputEventId } from "./side-output-id.js";

describe("sideOutputEventId", () => {
  it("lists a few ids as they are", () => {
    expect(sideOutputEventId("dedup", "duplicate", ["m-1"])).toBe("dedup/duplicate/m-1");
    expect(sideOutputEventId("s", "late", ["a", "b"])).toBe("s/late/a,b");
  });

  it("names many ids by the sha256 of their unit-separated list, so the id stays short", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `bench-${i}`);
    const id = sideOutputEventId("coordinate", "no-decision", ids);
    const hex = createHash("sha256").update(ids.join("\u001f")).digest("hex").slice(0, 32);
    expect(id).toBe(`coordinate/no-decision/sha256:${hex}`);
    expect(id.length).toBeLessThan(80);
  });

  it("is a function of step, tag and ids: equal inputs give equal ids, different id lists different ids", () => {
    const idList = fc.array(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 0, maxLength: 20 });
    fc.assert(
      fc.property(idList, idList, (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        const ia = sideOutputEventId("s", "t", a);
        expect(ia).toBe(sideOutputEventId("s", "t", [...a]));
        // a listed id with a comma can collide with two ids (as before); digests cannot here
        if (!same && a.length > 8 && b.length > 8) expect(ia).not.toBe(sideOutputEventId("s", "t", b));
      }),
    );
  });
});
