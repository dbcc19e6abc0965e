/**
 * `tsprof mprof plot`'s picture: memory against time, as mprof draws it — the resident memory
 * curve, a bracket at the start and end of every profiled call, the peak marked by two dashed red
 * lines — plus the V8 heap (used, total) and external memory, each in a colour of its own.
 * `plotModel` turns data into plain numbers; `drawPlot` turns those into SVG. drawPlot uses
 * nothing outside its own body, so the HTML page (mprof-html.ts) carries its source and redraws
 * with it when zoomed: the static picture and the page cannot disagree.
 */
import { memAt, peakOf, trend, type MprofData } from "./mprof-data";

export interface PlotLine {
  label: string;
  color: string;
  /** Seconds from the start. */
  t: number[];
  v: number[];
  dash?: string;
  marks?: boolean;
}

export interface PlotBracket {
  /** Index into `functions`. */
  f: number;
  t0: number;
  t1: number;
  m0: number;
  m1: number;
  level: number;
}

export interface PlotModel {
  title: string;
  /** Epoch seconds of t = 0. */
  start: number;
  lines: PlotLine[];
  functions: { label: string; color: string; calls: number }[];
  brackets: PlotBracket[];
  peak: { t: number; v: number };
  slope?: { slope: number; intercept: number };
  /** Brackets left out of a very busy run (the first ones are kept). */
  omitted: number;
}

export interface PlotOptions {
  title?: string;
  slope?: boolean;
  /** Draw the brackets (mprof plot -n turns them off). */
  functions?: boolean;
}

/** The view: size in pixels and the time window in seconds from the start. */
export interface PlotView {
  width: number;
  height: number;
  window?: [number, number];
}

/** Where the plot area lies, for the page's mouse: pixels and data units at its edges. */
export interface PlotFrame {
  left: number;
  top: number;
  right: number;
  bottom: number;
  t0: number;
  t1: number;
  v0: number;
  v1: number;
}

const FUNCTION_COLORS = ["#17becf", "#bcbd22", "#2ca02c", "#d62728", "#1f77b4", "#9467bd", "#8c564b", "#e377c2"];
// Not red: the peak's dashed lines are.
const CHILD_COLORS = ["#2ca02c", "#8c564b", "#e377c2", "#7f7f7f", "#17a589", "#d62728"];
/** More brackets than this and the picture is ink: the page and the SVG stay light. */
const MAX_BRACKETS = 5000;

/** mprof's labels: a function's last dotted part, more parts only where two would read alike. */
export function functionLabels(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  let level = 1;
  let pending = names;
  while (pending.length) {
    const byLabel = new Map<string, string[]>();
    for (const n of pending) {
      const label = n.split(".").slice(-level).join(".");
      byLabel.set(label, [...(byLabel.get(label) ?? []), n]);
    }
    pending = [];
    for (const [label, fns] of byLabel) {
      if (fns.length === 1 || fns.every((f) => f.split(".").length <= level)) fns.forEach((f) => out.set(f, label));
      else pending.push(...fns);
    }
    level++;
  }
  return out;
}

export function plotModel(d: MprofData, o: PlotOptions = {}): PlotModel {
  const all = [...d.mem.t, ...d.heap.t, ...d.heapAll.t, ...[...d.children.values()].flatMap((s) => s.t)];
  const start = Math.min(...all);
  const rel = (ts: number[]) => ts.map((t) => t - start);
  const lines: PlotLine[] = [];
  lines.push({ label: "RSS", color: "#000000", t: rel(d.mem.t), v: d.mem.mem.slice(), marks: true });
  if (d.heap.t.length) {
    lines.push({ label: "V8 heap used", color: "#1f77b4", t: rel(d.heap.t), v: d.heap.used.slice() });
    lines.push({ label: "V8 heap total", color: "#1f77b4", t: rel(d.heap.t), v: d.heap.total.slice(), dash: "6 4" });
    lines.push({ label: "external + array buffers", color: "#ff7f0e", t: rel(d.heap.t), v: d.heap.external.slice() });
  }
  if (d.heapAll.t.length) {
    lines.push({ label: "V8 heaps used, all threads", color: "#9467bd", t: rel(d.heapAll.t), v: d.heapAll.used.slice(), dash: "2 3" });
  }
  let c = 0;
  for (const [n, s] of d.children) {
    const thread = d.workers.get(n);
    const label = thread === undefined ? `child ${n}` : `worker ${thread} heap (child ${n})`;
    lines.push({ label, color: CHILD_COLORS[c++ % CHILD_COLORS.length], t: rel(s.t), v: s.mem.slice(), marks: true });
  }
  const names = [...new Set(d.funcs.map((f) => f.name))];
  const labels = functionLabels(names);
  const functions = names.map((n, i) => ({ label: labels.get(n) ?? n, color: FUNCTION_COLORS[i % FUNCTION_COLORS.length], calls: 0 }));
  const brackets: PlotBracket[] = [];
  const wanted = o.functions !== false;
  for (const call of d.funcs) {
    const f = names.indexOf(call.name);
    functions[f].calls++;
    if (wanted && brackets.length < MAX_BRACKETS) {
      brackets.push({ f, t0: call.tStart - start, t1: call.tEnd - start, m0: call.memStart, m1: call.memEnd, level: call.level });
    }
  }
  const p = peakOf(d);
  const model: PlotModel = {
    title: o.title ?? d.cmdline ?? "",
    start,
    lines,
    functions: wanted ? functions : [],
    brackets,
    peak: { t: p.t - start, v: p.mem },
    omitted: wanted ? d.funcs.length - brackets.length : 0,
  };
  if (o.slope) model.slope = trend(lines[0].t, lines[0].v);
  return model;
}

/** Memory of the RSS curve at `t` seconds from the start (the page's hover). */
export function rssAt(m: PlotModel, t: number): number {
  return memAt({ t: m.lines[0].t, mem: m.lines[0].v }, t);
}

/**
 * The SVG of `m` in `view`. Self-contained (no imports, no module-level names): the HTML page
 * runs this very function's source.
 */
export function drawPlot(m: PlotModel, view: PlotView): { svg: string; frame: PlotFrame } {
  const W = view.width, H = view.height;
  const legendW = 230;
  const L = 72, T = 44, R = W - legendW, B = H - 52;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const fmt = (x: number, d: number) => (Math.round(x * 10 ** d) / 10 ** d).toFixed(d);
  const nice = (span: number, n: number) => {
    const raw = span / n;
    const p = 10 ** Math.floor(Math.log10(raw || 1));
    const f = raw / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
  };
  let tEnd = 0, vMax = 0;
  for (const l of m.lines) {
    for (const t of l.t) if (t > tEnd) tEnd = t;
    for (const v of l.v) if (v > vMax) vMax = v;
  }
  for (const b of m.brackets) if (b.t1 > tEnd) tEnd = b.t1;
  const t0 = view.window ? view.window[0] : 0;
  const t1 = view.window ? view.window[1] : (tEnd || 1) * 1.02;
  const span = t1 - t0 || 1;
  const v0 = 0;
  const vStep = nice(vMax * 1.08 || 1, 6);
  const v1 = Math.ceil((vMax * 1.08 || 1) / vStep) * vStep;
  const X = (t: number) => L + ((t - t0) / span) * (R - L);
  const Y = (v: number) => B - ((v - v0) / (v1 - v0)) * (B - T);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<defs><clipPath id="area"><rect x="${L}" y="${T}" width="${R - L}" height="${B - T}"/></clipPath></defs>`);
  // Grid and axes.
  const tStep = nice(span, 8);
  const decimals = Math.max(0, -Math.floor(Math.log10(tStep) + 1e-9));
  for (let t = Math.ceil(t0 / tStep) * tStep; t <= t1 + 1e-9; t += tStep) {
    const x = X(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${B}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${B + 16}" text-anchor="middle" fill="#333">${fmt(t, decimals)}</text>`);
  }
  const vDecimals = Math.max(0, -Math.floor(Math.log10(vStep) + 1e-9));
  for (let v = v0; v <= v1 + 1e-9; v += vStep) {
    const y = Y(v).toFixed(1);
    out.push(`<line x1="${L}" y1="${y}" x2="${R}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${L - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${fmt(v, vDecimals)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${R - L}" height="${B - T}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(L + R) / 2}" y="${H - 12}" text-anchor="middle" fill="#000">time (in seconds)</text>`);
  out.push(`<text transform="translate(18 ${(T + B) / 2}) rotate(-90)" text-anchor="middle" fill="#000">memory used (in MiB)</text>`);
  const title = m.title.length > 110 ? `${m.title.slice(0, 107)}...` : m.title;
  out.push(`<text x="${(L + R) / 2}" y="${T - 16}" text-anchor="middle" font-size="14" fill="#000">${esc(title)}</text>`);
  out.push(`<g clip-path="url(#area)">`);
  // Calls first, under the curves: a faint band for each, and mprof's brackets.
  const hs = (R - L) / 60, vs = (B - T) / 20;
  for (const b of m.brackets) {
    if (b.t1 < t0 || b.t0 > t1) continue;
    const c = m.functions[b.f].color;
    const xa = X(b.t0), xb = X(b.t1);
    out.push(`<rect x="${xa.toFixed(1)}" y="${(B - 8 - b.level * 8).toFixed(1)}" width="${Math.max(1, xb - xa).toFixed(1)}" height="7" fill="${c}" fill-opacity="0.45"/>`);
    const ya = Y(b.m0), yb = Y(b.m1);
    out.push(`<path d="M${(xa + hs).toFixed(1)} ${(ya - vs).toFixed(1)}H${xa.toFixed(1)}V${(ya + vs).toFixed(1)}H${(xa + hs).toFixed(1)}" fill="none" stroke="${c}" stroke-width="2"/>`);
    out.push(`<path d="M${(xb - hs).toFixed(1)} ${(yb - vs).toFixed(1)}H${xb.toFixed(1)}V${(yb + vs).toFixed(1)}H${(xb - hs).toFixed(1)}" fill="none" stroke="${c}" stroke-width="2"/>`);
  }
  for (const l of m.lines) {
    const pts: string[] = [];
    let shown = 0;
    for (let i = 0; i < l.t.length; i++) {
      // One point beyond each edge, so the line runs to the frame.
      if (l.t[i] < t0 && !(l.t[i + 1] >= t0)) continue;
      if (l.t[i] > t1 && !(l.t[i - 1] <= t1)) continue;
      pts.push(`${X(l.t[i]).toFixed(1)},${Y(l.v[i]).toFixed(1)}`);
      shown++;
    }
    if (pts.length === 0) continue;
    out.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${l.color}" stroke-width="${l.marks ? 1.6 : 1.8}"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""}/>`);
    if (l.marks && shown <= 400) {
      const d = pts.map((p) => {
        const [x, y] = p.split(",").map(Number);
        return `M${x - 3} ${y}h6M${x} ${y - 3}v6`;
      }).join("");
      out.push(`<path d="${d}" stroke="${l.color}" stroke-width="1"/>`);
    }
  }
  if (m.slope) {
    const s = m.slope;
    out.push(`<line x1="${X(t0)}" y1="${Y(s.intercept + s.slope * t0).toFixed(1)}" x2="${X(t1)}" y2="${Y(s.intercept + s.slope * t1).toFixed(1)}" stroke="#00a8a0" stroke-width="1" stroke-dasharray="5 3"/>`);
  }
  // The peak: mprof's two dashed red lines.
  // On pixel centres: crisp one-pixel dashes.
  const px = (Math.round(X(m.peak.t)) + 0.5).toFixed(1), py = (Math.round(Y(m.peak.v)) + 0.5).toFixed(1);
  out.push(`<line x1="${L}" y1="${py}" x2="${R}" y2="${py}" stroke="#d00000" stroke-dasharray="6 4"/>`);
  out.push(`<line x1="${px}" y1="${T}" x2="${px}" y2="${B}" stroke="#d00000" stroke-dasharray="6 4"/>`);
  out.push(`</g>`);
  const peakText = `peak ${fmt(m.peak.v, 1)} MiB at ${fmt(m.peak.t, 2)} s`;
  const labelX = Math.min(Math.max(Number(px) + 6, L + 4), R - 7 * peakText.length);
  out.push(`<text x="${labelX.toFixed(1)}" y="${(Number(py) - 6).toFixed(1)}" fill="#d00000">${peakText}</text>`);
  // Legend.
  let ly = T + 6;
  const entry = (swatch: string, text: string) => {
    out.push(`<g transform="translate(${R + 14} ${ly})">${swatch}<text x="30" y="4" fill="#000">${esc(text.length > 28 ? `${text.slice(0, 27)}…` : text)}</text></g>`);
    ly += 20;
  };
  for (const l of m.lines) {
    entry(`<line x1="0" y1="0" x2="24" y2="0" stroke="${l.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""}/>`, l.label);
  }
  if (m.slope) entry(`<line x1="0" y1="0" x2="24" y2="0" stroke="#00a8a0" stroke-dasharray="5 3"/>`, `slope ${m.slope.slope.toFixed(5)} MiB/s`);
  entry(`<line x1="0" y1="0" x2="24" y2="0" stroke="#d00000" stroke-dasharray="6 4"/>`, `peak ${fmt(m.peak.v, 1)} MiB`);
  for (const f of m.functions) {
    entry(`<path d="M6 -6H0V6H6M18 -6H24V6H18" fill="none" stroke="${f.color}" stroke-width="2"/>`, `${f.label} ×${f.calls}`);
  }
  if (m.omitted > 0) entry("", `(${m.omitted} more calls not drawn)`);
  out.push(`</svg>`);
  return { svg: out.join("\n"), frame: { left: L, top: T, right: R, bottom: B, t0, t1, v0, v1 } };
}
