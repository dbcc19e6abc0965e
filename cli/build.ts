import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fail, helpOption, type CommandSpec } from "./args";
import { typescript7Hint } from "./typescript-7";

export const buildSpec: CommandSpec = {
  usage: "tsprof build [tsc options…]",
  summary: "Build with ts-patch's tspc (the compiler plugin), once the project's TypeScript is one the plugin loads in.",
  options: [helpOption()],
  epilog: [
    "Every argument goes to tspc as given: tsprof build -p tsconfig.build.json.",
    "On TypeScript 7, where tspc dies inside ts-patch before any plugin loads, it stops with one",
    "line naming what works instead (tsprof run, a bundler plugin, or TypeScript 6).",
  ].join("\n"),
};

/** Where `name` resolves from the working directory, as the project's own tools find it; undefined when it is not installed. */
function resolveHere(name: string): string | undefined {
  try {
    return require.resolve(name, { paths: [process.cwd()] });
  } catch {
    return undefined;
  }
}

export function buildCommand(argv: string[]): number {
  if (!resolveHere("typescript/package.json")) return fail("build", "TypeScript is not installed here; install it with ts-patch: npm i -D typescript@6 ts-patch", 2);
  const ts7 = typescript7Hint();
  if (ts7) return fail("build", ts7, 2);
  // Its bin, as npx would run it (the package's exports do not list bin/).
  const manifest = resolveHere("ts-patch/package.json");
  const bin = manifest && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { bin?: Record<string, string> }).bin?.tspc;
  const tspc = manifest && bin ? path.join(path.dirname(manifest), bin) : undefined;
  if (!tspc) return fail("build", "ts-patch is not installed here, and its tspc is what builds with the plugin; install it: npm i -D ts-patch", 2);
  const r = spawnSync(process.execPath, [tspc, ...argv], { stdio: "inherit" });
  if (r.error) return fail("build", `could not start ${tspc}: ${r.error.message}`, 2);
  return r.status ?? 1;
}
