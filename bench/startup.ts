/*
 * `npm run bench:startup`: how long `tsprof run` takes to start a large program, against plain
 * node running the same program precompiled to JavaScript.
 *
 * Generates a project of MODULES TypeScript modules (default 240, plus main.ts; every module is
 * loaded, one in 20 has an @profile function), as CommonJS and as ES modules (also ES modules
 * without enums, the files type stripping can take: by `module.stripTypeScriptTypes`, or amaro
 * where Node has none), and times, round by round, in an order that rotates every round:
 *   plain  node plain/main.js                    (tsc output, no tsprof)
 *   cold   tsprof run main.ts, empty compile cache (nothing compiled yet, nothing of V8's cached)
 *   warm   tsprof run main.ts, cache filled by earlier runs
 *   edit   the same, with one module edited since (TypeScript loads to compile it)
 * Each round's ratios are taken against that round's plain run, so a machine that slows down
 * or speeds up between rounds weighs on both sides alike; the figures are medians of those
 * per-round ratios over RUNS rounds (default 9), with their spread (lowest, quartiles, highest).
 *
 * BASELINE=DIR (another tsprof checkout, built) times that build's cold and warm runs in the
 * same rounds too, and reports this build against it: the median of per-round ratios
 * (this / baseline), which is what a before/after comparison on a busy machine can trust.
 * STARTUP_SHORT=1 (what `npm run bench` runs): warm start-up only, 5 rounds.
 * Start-up is spawn to the program's first output (every module loaded and run); total is to
 * the end of the command, which also writes the profile. Prints tables and writes
 * bench/results/startup.json (startup-short.json when short), and the same as
 * startup-node<major>.json (startup-short-node<major>.json). KEEP=1 keeps the projects.
 * Another node: run this file with it (`/path/to/node22 dist/bench/startup.js`).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "tsprof.js");
const MODULES = Number(process.env.MODULES ?? 240);
const SHORT = process.env.STARTUP_SHORT === "1";
const RUNS = Number(process.env.RUNS ?? (SHORT ? 5 : 9));
const BASELINE = process.env.BASELINE ? path.resolve(process.env.BASELINE) : undefined;
/** The targets: warm start-up ≤ 1.3x plain node, cold ≤ 5x. */
const WARM_TARGET = 1.3;
const COLD_TARGET = 5;

const nodeStrips = typeof (require("node:module") as { stripTypeScriptTypes?: unknown }).stripTypeScriptTypes === "function";
/** Node's stripper, or amaro (the same, from npm) where Node has none: tsprof strips with either. */
const canStrip = nodeStrips || (() => {
  try {
    return require.resolve("amaro") !== "";
  } catch {
    return false;
  }
})();

type Format = "commonjs" | "module";

interface Variant { name: string; format: Format; enums: boolean }
const VARIANTS: Variant[] = [
  { name: "commonjs", format: "commonjs", enums: true },
  { name: "esm", format: "module", enums: true },
  ...(canStrip && !SHORT ? [{ name: "esm, no enums", format: "module" as const, enums: false }] : []),
];

/** One generated module: types, a class, loops; module i imports 2i+1 and 2i+2, so all are loaded. */
function moduleSource(i: number, format: Format, enums: boolean): string {
  const kids = [2 * i + 1, 2 * i + 2].filter((k) => k < MODULES);
  const name = (k: number) => `mod${String(k).padStart(3, "0")}`;
  const imports = kids.map((k) => `import { run as run${k} } from "./${name(k)}${format === "module" ? ".js" : ""}";`);
  const mark = i % 20 === 0 ? "/** @profile */\n" : "";
  return `${imports.join("\n")}
${enums ? `export enum Kind${i} { Small = ${i}, Large = ${i * 2} }` : `export const Kind${i} = { Small: ${i}, Large: ${i * 2} } as const;\nexport type Kind${i} = (typeof Kind${i})[keyof typeof Kind${i}];`}

export interface Item${i} {
  id: number;
  label: string;
  kind: Kind${i};
  tags?: readonly string[];
}

export class Store${i}<T extends Item${i}> {
  private readonly items = new Map<number, T>();
  add(item: T): this {
    this.items.set(item.id, item);
    return this;
  }
  get size(): number {
    return this.items.size;
  }
  find(predicate: (item: T) => boolean): T | undefined {
    for (const item of this.items.values()) if (predicate(item)) return item;
    return undefined;
  }
}

function label${i}(n: number): string {
  const parts: string[] = [];
  for (let k = 0; k < n % 5; k++) parts.push(String.fromCharCode(97 + ((n + k) % 26)));
  return parts.join("") || "x";
}

${mark}export function score${i}(items: readonly Item${i}[]): number {
  let total = 0;
  for (const item of items) {
    total += item.kind === Kind${i}.Large ? item.id * 2 : item.id;
    if (item.tags?.length) total += item.tags.length;
  }
  return total;
}

export function run(n: number): number {
  const store = new Store${i}<Item${i}>();
  for (let k = 0; k < n; k++) store.add({ id: k, label: label${i}(k), kind: k % 2 ? Kind${i}.Large : Kind${i}.Small });
  const found = store.find((item) => item.id === n - 1);
  return score${i}([...Array(store.size).keys()].map((id) => ({ id, label: "", kind: Kind${i}.Small })))
    + (found ? 1 : 0)${kids.map((k) => ` + run${k}(n)`).join("")};
}
`;
}

function generate(dir: string, format: Format, enums: boolean): void {
  fs.mkdirSync(path.join(dir, "plain"), { recursive: true });
  const pkg = JSON.stringify({ private: true, ...(format === "module" ? { type: "module" } : {}) });
  fs.writeFileSync(path.join(dir, "package.json"), pkg);
  fs.writeFileSync(path.join(dir, "plain", "package.json"), pkg);
  // As a real project has: tsprof run reads it (get-tsconfig, loaded only when there is one).
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "es2022", strict: true, module: format === "module" ? "nodenext" : "commonjs" } }, null, 2));
  const files: Record<string, string> = { "main.ts": `import { run } from "./mod000${format === "module" ? ".js" : ""}";\nconsole.log(run(3));\n` };
  for (let i = 0; i < MODULES; i++) files[`mod${String(i).padStart(3, "0")}.ts`] = moduleSource(i, format, enums);
  const module = format === "module" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
    const js = ts.transpileModule(text, { fileName: name, compilerOptions: { target: ts.ScriptTarget.ES2022, module } }).outputText;
    fs.writeFileSync(path.join(dir, "plain", name.replace(/\.ts$/, ".js")), js);
  }
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ["NODE_OPTIONS", "NODE_COMPILE_CACHE", "TSPROF", "TSPROF_OUTPUT", "TSPROF_SESSION", "TSPROF_LOADER", "TSPROF_INTERVAL"]) delete e[k];
  return e;
};

/** Wall time of one command in ms; fails loudly if the command does. */
function time(args: string[], cwd: string, extra: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, env: env(extra), encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed in ${cwd}: ${r.stderr}`);
  return ms;
}

interface Timing { startup: number; total: number }

/**
 * Start-up: from spawn to the program's first output (it prints once every module is loaded
 * and has run); total: to the end of the command, which includes writing the profile at exit.
 */
function timeRun(args: string[], cwd: string, extra: Record<string, string> = {}): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const child = spawn(process.execPath, args, { cwd, env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
    let startup = 0;
    let stderr = "";
    child.stdout.once("data", () => (startup = since()));
    child.stdout.resume();
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("exit", (code) => (code === 0 ? resolve({ startup, total: since() }) : reject(new Error(`${args.join(" ")} failed in ${cwd}: ${stderr}`))));
  });
}

const quantile = (xs: number[], q: number) => {
  const s = xs.slice().sort((a, b) => a - b);
  const at = (s.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
};
const median = (xs: number[]) => quantile(xs, 0.5);

/** A ratio's median over rounds and its spread: lowest, first quartile, third quartile, highest. */
interface Spread { median: number; min: number; q1: number; q3: number; max: number }
const spread = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), max: Math.max(...xs) });

/** What is timed each round: this build's plain/cold/warm, and the baseline's cold/warm. */
type Kind = "plain" | "cold" | "warm" | "edit" | "baseCold" | "baseWarm" | "baseEdit";

interface Row {
  variant: string;
  format: Format;
  /** Median ms per kind. */
  startupMs: Partial<Record<Kind, number>>;
  totalMs: Partial<Record<Kind, number>>;
  /** Per-round ratios: cold/plain, warm/plain (start-up and total); against the baseline: cold/baseCold, warm/baseWarm. */
  ratios: Record<string, Spread>;
  runs: Partial<Record<Kind, Timing[]>>;
}

async function measure(variant: Variant, base: string): Promise<Row> {
  const dir = path.join(base, variant.name.replace(/\W+/g, "-"));
  generate(dir, variant.format, variant.enums);
  const generated = Date.now();
  const commands: Partial<Record<Kind, (r: number) => Promise<Timing>>> = {};
  const tsprofRun = (cli: string, cache: (r: number) => string) => (r: number) => timeRun([cli, "run", "-q", "main.ts"], dir, { TSPROF_CACHE_DIR: cache(r) });
  const warmCache = path.join(dir, ".cache-warm"), baseWarmCache = path.join(dir, ".cache-base-warm");
  commands.plain = () => timeRun([path.join("plain", "main.js")], dir);
  if (!SHORT) commands.cold = tsprofRun(CLI, (r) => path.join(dir, `.cache-cold-${r}`));
  commands.warm = tsprofRun(CLI, () => warmCache);
  // One module edited since the last run, every other one cached: TypeScript loads for that one.
  const edited = path.join(dir, `mod${String(MODULES - 1).padStart(3, "0")}.ts`);
  const original = fs.readFileSync(edited, "utf8");
  const editRun = (cli: string, cache: string) => async (r: number) => {
    fs.writeFileSync(edited, `${original}// edited in round ${r} (${cli === CLI ? "this build" : "baseline"})\n`);
    try {
      return await timeRun([cli, "run", "-q", "main.ts"], dir, { TSPROF_CACHE_DIR: cache });
    } finally {
      fs.writeFileSync(edited, original);
    }
  };
  if (!SHORT) commands.edit = editRun(CLI, warmCache);
  if (BASELINE) {
    const cli = path.join(BASELINE, "bin", "tsprof.js");
    if (!SHORT) commands.baseCold = tsprofRun(cli, (r) => path.join(dir, `.cache-base-cold-${r}`));
    commands.baseWarm = tsprofRun(cli, () => baseWarmCache);
    if (!SHORT) commands.baseEdit = editRun(cli, baseWarmCache);
  }
  // Two runs fill a warm cache: the first compiles, the second finds what it left. Files
  // changed in the last 3 s are looked up by content, not identity (cache.ts): the second run
  // waits until the generated files are older, as a project's files are between two runs.
  await commands.warm(0);
  await commands.baseWarm?.(0);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, generated + 3500 - Date.now())));
  await commands.warm(0);
  await commands.baseWarm?.(0);
  const kinds = Object.keys(commands) as Kind[];
  const runs: Partial<Record<Kind, Timing[]>> = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let r = 0; r < RUNS; r++) {
    // A different order each round: no kind always runs right after another.
    for (let j = 0; j < kinds.length; j++) {
      const k = kinds[(j + r) % kinds.length];
      runs[k]!.push(await commands[k]!(r));
    }
    if (!process.env.KEEP) for (const c of ["cold", "base-cold"]) fs.rmSync(path.join(dir, `.cache-${c}-${r}`), { recursive: true, force: true });
  }
  const med = (what: keyof Timing) => Object.fromEntries(kinds.map((k) => [k, median(runs[k]!.map((t) => t[what]))]));
  const perRound = (a: Kind, b: Kind, what: keyof Timing) => spread(runs[a]!.map((t, r) => t[what] / runs[b]![r][what]));
  const ratios: Record<string, Spread> = {};
  for (const what of ["startup", "total"] as const) {
    for (const k of ["cold", "warm", "edit"] as const) if (runs[k]) ratios[`${k}/plain ${what}`] = perRound(k, "plain", what);
    if (runs.baseWarm) ratios[`warm/baseline warm ${what}`] = perRound("warm", "baseWarm", what);
    if (runs.baseEdit) ratios[`edit/baseline edit ${what}`] = perRound("edit", "baseEdit", what);
    if (runs.baseCold) ratios[`cold/baseline cold ${what}`] = perRound("cold", "baseCold", what);
    if (runs.baseWarm) ratios[`baseline warm/plain ${what}`] = perRound("baseWarm", "plain", what);
    if (runs.baseCold) ratios[`baseline cold/plain ${what}`] = perRound("baseCold", "plain", what);
  }
  return { variant: variant.name, format: variant.format, startupMs: med("startup"), totalMs: med("total"), ratios, runs };
}

/** Median ms to `require("typescript")` in a new process, over plain `node -e 0`, interleaved. */
function requireCost(base: string, code: string): number {
  const extra: number[] = [];
  for (let r = 0; r < RUNS; r++) extra.push(time(["-e", code], base) - time(["-e", "0"], base));
  return median(extra);
}

/**
 * What Node's off-thread ES-module hooks (`module.register`, all tsprof has before node 22.15)
 * cost by themselves: plain node with hooks that do nothing, against plain node, per round.
 */
async function noopHooksFloor(base: string, esmDir: string): Promise<Spread | undefined> {
  if (typeof (require("node:module") as { registerHooks?: unknown }).registerHooks === "function") return undefined;
  const hooks = path.join(base, "noop-hooks.mjs");
  fs.writeFileSync(hooks, "export const resolve = (s, c, n) => n(s, c);\nexport const load = (u, c, n) => n(u, c);\n");
  const preload = path.join(base, "noop-register.cjs");
  fs.writeFileSync(preload, `require("node:module").register(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const ratios: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const plain = (await timeRun([path.join("plain", "main.js")], esmDir)).startup;
    ratios.push((await timeRun(["--require", preload, path.join("plain", "main.js")], esmDir)).startup / plain);
  }
  return spread(ratios);
}

const x = (v: number) => `${v.toFixed(2)}x`;
const range = (s: Spread) => `${x(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}, quartiles ${s.q1.toFixed(2)}–${s.q3.toFixed(2)})`;

function table(title: string, rows: Row[], what: "startup" | "total"): string[] {
  const ms = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(0)} ms`).padStart(9);
  const lines = [title, `${"variant".padEnd(14)}  plain node  tsprof cold  tsprof warm  one edited   cold/plain                                  warm/plain`];
  for (const r of rows) {
    const t = what === "startup" ? r.startupMs : r.totalMs;
    const cold = r.ratios[`cold/plain ${what}`], warm = r.ratios[`warm/plain ${what}`];
    lines.push(`${r.variant.padEnd(14)}  ${ms(t.plain)}   ${ms(t.cold)}    ${ms(t.warm)}  ${ms(t.edit)}   ${(cold ? range(cold) : "-").padEnd(42)}  ${range(warm)}`);
  }
  const edits = rows.filter((r) => r.ratios[`edit/plain ${what}`]);
  if (edits.length) lines.push(`one module edited (the rest cached) / plain: ${edits.map((r) => `${r.variant} ${range(r.ratios[`edit/plain ${what}`])}`).join("; ")}`);
  return lines;
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-startup-"));
  try {
    const typescriptLoad = SHORT ? undefined : requireCost(base, `require(${JSON.stringify(require.resolve("typescript"))})`);
    // Type stripping's first call loads Node's own stripper (amaro, WebAssembly), or amaro from npm.
    const stripLoad = SHORT || !canStrip ? undefined
      : requireCost(base, nodeStrips
        ? `process.emitWarning = () => {}; require("node:module").stripTypeScriptTypes("let a: number = 1")`
        : `require(${JSON.stringify(require.resolve("amaro"))}).transformSync("let a: number = 1", { mode: "strip-only" })`);
    const rows: Row[] = [];
    for (const v of VARIANTS) {
      if (!SHORT) process.stderr.write(`bench:startup: ${v.name}…\n`);
      rows.push(await measure(v, base));
    }
    const floor = SHORT ? undefined : await noopHooksFloor(base, path.join(base, "esm"));
    const verdict = (r: Row, what: "warm" | "cold", target: number) => {
      const s = r.ratios[`${what}/plain startup`];
      return s && `${r.variant} ${s.median <= target ? "met" : "NOT met"} (${x(s.median)})`;
    };
    const lines = [
      `tsprof run start-up: ${MODULES + 1}-module TypeScript project, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, `
        + `${RUNS} rounds; ratios are medians of per-round ratios (lowest–highest, quartiles)`,
      "",
      ...table("Start-up: spawn to the program's first output (all modules loaded and run)", rows, "startup"),
      "",
      ...table("Whole command: spawn to exit (also the profile written at exit: V8's profile folded, calibration, file)", rows, "total"),
      "",
    ];
    if (BASELINE) {
      lines.push(`Against the baseline build (${BASELINE}), same rounds: this / baseline, start-up`);
      for (const r of rows) {
        const cold = r.ratios["cold/baseline cold startup"], warm = r.ratios["warm/baseline warm startup"], edit = r.ratios["edit/baseline edit startup"];
        lines.push(`  ${r.variant.padEnd(14)} cold ${cold ? range(cold) : "-"}   warm ${range(warm)}${edit ? `   one edited ${range(edit)}` : ""}`);
        const bc = r.ratios["baseline cold/plain startup"], bw = r.ratios["baseline warm/plain startup"];
        lines.push(`  ${"".padEnd(14)} baseline: cold/plain ${bc ? x(bc.median) : "-"}, warm/plain ${x(bw.median)}`);
        const wt = r.ratios["warm/baseline warm total"], bwt = r.ratios["baseline warm/plain total"];
        lines.push(`  ${"".padEnd(14)} whole command, warm: this / baseline ${range(wt)}; baseline warm/plain ${x(bwt.median)}`);
      }
      lines.push("");
    }
    if (typescriptLoad !== undefined) lines.push(`loading typescript alone (a warm start does not): ${typescriptLoad.toFixed(0)} ms`);
    if (stripLoad !== undefined) lines.push(nodeStrips
      ? `loading node's type stripper (first module.stripTypeScriptTypes call): ${stripLoad.toFixed(0)} ms`
      : `loading amaro, the type stripper from npm (first transformSync call): ${stripLoad.toFixed(0)} ms`);
    if (floor) lines.push(`esm floor on this node: plain node with no-op module.register hooks starts in ${range(floor)} plain node`);
    lines.push(`target, warm start-up ≤ ${WARM_TARGET.toFixed(2)}x plain node: ${rows.map((r) => verdict(r, "warm", WARM_TARGET)).join(", ")}`);
    if (!SHORT) lines.push(`target, cold start-up ≤ ${COLD_TARGET.toFixed(2)}x plain node: ${rows.map((r) => verdict(r, "cold", COLD_TARGET)).join(", ")}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    const results = path.join(ROOT, "bench", "results");
    fs.mkdirSync(results, { recursive: true });
    const json = `${JSON.stringify({
      node: process.version, date: new Date().toISOString(), cores: os.cpus().length, loadAverage: os.loadavg()[0], modules: MODULES + 1, rounds: RUNS,
      baseline: BASELINE ?? null, typescriptLoadMs: typescriptLoad ?? null, stripLoadMs: stripLoad ?? null, esmNoopHooksRatio: floor ?? null,
      targets: { warm: WARM_TARGET, cold: COLD_TARGET },
      rows: rows.map((r) => ({ ...r, warmStartupRatio: r.ratios["warm/plain startup"].median, coldStartupRatio: r.ratios["cold/plain startup"]?.median ?? null })),
    }, null, 2)}\n`;
    // Also by node major, so that runs on node 20, 22 and 24 stand side by side.
    const name = SHORT ? "startup-short" : "startup";
    fs.writeFileSync(path.join(results, `${name}.json`), json);
    fs.writeFileSync(path.join(results, `${name}-node${process.versions.node.split(".")[0]}.json`), json);
  } finally {
    if (process.env.KEEP) process.stdout.write(`projects kept in ${base}\n`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
}

void main();
