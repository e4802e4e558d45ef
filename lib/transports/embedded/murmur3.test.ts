import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur3, murmur3Bytes } from "./murmur3.js";

describe("murmur3", () => {
  it("matches the reference MurmurHash3_x86_32 (seed 0) on the algorithm's published vectors", () => {
    expect(murmur3("")).toBe(0);
    expect(murmur3("a")).toBe(0x3c2569b2);
    expect(murmur3("abc")).toBe(0xb3dd93fa);
    expect(murmur3("hello")).toBe(0x248bfa47);
    expect(murmur3("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
  });

  it("hashes the UTF-8 bytes and returns an unsigned 32-bit integer", () => {
    for (const k of ["ü", "日本", "instrument-42", "x".repeat(37)]) {
      const h = murmur3(k);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
      expect(murmur3(k)).toBe(h);
    }
    expect(murmur3("ü")).not.toBe(murmur3("u"));
  });

  it("hashes a string exactly as its UTF-8 bytes (ASCII fast path and general path agree)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.string({ maxLength: 40 }), (u, a) => {
        expect(murmur3(u)).toBe(murmur3Bytes(Buffer.from(u, "utf8")));
        expect(murmur3(a)).toBe(murmur3Bytes(Buffer.from(a, "utf8")));
      }),
      { numRuns: 1000 },
    );
  });
});
