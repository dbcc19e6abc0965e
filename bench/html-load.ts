/*
 * `node dist/bench/html-load.js`: how fast the HTML report opens in headless Chromium, at 100,
 * 1,000 and 10,000 functions (12 timed lines each), against a peer page that embeds the same
 * data and only parses it (JSON.parse, no rendering): the ratio (report's first frame over the
 * peer's parse) is what drawing the report costs on top of reading its data. Also times one re-sort of the function list (a header
 * click). Times are from navigation start; median of RUNS loads (default 5). Writes bench/results/html-load.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { mergeProfiles } from "../report/profile";
import { htmlReport } from "../report/html";
import { reportData } from "../report/html-data";
import { bigProfile } from "../test/html-fixture";
import { findChromium, launch } from "../test/chromium";

const RUNS = Number(process.env.RUNS ?? 5);
const SIZES = [100, 1_000, 10_000];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) {
    console.log("html-load: Chromium is not installed (Debian: apt-get install chromium); nothing measured");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-html-bench-"));
  const page = await launch(chromium);
  const results: Record<string, unknown>[] = [];
  try {
    for (const n of SIZES) {
      const files = [bigProfile(n)];
      const profile = mergeProfiles(files);
      const report = path.join(dir, `report-${n}.html`);
      const peer = path.join(dir, `peer-${n}.html`);
      const started = process.hrtime.bigint();
      fs.writeFileSync(report, htmlReport(profile, files, { title: `bench ${n}` }));
      const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
      const json = JSON.stringify(reportData(profile, files, { title: "peer" })).replace(/</g, "\\u003c");
      fs.writeFileSync(peer, `<!doctype html><meta charset="utf-8"><body><script id="d" type="application/json">${json}</script>`
        + `<script>const d = JSON.parse(document.getElementById("d").textContent); document.body.textContent = d.functions.length + " functions"; document.body.dataset.ready = String(Math.round(performance.now()));</script>`);
      const ready: number[] = [], peerReady: number[] = [], sort: number[] = [], paint: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await page.goto(pathToFileURL(peer).href, "document.body.dataset.ready");
        peerReady.push(Number(await page.evaluate("document.body.dataset.ready")));
        await page.goto(pathToFileURL(report).href, "document.body.dataset.painted");
        ready.push(Number(await page.evaluate("document.body.dataset.ready")));
        paint.push(Number(await page.evaluate("document.body.dataset.painted")));
        sort.push(await page.evaluate<number>(`(() => { const t = performance.now(); document.querySelector('.th[data-key="hits"]').click(); return performance.now() - t; })()`));
      }
      const row = {
        functions: n, megabytes: Number((fs.statSync(report).size / 1e6).toFixed(2)), writeMs: Math.round(writeMs),
        readyMs: median(ready), firstPaintMs: median(paint), peerReadyMs: median(peerReady), ratio: Number((median(paint) / median(peerReady)).toFixed(2)), sortMs: Number(median(sort).toFixed(1)),
      };
      results.push(row);
      console.log(`${String(n).padStart(6)} functions  ${row.megabytes.toFixed(2).padStart(6)} MB  written in ${row.writeMs} ms  script done ${row.readyMs} ms, first frame ${row.firstPaintMs} ms (parse-only peer ${row.peerReadyMs} ms, ${row.ratio}x)  re-sort ${row.sortMs} ms`);
    }
  } finally {
    await page.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const out = path.join(__dirname, "..", "..", "bench", "results");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "html-load.json"), JSON.stringify({ node: process.version, runs: RUNS, load: os.loadavg()[0], results }, null, 2) + "\n");
}

void main();
