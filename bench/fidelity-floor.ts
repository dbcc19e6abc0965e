/*
 * How far the construction fixtures (busy, fine, small) can be judged, and how far the lightest
 * exact hit counting could bring V8 timing on them (docs/v8-mode.md, "The fixtures' 1 point").
 *
 * 1. The truth's floor: FLOOR_SETS truth sets (V8's profile of the plain program, as
 *    bench/fidelity.ts measures it, on FIDELITY_FIXTURE_SAMPLES samples each); each scored
 *    against the sum of the others, and disjoint triples summed or taken line by line as a
 *    median, against the other sets.
 * 2. The plain program, and variants of it whose only change is exact hit counters, each on a
 *    generated line of its own (whose samples are dropped, as V8 timing drops its probes' lines),
 *    run under V8's profiler as the truth is and scored against the plain program's rounds:
 *      lean      a module-level Float64Array increment before each line (and in the loop test):
 *                no invocation, no handler, no call; the least any exact counting can add
 *      lean-try  the same inside a `try/finally` (its `finally` counting), as a profiled
 *                function's exit must run however it ends
 *      block     one counter per straight-line run of lines (the lines control flow makes equal
 *                share it)
 *    Each is scored with every line, and with the fixture's cheap loop header untimed (its
 *    samples dropped from the measured side), as V8 timing bills it.
 *
 *   npm run build && node dist/bench/scratch.js dist/bench/fidelity-floor.js
 *   FLOOR_ONLY=fine FLOOR_ROUNDS=4 FLOOR_SETS=12 …   (defaults: busy,fine,small; 3 rounds; 12 sets; 0: skip that part)
 *   FIDELITY_FIXTURE_SAMPLES=2500 …   truth sets of 2,500 samples (the programs' default) instead of 10,000
 *   Each variant's round rests on 2,500 samples or more.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanEnv } from "../test/helpers";
import { measureTruth, prepare, samplesFor, score, truthFromCpuProfile, type Prepared } from "./fidelity";

type Line = { text: string; src: number };
type Step = { at: string; before?: string[]; after?: string[]; split?: string; probe?: string };

/** Applies steps to a program's generated lines: inserted lines map to no source line. */
function apply(lines: Line[], steps: Step[]): Line[] {
  const ls = lines.map((l) => ({ ...l }));
  for (const st of steps) {
    const i = ls.findIndex((x) => x.text.includes(st.at));
    if (i < 0) throw new Error(`fidelity-floor: no line holds ${st.at}`);
    const added = (texts: string[]) => texts.map((text) => ({ text, src: 0 }));
    if (st.before) ls.splice(i, 0, ...added(st.before));
    else if (st.after) ls.splice(i + 1, 0, ...added(st.after));
    else if (st.split !== undefined) {
      const x = ls[i], at = x.text.indexOf(st.split);
      ls.splice(i, 1, { text: x.text.slice(0, at), src: x.src }, { text: st.probe!, src: 0 }, { text: x.text.slice(at), src: x.src });
    }
  }
  return ls;
}

const DECL: Step = { at: "exports.reps = exports.run", after: ["const __H0 = new Float64Array(8), __H1 = new Float64Array(8);"] };
const h = (fn: number, slot: number) => [`__H${fn}[${slot}]++;`];
/** A function body in a try/finally whose finally counts (`open`: the function's head line, `last`: its last statement). */
const tryFinally = (open: string, last: string, fn: number): Step[] => [{ at: open, after: ["try {"] }, { at: last, after: ["} finally {", `__H${fn}[0]++;`, "}"] }];

interface Spec { header: number; variants: Record<string, Step[]> }
const SPECS: Record<string, Spec> = {
  busy: {
    header: 16,
    variants: {
      lean: [DECL, { at: "let acc = 0, x = 1, y = 1;", before: h(0, 1) }, { at: "i < n; i++) {", split: "i < n", probe: "__H0[2]++," },
        { at: "x = workOne(x);", before: h(0, 3) }, { at: "y = workThree(y);", before: h(0, 4) },
        { at: "k < 40; k++)", split: "k < 40", probe: "__H0[5]++," }, { at: "return acc + x + y;", before: h(0, 6) }],
      "lean-try": [DECL, ...tryFinally("function busy(n) {", "return acc + x + y;", 0), { at: "let acc = 0, x = 1, y = 1;", before: h(0, 1) },
        { at: "i < n; i++) {", split: "i < n", probe: "__H0[2]++," }, { at: "x = workOne(x);", before: h(0, 3) },
        { at: "y = workThree(y);", before: h(0, 4) }, { at: "k < 40; k++)", split: "k < 40", probe: "__H0[5]++," },
        { at: "return acc + x + y;", before: h(0, 6) }],
      block: [DECL, { at: "let acc = 0, x = 1, y = 1;", before: h(0, 1) }, { at: "x = workOne(x);", before: h(0, 3) },
        { at: "k < 40; k++)", split: "k < 40", probe: "__H0[5]++," }],
    },
  },
  fine: {
    header: 13,
    variants: {
      lean: [DECL, { at: "let a = 1, b = 1;", before: h(0, 1) }, { at: "i < n; i++) {", split: "i < n", probe: "__H0[2]++," },
        { at: "a = light(a);", before: h(0, 3) }, { at: "b = heavy(b);", before: h(0, 4) }, { at: "return a + b;", before: h(0, 5) }],
      "lean-try": [DECL, ...tryFinally("function fine(n) {", "return a + b;", 0), { at: "let a = 1, b = 1;", before: h(0, 1) },
        { at: "i < n; i++) {", split: "i < n", probe: "__H0[2]++," }, { at: "a = light(a);", before: h(0, 3) },
        { at: "b = heavy(b);", before: h(0, 4) }, { at: "return a + b;", before: h(0, 5) }],
      block: [DECL, { at: "let a = 1, b = 1;", before: h(0, 1) }, { at: "a = light(a);", before: h(0, 3) }],
    },
  },
  small: {
    header: 14,
    variants: {
      lean: [DECL, { at: "function mix(a, b) {", after: h(0, 1) }, { at: "let x = 1, y = 1;", before: h(1, 1) },
        { at: "i < n; i++) {", split: "i < n", probe: "__H1[2]++," }, { at: "x = mix(x, i);", before: h(1, 3) },
        { at: "y = mixPlain(y, i);", before: h(1, 4) }, { at: "return x + y;", before: h(1, 5) }],
      "lean-try": [DECL, { at: "function mix(a, b) {", after: ["try {", ...h(0, 1)] },
        { at: "return (a * 31 + b) % 1000003;", after: ["} finally {", "__H0[0]++;", "}"] },
        ...tryFinally("function small(n) {", "return x + y;", 1), { at: "let x = 1, y = 1;", before: h(1, 1) },
        { at: "i < n; i++) {", split: "i < n", probe: "__H1[2]++," }, { at: "x = mix(x, i);", before: h(1, 3) },
        { at: "y = mixPlain(y, i);", before: h(1, 4) }, { at: "return x + y;", before: h(1, 5) }],
      block: [DECL, { at: "function mix(a, b) {", after: h(0, 1) }, { at: "let x = 1, y = 1;", before: h(1, 1) }, { at: "x = mix(x, i);", before: h(1, 3) }],
    },
  },
};

const sum = (ms: Map<number, number>[]) => {
  const s = new Map<number, number>();
  for (const m of ms) for (const [l, x] of m) s.set(l, (s.get(l) ?? 0) + x);
  return s;
};
const percent = (m: Map<number, number>) => {
  const t = [...m.values()].reduce((a, b) => a + b, 0);
  return new Map([...m].map(([l, x]) => [l, t > 0 ? (100 * x) / t : 0]));
};
const fmt = (x: number) => x.toFixed(1);
const range = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${fmt(s[0])}-${fmt(s[s.length - 1])} (median ${fmt(s[(s.length - 1) >> 1])})`;
};

function floorStudy(p: Prepared, sets: number, log: (s: string) => void): void {
  const each = Array.from({ length: sets }, () => measureTruth(p).lines);
  const one = each.map((t, i) => score(sum(each.filter((_, j) => j !== i)), t).worst);
  const summed: number[] = [], median: number[] = [];
  for (let g = 0; g + 3 <= sets; g += 3) {
    const tri = each.slice(g, g + 3), ref = sum(each.filter((_, j) => j < g || j >= g + 3));
    summed.push(score(ref, sum(tri)).worst);
    const shares = tri.map(percent), lines = new Set(tri.flatMap((t) => [...t.keys()]));
    median.push(score(ref, new Map([...lines].map((l) => [l, shares.map((m) => m.get(l) ?? 0).sort((a, b) => a - b)[1]]))).worst);
  }
  log(`${p.name}: one truth set (${samplesFor(p).samples} samples or more) against the other ${sets - 1}: ${range(one)}`);
  if (summed.length) log(`${p.name}: three sets against the other ${sets - 3}: summed ${range(summed)}, line-by-line median ${range(median)}`);
}

function variantsStudy(p: Prepared, spec: Spec, rounds: number, log: (s: string) => void): void {
  const plain = fs.readFileSync(p.plain, "utf8").replace(/\/\/# sourceMappingURL=.*$/m, "").split("\n").map((text, i) => ({ text, src: p.genToSrc[i + 1] ?? 0 }));
  const variants: Record<string, Line[]> = { plain, ...Object.fromEntries(Object.entries(spec.variants).map(([k, steps]) => [k, apply(plain, steps)])) };
  const runs: Record<string, Map<number, number>[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, lines] of Object.entries(variants)) {
      const file = path.join(p.dir, `variant-${k}.js`);
      fs.writeFileSync(file, lines.map((l) => l.text).join("\n"));
      const map = [0, ...lines.map((l) => l.src)];
      const got = new Map<number, number>();
      let total = 0;
      for (let i = 0; i < 8 && (i < 1 || total < 2500); i++) {
        const out = fs.mkdtempSync(path.join(p.dir, "cpu-"));
        const c = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-interval", "50", "--cpu-prof-dir", out, path.join(__dirname, "fidelity-child.js"), file, String(p.reps)],
          { cwd: p.dir, env: cleanEnv({ TSPROF: "0" }), encoding: "utf8", timeout: 300_000 });
        if (c.status !== 0) throw new Error(`fidelity-floor: ${k} failed: ${c.stderr}`);
        const name = fs.readdirSync(out).find((f) => f.endsWith(".cpuprofile"))!;
        const t = truthFromCpuProfile(JSON.parse(fs.readFileSync(path.join(out, name), "utf8")), `file://${file}`, map, p.shape, p.name);
        for (const [l, x] of t.lines) got.set(l, (got.get(l) ?? 0) + x);
        total += t.total;
      }
      runs[k].push(got);
    }
  }
  const truth = sum(runs.plain);
  for (const [k, ms] of Object.entries(runs)) {
    const all = score(truth, sum(ms));
    const untimed = (m: Map<number, number>) => new Map([...m].filter(([l]) => l !== spec.header));
    const rule = score(truth, untimed(sum(ms)));
    const per = ms.map((m, i) => score(k === "plain" ? sum(runs.plain.filter((_, j) => j !== i)) : truth, m).worst);
    const shares = [...percent(sum(ms))].sort((a, b) => a[0] - b[0]).filter(([, x]) => x >= 0.05).map(([l, x]) => `L${l} ${fmt(x)}`).join(" ");
    log(`${p.name} ${k.padEnd(8)} every line ${fmt(all.worst)} (L${all.worstLine}), header untimed ${fmt(rule.worst)} (L${rule.worstLine}); rounds ${per.map(fmt).join(" ")} | ${shares}`);
  }
}

if (require.main === module) {
  const only = (process.env.FLOOR_ONLY ?? "busy,fine,small").split(",");
  const rounds = Number(process.env.FLOOR_ROUNDS ?? 3), sets = Number(process.env.FLOOR_SETS ?? 12);
  const log = (s: string) => process.stdout.write(s + "\n");
  for (const name of only) {
    const p = prepare(name);
    if (sets >= 2) floorStudy(p, sets, log);
    if (rounds > 0) variantsStudy(p, SPECS[name], rounds, log);
  }
}
