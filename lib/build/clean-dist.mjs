// Build helper: without flags empties dist/; with --tests removes compiled unit tests from it.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../../dist/", import.meta.url).pathname;
if (!process.argv.includes("--tests")) {
  rmSync(dist, { recursive: true, force: true });
} else {
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.test\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(name)) rmSync(path);
    }
  };
  walk(dist);
}
