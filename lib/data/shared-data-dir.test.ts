import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sharedDataDir } from "./shared-data-dir.js";

describe("sharedDataDir", () => {
  const made: string[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), "consilium-data-"));
    made.push(d);
    return d;
  };
  afterEach(() => {
    delete process.env.CONSILIUM_SHARED_DATA;
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("is ../shared/data beside the checkout when it is there", () => {
    const work = dir();
    mkdirSync(path.join(work, "shared/data"), { recursive: true });
    mkdirSync(path.join(work, "main"));
    expect(sharedDataDir(path.join(work, "main"))).toBe(path.join(work, "shared/data"));
  });

  it("for a clone of a local checkout, is the data beside the checkout it was cloned from", () => {
    const work = dir();
    mkdirSync(path.join(work, "shared/data"), { recursive: true });
    mkdirSync(path.join(work, "main"));
    const clone = path.join(dir(), "clone");
    mkdirSync(path.join(clone, ".git"), { recursive: true });
    writeFileSync(
      path.join(clone, ".git/config"),
      `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${path.join(work, "main")}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
    );
    expect(sharedDataDir(clone)).toBe(path.join(work, "shared/data"));
  });

  it("is CONSILIUM_SHARED_DATA when set, and the default beside the checkout when nothing is found", () => {
    const lone = path.join(dir(), "lone");
    mkdirSync(lone);
    expect(sharedDataDir(lone)).toBe(path.resolve(lone, "../shared/data"));
    process.env.CONSILIUM_SHARED_DATA = "/elsewhere/data";
    expect(sharedDataDir(lone)).toBe("/elsewhere/data");
  });
});
