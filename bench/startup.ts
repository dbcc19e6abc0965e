/*
 * `node dist/bench/startup.js`: how long `tsprof run` takes to start a large program, against
 * plain node running the same program precompiled to JavaScript.
 *
 * Generates a project of MODULES TypeScript modules (default 240; every module is loaded, a few
 * have @profile functions), once as CommonJS and once as ES modules, and times, round by round
 * so all three see the same machine state:
 *   plain  node plain/main.js                    (tsc output, no tsprof)
 *   cold   tsprof run main.ts, empty compile cache (every file transpiled, TypeScript loaded)
 *   warm   tsprof run main.ts, cache filled by an earlier run
 * Start-up (spawn to the program's first output) and the whole command (to exit, which also
 * writes the profile), median of RUNS rounds (default 7). Target: warm start-up ≤ 1.5x plain.
 * Prints a table and writes bench/results/startup.json. KEEP=1 keeps the generated projects.
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
const RUNS = Number(process.env.RUNS ?? 7);

type Format = "commonjs" | "module";

/** One generated module: types, a class, loops; module i imports 2i+1 and 2i+2, so all are loaded. */
function moduleSource(i: number, format: Format): string {
  const kids = [2 * i + 1, 2 * i + 2].filter((k) => k < MODULES);
  const name = (k: number) => `mod${String(k).padStart(3, "0")}`;
  const imports = kids.map((k) => `import { run as run${k} } from "./${name(k)}${format === "module" ? ".js" : ""}";`);
  const mark = i % 20 === 0 ? "/** @profile */\n" : "";
  return `${imports.join("\n")}
export enum Kind${i} { Small = ${i}, Large = ${i * 2} }

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

function generate(dir: string, format: Format): void {
  fs.mkdirSync(path.join(dir, "plain"), { recursive: true });
  const pkg = JSON.stringify({ private: true, ...(format === "module" ? { type: "module" } : {}) });
  fs.writeFileSync(path.join(dir, "package.json"), pkg);
  fs.writeFileSync(path.join(dir, "plain", "package.json"), pkg);
  // As a real project has: tsprof run reads it (get-tsconfig, loaded only when there is one).
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "es2022", strict: true, module: format === "module" ? "nodenext" : "commonjs" } }, null, 2));
  const files: Record<string, string> = { "main.ts": `import { run } from "./mod000${format === "module" ? ".js" : ""}";\nconsole.log(run(3));\n` };
  for (let i = 0; i < MODULES; i++) files[`mod${String(i).padStart(3, "0")}.ts`] = moduleSource(i, format);
  const module = format === "module" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
    const js = ts.transpileModule(text, { fileName: name, compilerOptions: { target: ts.ScriptTarget.ES2022, module } }).outputText;
    fs.writeFileSync(path.join(dir, "plain", name.replace(/\.ts$/, ".js")), js);
  }
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ["NODE_OPTIONS", "TSPROF", "TSPROF_OUTPUT", "TSPROF_SESSION", "TSPROF_LOADER", "TSPROF_INTERVAL"]) delete e[k];
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

interface Timing { startup: number; total: number }

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

type Kind = "plain" | "cold" | "warm";
interface Row { format: Format; startup: Record<Kind, number>; total: Record<Kind, number>; runs: Record<Kind, Timing[]> }

async function measure(format: Format, base: string): Promise<Row> {
  const dir = path.join(base, format);
  generate(dir, format);
  const warmCache = path.join(base, `cache-${format}-warm`);
  const run = [CLI, "run", "-q", "main.ts"];
  time(run, dir, { TSPROF_CACHE_DIR: warmCache }); // fills the warm cache
  const runs: Record<Kind, Timing[]> = { plain: [], cold: [], warm: [] };
  for (let r = 0; r < RUNS; r++) {
    runs.plain.push(await timeRun([path.join("plain", "main.js")], dir));
    runs.cold.push(await timeRun(run, dir, { TSPROF_CACHE_DIR: path.join(base, `cache-${format}-cold-${r}`) }));
    runs.warm.push(await timeRun(run, dir, { TSPROF_CACHE_DIR: warmCache }));
  }
  const pick = (what: keyof Timing) => Object.fromEntries((Object.keys(runs) as Kind[]).map((k) => [k, median(runs[k].map((t) => t[what]))])) as Record<Kind, number>;
  return { format, startup: pick("startup"), total: pick("total"), runs };
}

/**
 * What Node's off-thread ES-module hooks (`module.register`, all tsprof has before node 22.15)
 * cost by themselves: plain node with hooks that do nothing, against plain node.
 */
async function noopHooksFloor(base: string): Promise<number | undefined> {
  if (typeof (require("node:module") as { registerHooks?: unknown }).registerHooks === "function") return undefined;
  const dir = path.join(base, "module");
  const hooks = path.join(base, "noop-hooks.mjs");
  fs.writeFileSync(hooks, "export const resolve = (s, c, n) => n(s, c);\nexport const load = (u, c, n) => n(u, c);\n");
  const preload = path.join(base, "noop-register.cjs");
  fs.writeFileSync(preload, `require("node:module").register(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const plain: number[] = [], hooked: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    plain.push((await timeRun([path.join("plain", "main.js")], dir)).startup);
    hooked.push((await timeRun(["--require", preload, path.join("plain", "main.js")], dir)).startup);
  }
  return median(hooked) / median(plain);
}

function table(title: string, rows: Row[], what: "startup" | "total"): string[] {
  const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(9);
  const ratio = (x: number) => `${x.toFixed(2)}x`.padStart(10);
  return [
    title,
    "format      plain node   tsprof cold   tsprof warm   cold/plain   warm/plain",
    ...rows.map((r) => {
      const t = r[what];
      return `${(r.format === "module" ? "esm" : "commonjs").padEnd(10)}  ${ms(t.plain)}     ${ms(t.cold)}     ${ms(t.warm)}   ${ratio(t.cold / t.plain)}   ${ratio(t.warm / t.plain)}`;
    }),
  ];
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-startup-"));
  try {
    const typescriptLoad = median(Array.from({ length: RUNS }, () =>
      time(["-e", `require(${JSON.stringify(require.resolve("typescript"))})`], base) - time(["-e", "0"], base)));
    const rows: Row[] = [];
    for (const format of ["commonjs", "module"] as const) rows.push(await measure(format, base));
    const floor = await noopHooksFloor(base);
    const name = (f: Format) => (f === "module" ? "esm" : "commonjs");
    const verdicts = rows.map((r) => {
      const x = r.startup.warm / r.startup.plain;
      return `${name(r.format)} ${x <= 1.5 ? "met" : "NOT met"} (${x.toFixed(2)}x)`;
    });
    const lines = [
      `tsprof run start-up: ${MODULES + 1}-module TypeScript project, node ${process.version}, ${os.cpus().length} cores, median of ${RUNS} runs`,
      "",
      ...table("Start-up: spawn to the program's first output (all modules loaded and run)", rows, "startup"),
      "",
      ...table("Whole command: spawn to exit (also the profile written at exit: calibration, file)", rows, "total"),
      "",
      `loading typescript alone (a warm start does not): ${typescriptLoad.toFixed(0)} ms`,
      ...(floor === undefined ? [] : [`esm floor on this node: plain node with no-op module.register hooks starts in ${floor.toFixed(2)}x plain node`]),
      `target, warm start-up ≤ 1.50x plain node: ${verdicts.join(", ")}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const results = path.join(ROOT, "bench", "results");
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(path.join(results, "startup.json"), `${JSON.stringify({
      node: process.version, cores: os.cpus().length, modules: MODULES + 1, runs: RUNS, typescriptLoadMs: typescriptLoad, esmNoopHooksRatio: floor,
      rows: rows.map((r) => ({ ...r, warmStartupRatio: r.startup.warm / r.startup.plain, warmTotalRatio: r.total.warm / r.total.plain })),
    }, null, 2)}\n`);
  } finally {
    if (process.env.KEEP) process.stdout.write(`projects kept in ${base}\n`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
}

void main();
