/*
 * printf's tie test: the binary test (one multiplication) against the decimal-digit test it
 * replaced, on every kind of number a report can show and the edge cases of rounding.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { formatF, formatG, formatWG, isTie, toFixedC } from "../report/printf";
import { rng } from "../bench/big-profile";
import { spawnSync } from "node:child_process";

/* The formatting as it was before the binary tie test: the reference the output must match. */
function refExactDigits(x: number, digits: number): string {
  return Math.abs(x).toFixed(Math.min(100, digits));
}
function refIsTie(x: number, precision: number): boolean {
  if (Math.abs(x) >= 1e21) return false;
  const s = refExactDigits(x, precision + 80);
  const frac = s.slice(s.indexOf(".") + 1 + precision);
  return /^50*$/.test(frac);
}
function refToFixedC(x: number, precision: number): string {
  if (!refIsTie(x, precision)) return x.toFixed(precision);
  const kept = refExactDigits(x, precision + 1).slice(0, -1).replace(/\.$/, "");
  const even = Number(kept[kept.length - 1]) % 2 === 0;
  return (x < 0 ? "-" : "") + (even ? kept : Math.abs(x).toFixed(precision));
}

/** Numbers where rounding is hardest, plus every magnitude a report can print. */
function values(): number[] {
  const xs = [0, -0, 0.5, 1.5, 2.5, 0.125, 0.375, 2.25, 2.35, 0.05, 0.15, 0.25, 1e-7, 5e-324, -5e-324, 2.2250738585072014e-308,
    2.225073858507201e-308, 1e-300, 1e21, 1e21 - 65536, 999999999999999900000, 1e22, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE,
    2 ** 52 + 0.5, 2 ** 53, 2 ** 53 + 2, 9007199254740993, 0.1 + 0.2, 1 / 3, 2 / 3, 1234565, 1234575, 12345650, 0.0001, 0.00001,
    99.95, 99.5, 9.995, 0.9995, 999999.5, 9999995, 1e15 + 0.5, 4.35, 4.45, 1.005, 1.015, 1.025];
  // Exact ties: odd multiples of 2^-k, at 0…24 binary places, in every magnitude.
  for (let k = 0; k <= 24; k++) for (const n of [1, 3, 5, 7, 9, 11, 1001, 12345, 2 ** 30 + 1, 2 ** 40 + 3]) xs.push(n / 2 ** k, -n / 2 ** k);
  // Decimal ties that are (or just miss) exact in binary: (n + 1/2) / 10^p.
  for (let p = 0; p <= 6; p++) for (let n = 0; n < 200; n++) xs.push((n + 0.5) / 10 ** p, (n * 1000 + 500) / 10 ** (p + 3));
  // Times as the report computes them: whole nanoseconds times a unit scale, divided by hits.
  const random = rng(7);
  for (let i = 0; i < 300; i++) {
    const ns = Math.round(Math.exp(random() * 40));
    const hits = 1 + Math.floor(Math.exp(random() * 20));
    for (const scale of [1e-3, 1, 1e-6, 1e-9, 1e3]) xs.push(ns * scale, (ns * scale) / hits, (100 * ns) / (ns + hits));
  }
  // Raw doubles of every exponent, denormals included.
  const bits = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 800; i++) {
    bits.setUint32(0, Math.floor(random() * 2 ** 32));
    bits.setUint32(4, Math.floor(random() * 2 ** 32));
    const x = bits.getFloat64(0);
    if (Number.isFinite(x)) xs.push(x);
  }
  return xs;
}

const VALUES = values();

test("toFixedC: the binary tie test finds the digit test's ties and gives its text, precisions 0 to 25", () => {
  let ties = 0;
  for (const x of VALUES) {
    for (let p = 0; p <= 25; p++) {
      const tie = refIsTie(x, p);
      assert.equal(isTie(x, p), tie, `isTie(${x}, ${p})`);
      assert.equal(toFixedC(x, p), refToFixedC(x, p), `toFixedC(${x}, ${p})`);
      if (tie) ties++;
    }
  }
  // The set holds plenty of exact ties (the fast path's only "yes" answers).
  assert.ok(ties > 1000, `${ties} ties`);
});

test("ties round half to even, as C's printf does", () => {
  // C's half-to-even where JavaScript rounds away from zero.
  assert.equal(toFixedC(2.25, 1), "2.2");
  assert.equal(toFixedC(-2.25, 1), "-2.2");
  assert.equal(toFixedC(0.125, 2), "0.12");
  assert.equal(toFixedC(0.375, 2), "0.38");
  assert.equal(toFixedC(0.5, 0), "0");
  assert.equal(toFixedC(2.5, 0), "2");
  assert.equal(toFixedC(2.35, 1), "2.4"); // 2.35 is 2.35000000000000008882 in binary: no tie
  assert.equal(toFixedC(5e-324, 3), "0.000");
});

test("formatG, formatF and formatWG as the report calls them give the reference's text", () => {
  // The reference %g and %f, built on the reference tie test.
  function refToExponentialC(x: number, d: number): string {
    const naive = x.toExponential(d);
    const exp = Number(naive.split("e")[1]);
    const sp = d - exp;
    if (sp < 0 || sp > 100 || !refIsTie(x, sp)) return naive;
    return Number(refToFixedC(x, sp)).toExponential(d);
  }
  const strip = (s: string) => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
  function refFormatG(x: number, precision = 6): string {
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    const p = precision === 0 ? 1 : precision;
    const [m, e] = refToExponentialC(x, p - 1).split("e");
    const exp = Number(e);
    if (exp < -4 || exp >= p) return `${strip(m)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
    return strip(refToFixedC(x, Math.max(0, p - 1 - exp)));
  }
  for (const x of VALUES) {
    // Numbers of more than P digits round to tens or more, where the reference took JavaScript's
    // rounding on ties (Python's test below has C's): compared only below that.
    for (const p of [1, 2, 3, 6]) if (Math.abs(x) < 10 ** p) assert.equal(formatG(x, p), refFormatG(x, p), `formatG(${x}, ${p})`);
    if (Math.abs(x) < 1e3) assert.equal(formatWG(x, 5, 3), refFormatG(x, 3).padStart(5));
    if (Math.abs(x) < 1e21) {
      assert.equal(formatF(x, 5, 1), refToFixedC(x, 1).padStart(5));
      assert.equal(formatF(x, 6, 2), refToFixedC(x, 2).padStart(6));
    }
  }
});

/** Python 3, the printf kernprof and memory_profiler format with. */
function python(): string | undefined {
  for (const py of ["python3", "/usr/bin/python3"]) if (spawnSync(py, ["-c", "0"]).status === 0) return py;
  return undefined;
}

test("%g, %.3g, %5.1f and %6.2f as Python prints them, ties and large whole numbers included", { skip: python() ? false : "python3 is not installed" }, () => {
  const xs = VALUES.filter((x) => x !== 0 && Math.abs(x) < 1e300).slice(0, 6000);
  // Whole numbers halfway at the 3rd and 6th digit, the way hits and large times are.
  for (const n of [...Array.from({ length: 150 }, (_, i) => 100 + 7 * i), ...Array.from({ length: 100 }, (_, i) => 100_000 + 3_711 * i)]) {
    for (let k = 1; k <= 20; k++) xs.push((2 * n + 1) * 5 * 10 ** (k - 1), -(2 * n + 1) * 5 * 10 ** (k - 1));
  }
  const script = "import json,sys\nxs=json.load(sys.stdin)\njson.dump([['%g' % x, '%.3g' % x, '%.1g' % x, '%5.1f' % x if abs(x) < 1e21 else '', '%6.2f' % x if abs(x) < 1e21 else ''] for x in xs], sys.stdout)";
  const r = spawnSync(python()!, ["-c", script], { input: JSON.stringify(xs), encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as string[][];
  xs.forEach((x, i) => {
    const big = Math.abs(x) >= 1e21;
    const got = [formatG(x), formatG(x, 3), formatG(x, 1), big ? "" : formatF(x, 5, 1), big ? "" : formatF(x, 6, 2)];
    assert.deepEqual(got, want[i], `x = ${x}`);
  });
});
