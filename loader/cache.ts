/**
 * The compile cache: instrumented JavaScript keyed by everything that shaped it, so a warm start
 * never loads TypeScript (loading it alone takes ~185 ms on node 20 here; a cache hit reads one
 * file). Entries are written whole or not at all (temp file + rename): parallel processes and
 * workers of one program share the directory.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Bumped when the loader changes what it emits for the same inputs. */
const LAYOUT = "1";

/**
 * The cache directory for a project: `node_modules/.cache/tsprof` beside the nearest
 * `node_modules` above `dir` (where babel, eslint and others keep theirs), else one per user in
 * the temporary directory.
 */
export function defaultCacheDir(dir: string): string {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "node_modules"))) return path.join(d, "node_modules", ".cache", "tsprof");
    if (path.dirname(d) === d) break;
  }
  const user = typeof process.getuid === "function" ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `tsprof-cache-${user}`);
}

/** Key of one compiled file: content + path + everything in `parts` (options, versions, format). */
export function cacheKey(source: string, parts: string[]): string {
  const h = createHash("sha1");
  h.update(LAYOUT);
  for (const p of parts) h.update(`\0${p}`);
  h.update("\0\0");
  h.update(source);
  return h.digest("hex");
}

export function cacheGet(dir: string, key: string): string | undefined {
  if (!dir) return undefined;
  try {
    return fs.readFileSync(path.join(dir, `${key}.js`), "utf8");
  } catch {
    return undefined;
  }
}

let dirReady = false;

/** Stores an entry; a cache that cannot be written is not an error (the program runs the same). */
export function cachePut(dir: string, key: string, code: string): void {
  if (!dir) return;
  try {
    if (!dirReady) {
      fs.mkdirSync(dir, { recursive: true });
      dirReady = true;
    }
    const file = path.join(dir, `${key}.js`);
    const tmp = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  } catch {
    // Read-only project, full disk: compile again next time.
  }
}
