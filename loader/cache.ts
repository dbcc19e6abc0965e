/**
 * The compile cache: instrumented JavaScript keyed by everything that shaped it, so a warm start
 * never loads TypeScript (loading it alone takes ~185 ms on node 20 here; a cache hit reads one
 * file). Entries are written whole or not at all (temp file + rename): parallel processes and
 * workers of one program share the directory.
 *
 * What it trusts (docs/reliability.md): a directory that is the user's own — owned by them, not
 * writable by anyone else, not a symlink — since whatever it holds is run as the program. Each
 * entry carries a digest of its code, checked on every read: an entry cut short (a crash or power
 * loss before the data reached the disk; nothing is fsynced) is compiled again, never run.
 */
import * as crypto from "node:crypto";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Bumped when the loader changes what it emits for the same inputs. */
const LAYOUT = "4";

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
  let text = LAYOUT;
  for (const p of parts) text += `\0${p}`;
  return sha1(`${text}\0\0${source}`);
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: "hex") => string }).hash;

/**
 * SHA-1 in hex, with `crypto.hash` (node ≥ 20.12) where there is one: a warm start takes two
 * per module, and a one-shot digest cost 18–25 µs a module here against 65–102 µs for
 * `createHash` with its updates (node 20.20, the bench's 241 modules, first and second pass).
 * The same bytes, so the same keys.
 */
function sha1(data: string | Buffer): string {
  return oneShot ? oneShot("sha1", data, "hex") : createHash("sha1").update(data).digest("hex");
}

/**
 * Key of one compiled file by its identity on disk (device, inode, size, modification and
 * change times) instead of its content: a warm start then neither reads nor hashes the source.
 * The change time cannot be set back by any tool (`touch -d`, `cp -p`, `tar` set the
 * modification time only), so a rewritten file gets a new key. `undefined` when the file was
 * changed too recently to tell a later rewrite within the filesystem's timestamp granularity
 * from this version (as git treats a "racily clean" file): then the content key is used alone.
 */
export function identityKey(file: string, parts: string[]): string | undefined {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!st) return undefined;
  const now = BigInt(Date.now()) * 1_000_000n;
  if (now - st.ctimeNs < RACY_NS || now - st.mtimeNs < RACY_NS) return undefined;
  return cacheKey(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, ["identity", file, ...parts]);
}

/** How old a file's times must be for its identity key: above any filesystem's timestamp granularity (FAT's is 2 s). */
const RACY_NS = 3_000_000_000n;

/** First line of every entry: `//tsprof-cache <sha1 of the rest> <its byte length>`. */
const HEADER = "//tsprof-cache ";

const digest = (code: string) => sha1(code);

/** Directories checked in this process: path → trusted. */
const checked = new Map<string, boolean>();
let warned = false;

/**
 * Whether `dir` may hold code this process runs: a real directory (not a symlink), owned by this
 * user, writable by no one else. One this user owns but left open to others is closed (0700)
 * first. A directory in the temporary directory is shared ground: another user may have created
 * it first, to plant code; it is then refused, with one line on stderr, and nothing is cached.
 */
export function trustCacheDir(dir: string, create = true): boolean {
  const known = checked.get(dir);
  if (known !== undefined) return known;
  let trusted = false;
  let why = "";
  try {
    if (create && !fs.existsSync(dir)) {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      try {
        fs.mkdirSync(dir, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    const st = fs.lstatSync(dir);
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    if (!st.isDirectory()) why = st.isSymbolicLink() ? "it is a symlink" : "it is not a directory";
    else if (uid !== undefined && st.uid !== uid) why = `it belongs to uid ${st.uid}, not to you (uid ${uid})`;
    else {
      if (uid !== undefined && (st.mode & 0o077) !== 0) fs.chmodSync(dir, st.mode & 0o700);
      trusted = true;
    }
  } catch {
    // Cannot create or inspect it (read-only project): no cache, nothing to warn about.
  }
  if (!trusted && why && !warned) {
    warned = true;
    process.stderr.write(`tsprof: not using the compile cache ${dir}: ${why}; remove it, or set TSPROF_CACHE_DIR to a directory of your own\n`);
  }
  checked.set(dir, trusted);
  return trusted;
}

/** A cache entry's code, or `undefined` when absent, damaged or cut short (then it is compiled again). */
export function cacheGet(dir: string, key: string): string | undefined {
  if (!dir || !trustCacheDir(dir, false)) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, `${key}.js`), "utf8");
  } catch {
    return undefined;
  }
  if (!text.startsWith(HEADER)) return undefined;
  const eol = text.indexOf("\n");
  if (eol < 0) return undefined;
  const [hash, length] = text.slice(HEADER.length, eol).split(" ");
  const code = text.slice(eol + 1);
  if (Number(length) !== Buffer.byteLength(code) || hash !== digest(code)) return undefined;
  return code;
}

/** A binary entry (a V8 code cache): `HEADER digest length\n` then the bytes; undefined when absent or damaged. */
export function cacheGetBytes(dir: string, key: string): Buffer | undefined {
  if (!dir || !trustCacheDir(dir, false)) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(path.join(dir, `${key}.bin`));
  } catch {
    return undefined;
  }
  const eol = data.indexOf(10);
  if (eol < 0) return undefined;
  const head = data.subarray(0, eol).toString("latin1");
  if (!head.startsWith(HEADER)) return undefined;
  const [hash, length] = head.slice(HEADER.length).split(" ");
  const bytes = data.subarray(eol + 1);
  if (Number(length) !== bytes.length || hash !== sha1(bytes)) return undefined;
  return bytes;
}

/** Stores a binary entry, as `cachePut` does. */
export function cachePutBytes(dir: string, key: string, bytes: Buffer): void {
  if (!dir || !trustCacheDir(dir)) return;
  writeEntry(path.join(dir, `${key}.bin`), `${HEADER}${sha1(bytes)} ${bytes.length}\n`, bytes);
}

/** Stores an entry; a cache that cannot be written is not an error (the program runs the same). */
export function cachePut(dir: string, key: string, code: string): void {
  if (!dir || !trustCacheDir(dir)) return;
  writeEntry(path.join(dir, `${key}.js`), `${HEADER}${digest(code)} ${Buffer.byteLength(code)}\n`, code);
}

/**
 * Stores under `key` the entry already stored under `existing` (whose code is `code`): a hard link
 * to it under a temporary name, renamed into place, so a reader sees it whole or not at all and no
 * byte is written twice. Every write replaces a name (temp file + rename), never an entry's bytes,
 * so the two names cannot drift apart. Where links cannot be made (another filesystem, no links,
 * the first entry missing) it is written as `cachePut` does.
 */
export function cacheLink(dir: string, existing: string, key: string, code: string): void {
  if (!dir || !trustCacheDir(dir)) return;
  const file = path.join(dir, `${key}.js`);
  const tmp = tempName(file);
  try {
    fs.linkSync(path.join(dir, `${existing}.js`), tmp);
  } catch {
    cachePut(dir, key, code);
    return;
  }
  try {
    fs.renameSync(tmp, file);
  } catch {
    // Read-only or full: compile again next time.
  }
  // Renaming one name of a file over another name of the same file does nothing (POSIX): where
  // another process linked it first, the temporary name is still there.
  fs.rmSync(tmp, { force: true });
}

/** A fresh name beside `file` for an entry on its way into place. */
const tempName = (file: string) => `${file}.${randomBytes(8).toString("hex")}.tmp`;

function writeEntry(file: string, header: string, body: string | Buffer): void {
  const tmp = tempName(file);
  let fd: number | undefined;
  try {
    // O_EXCL under a random name: nothing planted at the temporary path is followed.
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    fs.writeFileSync(fd, typeof body === "string" ? header + body : Buffer.concat([Buffer.from(header, "latin1"), body]));
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch {
    // Read-only project, full disk: compile again next time.
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
  }
}
