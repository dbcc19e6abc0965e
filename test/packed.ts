// Projects that install tsprof as a user does: from the tarball `npm pack` makes, beside real
// packages from the npm registry. For end-to-end tests of integrations (test runners, bundlers,
// TypeScript 7) that must see exactly what the published package ships.
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./helpers";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** Hash of what the tarball would hold: package.json and every built file. */
function buildHash(): string {
  const hash = crypto.createHash("sha256");
  hash.update(fs.readFileSync(path.join(ROOT, "package.json")));
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(`${file}\0${fs.statSync(file).mtimeMs}\0`);
    }
  };
  walk(path.join(ROOT, "dist"));
  return hash.digest("hex").slice(0, 16);
}

let cached: string | undefined;

/**
 * The path of tsprof's tarball for the current build, packed once and shared by every test file
 * (packing is atomic: parallel test files never see half a tarball).
 */
export function tarball(): string {
  if (cached) return cached;
  const dir = path.join(os.tmpdir(), `tsprof-pack-${buildHash()}`);
  const file = path.join(dir, "tsprof.tgz");
  if (!fs.existsSync(file)) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-packing-"));
    // --ignore-scripts: `prepare` would rebuild dist/ under the tests that are reading it.
    const out = execFileSync(NPM, ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: ROOT, encoding: "utf8" });
    fs.mkdirSync(dir, { recursive: true });
    try {
      fs.renameSync(path.join(work, out.trim().split("\n").pop()!), file);
    } catch (error) {
      if (!fs.existsSync(file)) throw error;
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
  return (cached = file);
}

export interface PackedProjectOptions {
  /** Registry packages to install beside tsprof, name → exact version. */
  dependencies?: Record<string, string>;
  /** Files to write, relative path → content. */
  files?: Record<string, string>;
  /** Fields merged into package.json (`type`, `scripts`, …). */
  packageJson?: Record<string, unknown>;
  prefix?: string;
}

/** A fresh temp project with tsprof installed from its tarball and `dependencies` from npm. */
export function packedProject(options: PackedProjectOptions = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix ?? "tsprof-e2e-"));
  const pkg = {
    name: "e2e-project",
    version: "1.0.0",
    private: true,
    ...options.packageJson,
    devDependencies: { tsprof: `file:${tarball()}`, ...options.dependencies },
  };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  execFileSync(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
  });
  return dir;
}
