/*
 * The user's path, for real: a project with the plugin in tsconfig.json, built by ts-patch's
 * `tspc` on TypeScript 6, run with plain node; then `tsprof view`.
 */
import { spawn } from "node:child_process";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHILD_TIMEOUT_MS, expectedHits, hitsByLine, makeProject, profEnv, ROOT, runNode, tsprof } from "./helpers";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

const TSPC = path.join(ROOT, "node_modules", "ts-patch", "bin", "tspc.js");
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");

function project(files: Record<string, string>, plugin: Record<string, unknown> = {}, compilerOptions: Record<string, unknown> = {}) {
  const dir = makeProject("tsprof-tspc-");
  for (const dep of ["typescript", "ts-patch"]) {
    fs.symlinkSync(path.join(ROOT, "node_modules", dep), path.join(dir, "node_modules", dep), "dir");
  }
  const tsconfig = (plugins: unknown[]) => JSON.stringify({
    compilerOptions: {
      target: "es2022", module: "commonjs", rootDir: "src", outDir: "dist", strict: true, sourceMap: true,
      experimentalDecorators: false, types: [], ...compilerOptions, plugins,
    },
    include: ["src"],
  }, null, 2);
  fs.writeFileSync(path.join(dir, "tsconfig.json"), tsconfig([{ transform: "tsprof/transformer", ...plugin }]));
  fs.writeFileSync(path.join(dir, "tsconfig.plain.json"), tsconfig([]).replace('"outDir": "dist"', '"outDir": "plain"'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const UTIL = `import { profile } from "tsprof";

export class Stats {
  @profile
  mean(xs: number[]) {
    let total = 0; // hits: 2
    for (const x of xs) total += x; // hits: 9
    return total / xs.length; // hits: 2
  }
}
`;
const APP = (importPath: string) => `import { Stats } from "${importPath}";

/** @profile */
export function main() {
  const s = new Stats(); // hits: 1
  const a = s.mean([1, 2, 3]); // hits: 1
  const b = s.mean([4, 5, 6, 7]); // hits: 1
  console.log(a, b); // hits: 1
}
main();
`;

function hitsOfBoth(source: Record<string, string>) {
  const expected: Record<string, Record<number, number>> = {};
  for (const [name, text] of Object.entries(source)) expected[path.basename(name)] = expectedHits(text);
  return expected;
}

function actualByFile(out: string) {
  const profile = mergeProfiles([readLprof(out)]);
  const byFile: Record<string, Record<number, number>> = {};
  for (const fn of profile.functions) {
    const sub = { ...profile, functions: [fn] };
    byFile[path.basename(fn.file)] = { ...byFile[path.basename(fn.file)], ...hitsByLine(sub) };
  }
  return byFile;
}

test("tspc builds a CommonJS project with the plugin; the program is unchanged and writes out.lprof", () => {
  const files = { "src/util.ts": UTIL, "src/app.ts": APP("./util") };
  const dir = project(files);
  const build = runNode([TSPC, "-p", "tsconfig.json"], { cwd: dir });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  const plainBuild = runNode([TSC, "-p", "tsconfig.plain.json"], { cwd: dir });
  assert.equal(plainBuild.status, 0, plainBuild.stdout + plainBuild.stderr);

  const out = path.join(dir, "out.lprof");
  const env = profEnv(out);
  delete env.TSPROF_OUTPUT;
  const plain = runNode(["plain/app.js"], { cwd: dir, env });
  assert.equal(fs.existsSync(out), false, "the plain build must not profile");
  const run = runNode(["dist/app.js"], { cwd: dir, env });
  assert.equal(run.stdout, plain.stdout);
  assert.equal(run.stdout, "2 5.5\n");
  assert.deepEqual(actualByFile(out), hitsOfBoth(files));

  const view = tsprof(["view", "out.lprof"], { cwd: dir });
  assert.equal(view.status, 0, view.stderr);
  assert.match(view.stdout, /^Timer unit: 1e-06 s\n\nTimes are from V8's CPU profiler \(sampling every 100 µs\); hits are exact\.\n\n(?:(?:Only \d+ samples?|No sample) landed in profiled lines: [^\n]*\n\n)?Total time: [\d.e-]+ s\nFile: src\/app\.ts\nFunction: main at line 3\n/);
  assert.match(view.stdout, /File: src\/util\.ts\nFunction: Stats\.mean at line 4\n/);
  assert.match(view.stdout, /\n     4                                             @profile\n/);
});

test("tspc builds an ES module project (nodenext, \"type\": \"module\") with the plugin", () => {
  const files = { "src/util.ts": UTIL, "src/app.ts": APP("./util.js") };
  const dir = project(files, { output: "prof/esm.lprof" }, { module: "nodenext", moduleResolution: "nodenext" });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  fs.mkdirSync(path.join(dir, "prof"));
  const build = runNode([TSPC, "-p", "tsconfig.json"], { cwd: dir });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  assert.match(fs.readFileSync(path.join(dir, "dist", "app.js"), "utf8"), /^import \* as __tsprof(_\d+)? from "tsprof\/runtime";/m);
  const env = profEnv("");
  delete env.TSPROF_OUTPUT;
  const run = runNode(["dist/app.js"], { cwd: dir, env });
  assert.equal(run.stdout, "2 5.5\n", run.stderr);
  assert.deepEqual(actualByFile(path.join(dir, "prof", "esm.lprof")), hitsOfBoth(files));
});

test("a mistyped plugin option fails the build with one clear message", () => {
  const dir = project({ "src/app.ts": APP("./util"), "src/util.ts": UTIL }, { outptu: "x.lprof" });
  const build = runNode([TSPC, "-p", "tsconfig.json"], { cwd: dir });
  assert.notEqual(build.status, 0);
  assert.match(build.stdout + build.stderr, /tsprof: unknown plugin option "outptu" in compilerOptions\.plugins; known options: output/);
});

test("tspc: raw CallSite lines of the instrumented build are the plain build's (a .map file, an inline map, no map); mapped through a map, the same TypeScript lines", () => {
  const files = {
    "src/app.ts": `import { findSourceMap } from "node:module";
function site(): string {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, cs) => cs;
  const c = (new Error().stack as unknown as NodeJS.CallSite[])[1];
  Error.prepareStackTrace = saved;
  const at = findSourceMap(c.getFileName()!)?.findEntry(c.getLineNumber()! - 1, c.getColumnNumber()! - 1) as { originalLine: number } | undefined;
  return [c.getLineNumber(), c.getEnclosingLineNumber(), at && at.originalLine + 1].join(" ");
}
export class Stats {
  /** @profile */
  mean(xs: number[]) {
    let total = 0; // a comment
    for (const x of xs) total += x;
    console.log(site());
    return total / xs.length;
  }
}
/** @profile */
export function main() {
  const s = new Stats();
  console.log(site(),
    s.mean([1, 2, 3]));
}
main();
`,
  };
  for (const maps of [{ sourceMap: true }, { sourceMap: false, inlineSourceMap: true }, { sourceMap: false }]) {
    const dir = project(files, {}, { ...maps, types: ["node"], typeRoots: [path.join(ROOT, "node_modules", "@types")] });
    const build = runNode([TSPC, "-p", "tsconfig.json"], { cwd: dir });
    assert.equal(build.status, 0, build.stdout + build.stderr);
    const plainBuild = runNode([TSC, "-p", "tsconfig.plain.json"], { cwd: dir });
    assert.equal(plainBuild.status, 0, plainBuild.stdout + plainBuild.stderr);
    const env = profEnv(path.join(dir, "out.lprof"));
    const plain = runNode(["--enable-source-maps", "plain/app.js"], { cwd: dir, env });
    const run = runNode(["--enable-source-maps", "dist/app.js"], { cwd: dir, env });
    assert.equal(plain.status, 0, plain.stderr);
    const mapped = maps.sourceMap || "inlineSourceMap" in maps;
    assert.match(plain.stdout, mapped ? /^\d+ \d+ 15\n\d+ \d+ 22 2\n$/ : /^\d+ \d+ \n\d+ \d+  2\n$/, JSON.stringify(maps));
    assert.equal(run.stdout, plain.stdout, JSON.stringify(maps));
    if (!mapped) {
      // The map the layout read is not left behind: the build's files are those of the plain build.
      const js = fs.readFileSync(path.join(dir, "dist", "app.js"), "utf8");
      assert.doesNotMatch(js, /sourceMappingURL/);
      assert.match(js, /__tsprof/);
      assert.deepEqual(fs.readdirSync(path.join(dir, "dist")).sort(), fs.readdirSync(path.join(dir, "plain")).sort());
      assert.equal(js.split("\n").length, fs.readFileSync(path.join(dir, "plain", "app.js"), "utf8").split("\n").length);
    }
  }
});

test("tspc without a source map, in build mode (incremental, declarations) and in watch mode: raw lines and toString() are the plain build's, no map is left, the build info is as tsc writes it", async () => {
  const source = (extra: string) => `/** @profile */
export function f(n: number) {
  let s = 0;${extra}
  for (let i = 0; i < n; i++) s += i;
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, cs) => cs;
  const c = (new Error().stack as unknown as NodeJS.CallSite[])[0];
  Error.prepareStackTrace = saved;
  return s + " " + c.getLineNumber() + ":" + c.getColumnNumber();
}
console.log(f(3));
console.log(f.toString());
`;
  const options = { sourceMap: false, incremental: true, declaration: true, types: ["node"], typeRoots: [path.join(ROOT, "node_modules", "@types")] };
  const dir = project({ "src/app.ts": source("") }, {}, options);
  fs.writeFileSync(path.join(dir, "tsconfig.plain.json"), fs.readFileSync(path.join(dir, "tsconfig.plain.json"), "utf8")
    .replace('"incremental": true', '"incremental": true, "tsBuildInfoFile": "plain.tsbuildinfo"'));
  const env = profEnv(path.join(dir, "out.lprof"));
  const both = () => {
    const plainBuild = runNode([TSC, "-p", "tsconfig.plain.json"], { cwd: dir });
    assert.equal(plainBuild.status, 0, plainBuild.stdout + plainBuild.stderr);
    const plain = runNode(["plain/app.js"], { cwd: dir, env });
    const run = runNode(["dist/app.js"], { cwd: dir, env });
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /^3 \d+:\d+\nfunction f\(n\) \{\n[^]*\n\}\n$/);
    assert.equal(run.stdout, plain.stdout);
    const js = fs.readFileSync(path.join(dir, "dist", "app.js"), "utf8");
    assert.match(js, /__tsprof/);
    assert.doesNotMatch(js, /sourceMappingURL/);
    assert.deepEqual(fs.readdirSync(path.join(dir, "dist")).sort(), ["app.d.ts", "app.js"]);
    return run.stdout;
  };
  const build = runNode([TSPC, "-b", "tsconfig.json"], { cwd: dir });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  const first = both();
  const info = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.tsbuildinfo"), "utf8")) as { options?: Record<string, unknown> };
  assert.equal(info.options?.inlineSourceMap, undefined);
  // Up to date: nothing is built again.
  const again = runNode([TSPC, "-b", "tsconfig.json", "--verbose"], { cwd: dir });
  assert.match(again.stdout, /is up to date/);

  // Watch mode: an edit that moves the lines below it is built again, laid out again.
  const watch = spawn(process.execPath, [TSPC, "-w", "-p", "tsconfig.json", "--preserveWatchOutput"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let waiting: (() => void) | undefined;
  watch.stdout!.on("data", (d: Buffer) => { out += d.toString(); waiting?.(); });
  // A guard against a hang, not a speed check.
  const builds = (n: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tspc -w: no build ${n} in 5 minutes:\n${out}`)), CHILD_TIMEOUT_MS);
    const ended = () => reject(new Error(`tspc -w ended:\n${out}`));
    waiting = () => {
      if ((out.match(/Found 0 errors/g) ?? []).length < n) return;
      clearTimeout(timer);
      watch.off("exit", ended);
      resolve();
    };
    watch.once("exit", ended);
    waiting();
  });
  try {
    await builds(1);
    fs.writeFileSync(path.join(dir, "src", "app.ts"), source("\n  s += 10;\n  s -= 10;"));
    await builds(2);
  } finally {
    watch.kill();
  }
  const second = both();
  assert.notEqual(second, first, "the edit moved the call's line");
});
