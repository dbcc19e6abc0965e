/**
 * `tsprof mprof plot -o out.html`: one offline page, no network. It carries the plot model as
 * JSON and drawPlot's own source (mprof-plot.ts), and a few lines of script: drag to zoom into a
 * time window, the wheel to zoom around the pointer, double-click (or Reset) to see it all, `#window=T0,T1` in the address to open a window, and a
 * readout of every curve's value under the pointer. A chart library was not worth its weight
 * here: the page redraws with the very function that draws the SVG and PNG.
 */
import { drawPlot, type PlotModel } from "./mprof-plot";

const PAGE_SCRIPT = String.raw`
const model = JSON.parse(document.getElementById("model").textContent);
const box = document.getElementById("plot"), tip = document.getElementById("tip"), sel = document.getElementById("sel");
let win = JSON.parse(document.getElementById("window").textContent), frame = null, dragFrom = null;
const W = 1100, H = 560;
function full() { let e = 0; for (const l of model.lines) for (const t of l.t) e = Math.max(e, t); for (const b of model.brackets) e = Math.max(e, b.t1); return [0, e || 1]; }
function render() {
  const r = drawPlot(model, { width: W, height: H, window: win || undefined });
  box.innerHTML = r.svg; frame = r.frame;
  document.getElementById("range").textContent = frame.t0.toFixed(3) + " s – " + frame.t1.toFixed(3) + " s";
}
function timeAt(ev) { const rect = box.firstElementChild.getBoundingClientRect(); const x = (ev.clientX - rect.left) * W / rect.width; return { x, t: frame.t0 + (x - frame.left) / (frame.right - frame.left) * (frame.t1 - frame.t0) }; }
function valueAt(l, t) {
  const ts = l.t; if (!ts.length || t < ts[0] || t > ts[ts.length - 1]) return null;
  let lo = 0, hi = ts.length - 1; while (hi - lo > 1) { const m = (lo + hi) >> 1; if (ts[m] <= t) lo = m; else hi = m; }
  return Math.abs(ts[lo] - t) <= Math.abs(ts[hi] - t) ? l.v[lo] : l.v[hi];
}
box.addEventListener("mousemove", (ev) => {
  if (!frame) return; const p = timeAt(ev);
  if (dragFrom !== null) { const a = Math.min(dragFrom.x, p.x), b = Math.max(dragFrom.x, p.x); sel.style.display = "block"; const k = box.firstElementChild.getBoundingClientRect().width / W; sel.style.left = (a * k) + "px"; sel.style.width = ((b - a) * k) + "px"; }
  if (p.x < frame.left || p.x > frame.right) { tip.style.display = "none"; return; }
  const rows = ["<b>" + p.t.toFixed(3) + " s</b>"];
  for (const l of model.lines) { const v = valueAt(l, p.t); if (v !== null) rows.push('<span style="color:' + l.color + '">■</span> ' + l.label + ": " + v.toFixed(1) + " MiB"); }
  for (const b of model.brackets) if (b.t0 <= p.t && p.t <= b.t1) rows.push('<span style="color:' + model.functions[b.f].color + '">[ ]</span> ' + model.functions[b.f].label + " (" + (b.t1 - b.t0).toFixed(3) + " s)");
  tip.innerHTML = rows.join("<br>"); tip.style.display = "block";
  tip.style.left = (ev.pageX + 14) + "px"; tip.style.top = (ev.pageY + 10) + "px";
});
box.addEventListener("mouseleave", () => { tip.style.display = "none"; });
box.addEventListener("mousedown", (ev) => { if (frame) { dragFrom = timeAt(ev); ev.preventDefault(); } });
window.addEventListener("mouseup", (ev) => {
  if (dragFrom === null) return; const p = timeAt(ev); sel.style.display = "none";
  const a = Math.min(dragFrom.t, p.t), b = Math.max(dragFrom.t, p.t); dragFrom = null;
  if (b - a > (frame.t1 - frame.t0) / 200) { win = [a, b]; render(); }
});
box.addEventListener("wheel", (ev) => {
  if (!frame) return; ev.preventDefault(); const p = timeAt(ev); const k = ev.deltaY < 0 ? 0.8 : 1.25;
  const [f0, f1] = full(); let a = p.t - (p.t - frame.t0) * k, b = p.t + (frame.t1 - p.t) * k;
  if (b - a >= f1 - f0) { win = null; } else { if (a < f0) { b += f0 - a; a = f0; } if (b > f1) { a -= b - f1; b = f1; } win = [a, b]; }
  render();
}, { passive: false });
box.addEventListener("dblclick", () => { win = null; render(); });
document.getElementById("reset").addEventListener("click", () => { win = null; render(); });
// A link may open a window of its own: page.html#window=0.5,1.25
const fromHash = /window=([-\d.e]+),([-\d.e]+)/.exec(location.hash);
if (fromHash && Number(fromHash[2]) > Number(fromHash[1])) win = [Number(fromHash[1]), Number(fromHash[2])];
render();
`;

/** The page for `m`; `generator` names what wrote it; `window` is the time window it opens on (`-w`). */
export function plotHtml(m: PlotModel, generator: string, window?: [number, number]): string {
  // `</script>` inside the JSON would end the element early.
  const json = JSON.stringify(m).replace(/</g, "\\u003c");
  const title = (m.title || "memory usage").replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="${generator.replace(/"/g, "&quot;")}">
<title>${title}</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 16px; color: #111; }
#wrap { position: relative; width: 1100px; max-width: 100%; user-select: none; }
#plot svg { width: 100%; height: auto; display: block; cursor: crosshair; }
#sel { position: absolute; top: 44px; height: 464px; background: rgba(31,119,180,0.15); display: none; pointer-events: none; }
#tip { position: absolute; display: none; background: rgba(255,255,255,0.95); border: 1px solid #999; padding: 6px 8px; font-size: 12px; pointer-events: none; white-space: nowrap; }
.bar { font-size: 13px; margin: 6px 0 10px; }
</style>
</head>
<body>
<div class="bar">Drag across the plot to zoom in, use the wheel to zoom around the pointer, double-click to see all. <button id="reset">Reset</button> <span id="range"></span></div>
<div id="wrap"><div id="plot"></div><div id="sel"></div></div>
<div id="tip"></div>
<script type="application/json" id="model">${json}</script>
<script type="application/json" id="window">${JSON.stringify(window ?? null)}</script>
<script>
const drawPlot = ${drawPlot.toString()};
${PAGE_SCRIPT}
</script>
</body>
</html>
`;
}
