/*
 * printf-style number formatting that matches C and Python to the character. JavaScript's
 * `toFixed`/`toExponential` round exact ties away from zero (2.25 → "2.3"); C rounds the exact
 * binary value half-to-even (2.25 → "2.2"). kernprof's report goes through C's rules.
 */

/** Decimal expansion of |x| (finite, < 1e21) with `digits` fraction digits (at most 100). */
function exactDigits(x: number, digits: number): string {
  return Math.abs(x).toFixed(Math.min(100, digits));
}

/**
 * True when |x| lies exactly halfway between two `precision`-decimal numbers, read off its decimal
 * digits: the reference, for precisions the binary test below does not cover.
 */
export function isTieByDigits(x: number, precision: number): boolean {
  if (Math.abs(x) >= 1e21) return false;
  const s = exactDigits(x, precision + 80);
  const frac = s.slice(s.indexOf(".") + 1 + precision);
  return /^50*$/.test(frac);
}

/** 2^(p+1) for p = 0…20: exact doubles. */
const TIE_SCALE = Array.from({ length: 21 }, (_, p) => 2 ** (p + 1));

/**
 * True when |x| lies exactly halfway between two `precision`-decimal numbers. Halfway means
 * |x| · 10^p = n + 1/2, i.e. 2 · |x| · 10^p = 2^(p+1) · 5^p · |x| is odd; 5^p is odd, so this is
 * |x| · 2^(p+1) being an odd whole number. Scaling by a power of two is exact (no overflow below
 * 1e21 · 2^21), so one multiplication and one remainder decide it, where the digits cost an
 * 81-digit expansion per number (45% of `tsprof view` on a 10 MB profile). Up to 20 decimals the
 * digit test is exact too (a double's digits past the tie point are nonzero within its
 * 80-digit window), so both agree; above 20, where `toFixed`'s 100 digits cut that window, the
 * digit test is kept as it was. test/printf.test.ts compares the two on every edge case.
 */
export function isTie(x: number, precision: number): boolean {
  if (precision > 20 || precision < 0) return isTieByDigits(x, precision);
  const a = Math.abs(x);
  if (a >= 1e21) return false;
  return (a * TIE_SCALE[precision]) % 2 === 1;
}

/** `x.toFixed(p)`, but exact ties round half to even, as C's printf does. */
export function toFixedC(x: number, precision: number): string {
  if (!isTie(x, precision)) return x.toFixed(precision);
  // Truncated, the kept digits round down; when the last is odd, JS's away-from-zero is C's to-even.
  const kept = exactDigits(x, precision + 1).slice(0, -1).replace(/\.$/, "");
  const even = Number(kept[kept.length - 1]) % 2 === 0;
  return (x < 0 ? "-" : "") + (even ? kept : Math.abs(x).toFixed(precision));
}

/**
 * True when the whole number |x| lies exactly halfway between two multiples of 10^k (k ≥ 1): it
 * ends in 5 followed by k − 1 zeros. `%` is exact on doubles, and so are the powers of ten up to
 * 10^22; past them, BigInt.
 */
function isWholeTie(x: number, k: number): boolean {
  const a = Math.abs(x);
  if (!Number.isInteger(a)) return false;
  if (k <= 22) return a % 10 ** k === 5 * 10 ** (k - 1);
  return BigInt(a) % 10n ** BigInt(k) === 5n * 10n ** BigInt(k - 1);
}

/** `x.toExponential(d)` with C's half-to-even on exact ties. */
function toExponentialC(x: number, fractionDigits: number): string {
  const naive = x.toExponential(fractionDigits);
  const exp = Number(naive.split("e")[1]);
  // The tie question is asked of the scaled value's digits: fractionDigits after the first digit.
  const scaledPrecision = fractionDigits - exp;
  if (scaledPrecision < 0) {
    // A whole number rounded to tens or more (`%g` of 1234565000 is 1.23456e+09). JavaScript took
    // the larger neighbour; when its last digit is odd, C takes the smaller, one less there.
    if (!isWholeTie(x, -scaledPrecision)) return naive;
    const at = naive.indexOf("e") - 1;
    const last = naive.charCodeAt(at) - 48;
    return last % 2 === 0 ? naive : naive.slice(0, at) + String(last - 1) + naive.slice(at + 1);
  }
  if (scaledPrecision > 100 || !isTie(x, scaledPrecision)) return naive;
  const fixed = toFixedC(x, scaledPrecision);
  return Number(fixed).toExponential(fractionDigits);
}

/** C/Python `%.Pg`: how kernprof prints units and totals (`%g` is precision 6). */
export function formatG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const p = precision === 0 ? 1 : precision;
  const [mantissa, expText] = toExponentialC(x, p - 1).split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= p) {
    const sign = exp < 0 ? "-" : "+";
    return `${stripZeros(mantissa)}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return stripZeros(toFixedC(x, Math.max(0, p - 1 - exp)));
}

function stripZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** `%W.Pf`: fixed point, right-aligned in `width`. */
export function formatF(x: number, width: number, precision: number): string {
  return toFixedC(x, precision).padStart(width);
}

/** `%W.Pg`: right-aligned `%.Pg`. */
export function formatWG(x: number, width: number, precision: number): string {
  return formatG(x, precision).padStart(width);
}
