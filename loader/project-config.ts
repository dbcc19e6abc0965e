// The loader configuration each command that runs a program (`run`, `prof`, `mprof run`) hands
// to its process: built in one place, so every one of them honours the project's tsconfig and
// caches compiled code only in a directory it can trust (cache.ts).
import * as path from "node:path";
import { defaultCacheDir, trustCacheDir } from "./cache";
import { fingerprint, type LoaderConfig } from "./config";
import { projectSettings } from "./tsconfig";

/**
 * The configuration for a program whose project is around `scriptDir`, with `extra` on top.
 * Throws (one line naming the tsconfig.json) when an `extends` names what is not there.
 */
export function projectLoaderConfig(scriptDir: string, extra: Partial<LoaderConfig> = {}): LoaderConfig {
  const project = projectSettings(scriptDir);
  // Checked before the program starts: Node's own code cache lives inside it too.
  const cacheDir = process.env.TSPROF_CACHE_DIR ?? defaultCacheDir(scriptDir);
  return {
    runtime: path.join(__dirname, "..", "runtime", "index.js"),
    all: false,
    patterns: [],
    cwd: process.cwd(),
    cacheDir: cacheDir && trustCacheDir(cacheDir) ? cacheDir : "",
    compilerOptions: project.options,
    ...(project.paths && { paths: project.paths }),
    fingerprint: fingerprint(),
    ...extra,
  };
}
