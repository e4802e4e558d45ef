import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * Where the real market data (`shared/data`: S&P 500 closes, volumes, metadata) is for a checkout
 * at `projectRoot`: `CONSILIUM_SHARED_DATA` when set; else `../shared/data` beside the checkout, the
 * workplace's layout; else, for a clone of a local checkout (CI clones the working checkout into a
 * fresh directory), `../shared/data` beside the checkout it was cloned from (its `origin`). When
 * none exists, the first default, so that a missing-file error names where the data belongs.
 */
export function sharedDataDir(projectRoot: string): string {
  const fromEnv = process.env.CONSILIUM_SHARED_DATA;
  if (fromEnv !== undefined && fromEnv !== "") return path.resolve(fromEnv);
  const beside = path.resolve(projectRoot, "../shared/data");
  if (existsSync(beside)) return beside;
  const origin = localOrigin(projectRoot);
  if (origin !== undefined) {
    const besideOrigin = path.resolve(origin, "../shared/data");
    if (existsSync(besideOrigin)) return besideOrigin;
  }
  return beside;
}

/** The `origin` remote of the git checkout at `root`, when it is a directory on this machine. */
function localOrigin(root: string): string | undefined {
  let config: string;
  try {
    config = readFileSync(path.join(root, ".git", "config"), "utf8");
  } catch {
    return undefined;
  }
  const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1];
  const url = section && /^\s*url\s*=\s*(.+?)\s*$/m.exec(section)?.[1];
  if (!url) return undefined;
  const dir = url.startsWith("file://") ? url.slice("file://".length) : url;
  return path.isAbsolute(dir) && existsSync(dir) ? dir : undefined;
}
