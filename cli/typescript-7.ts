import * as fs from "node:fs";

/**
 * When the project in `dir` has TypeScript 7 or later installed, why no plugin build wrote a
 * profile, and what works instead; otherwise undefined. Neither of its two builds says so itself:
 * its tsc ignores `compilerOptions.plugins` without a word, and ts-patch 4's tspc dies in its own
 * start-up (its config.js reads `NewLineKind.LineFeed` from `require("typescript")`, which on
 * TypeScript 7 exports only the version) before it reads tsconfig.json or loads any plugin.
 */
export function typescript7Hint(dir = process.cwd()): string | undefined {
  let version: string;
  try {
    const file = require.resolve("typescript/package.json", { paths: [dir] });
    version = (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    if (!(Number(version.split(".")[0]) >= 7)) return undefined;
  } catch {
    return undefined;
  }
  return `TypeScript ${version} is installed here, and no plugin build profiles with it: its tsc ignores compilerOptions.plugins, `
    + "and ts-patch's tspc fails on it before loading any plugin (TypeError: Cannot read properties of undefined (reading 'LineFeed')); "
    + "run the program with `npx tsprof run app.ts`, add a bundler plugin (tsprof/vite, tsprof/esbuild, tsprof/rollup, tsprof/rolldown, tsprof/webpack, tsprof/rspack), "
    + "or build with tspc on TypeScript 6 (npm i -D typescript@6)";
}
