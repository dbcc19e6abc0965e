/*
 * `tsprof html`: a self-contained page, checked in headless Chromium as a person sees it: the
 * hottest line highlighted (DOM and pixels), sorting by clicking headers, 10,000 functions.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { tsprof, makeProject, runNode, ROOT } from "./helpers";
import { bigProfile, sampledProfile, sampleProfile, tempDir, writeJson } from "./html-fixture";
import { findChromium, launch, NO_CHROMIUM, type Page } from "./chromium";
import { decodePng, pixel } from "./png";

const dir = tempDir("tsprof-html-");
const chromium = findChromium();
let page: Page | undefined;

before(async () => {
  if (chromium) page = await launch(chromium);
});
after(async () => {
  await page?.close();
});

function html(args: string[]): string {
  const r = tsprof(["html", ...args], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

test("the page is one offline file: inline script and styles, nothing fetched", () => {
  writeJson(path.join(dir, "out.lprof"), sampleProfile());
  const said = html(["out.lprof"]);
  assert.equal(said, "Wrote HTML report to 'out.html'\n");
  const page = fs.readFileSync(path.join(dir, "out.html"), "utf8");
  assert.doesNotMatch(page, /<(link|img|iframe)\b|\bsrc=|@import|url\(/i);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
  // Source text is data, never markup: a </script> in a source line cannot end the script.
  const evil = sampleProfile();
  evil.runs[0].functions[0].source[2] = "  let s = '</script><script>alert(1)</script>';";
  writeJson(path.join(dir, "evil.lprof"), evil);
  html(["evil.lprof", "-o", "evil.html"]);
  const text = fs.readFileSync(path.join(dir, "evil.html"), "utf8");
  assert.equal(text.split("</script>").length - 1, 2, "only the page's own two scripts close");
});

test("bad input gives one clear line and a non-zero exit", () => {
  fs.writeFileSync(path.join(dir, "junk.lprof"), "hello");
  const bad = tsprof(["html", "junk.lprof"], { cwd: dir });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^tsprof: junk\.lprof is not a tsprof profile \(invalid JSON at byte 0\); re-run the program or pass another file\n$/);
  const none = tsprof(["html"], { cwd: dir });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^tsprof html: no \.lprof file given/);
  const unwritable = tsprof(["html", "out.lprof", "-o", "no/such/dir/x.html"], { cwd: dir });
  assert.equal(unwritable.status, 1);
  assert.equal(unwritable.stderr, "tsprof html: cannot write no/such/dir/x.html (ENOENT); pass a writable path with -o\n");
});

test("Chromium: the hottest line is highlighted, and what the page says matches the profile", { skip: chromium ? false : NO_CHROMIUM }, async () => {
  html(["out.lprof", "-o", "report.html"]);
  await page!.goto(pathToFileURL(path.join(dir, "report.html")).href, "document.body.dataset.ready");
  const seen = await page!.evaluate<any>(`(() => {
    const rows = [...document.querySelectorAll(".fn-row")].map((r) => [...r.children].map((c) => c.firstChild ? c.firstChild.textContent : ""));
    const hot = document.querySelector("tr.hottest");
    const cells = [...hot.children].map((c) => c.textContent);
    const box = hot.getBoundingClientRect();
    const cool = document.querySelector('tr[data-line="3"]').getBoundingClientRect();
    const blank = document.querySelector('tr[data-line="2"]').getBoundingClientRect();
    return { rows, title: document.querySelector("#source h2").firstChild.textContent, cells,
      hot: [box.left, box.top, box.width, box.height], cool: [cool.left, cool.top, cool.width, cool.height], blank: [blank.left, blank.top, blank.width, blank.height],
      meta: document.getElementById("meta").textContent, ran: document.querySelectorAll("tr.ran").length,
      bg: getComputedStyle(hot).backgroundColor };
  })()`);
  // The list opens sorted by time, heaviest first, and the heaviest function is shown.
  assert.deepEqual(seen.rows.map((r: string[]) => r[0]), ["foo", "Cart.bar", "fetchAll", "never"]);
  assert.deepEqual(seen.rows[0], ["foo", "src/a.ts:1", "2003", "1000.0", "86.1", ""]);
  assert.equal(seen.rows[2][5], "5000.0", "fetchAll's wait, in µs");
  assert.equal(seen.title, "foo");
  assert.deepEqual(seen.cells, ["5", "1000", "749.0", "0.7", "74.9", "    s += i;"]);
  assert.equal(seen.ran, 4);
  assert.match(seen.meta, /Command\/usr\/bin\/node \/work\/app\/main\.ts --fast/);
  assert.match(seen.meta, /Timingexact/);
  // Pixels: the hottest line is painted strongly warm, a cool line faintly, a line that never ran not at all.
  const shot = decodePng(await page!.screenshot());
  fs.writeFileSync(path.join(dir, "report.png"), await page!.screenshot());
  const at = (box: number[]) => pixel(shot, Math.round(box[0] + box[2] - 6), Math.round(box[1] + box[3] / 2));
  const [r, g, b] = at(seen.hot);
  assert.ok(r > 230 && g < 160 && b < 120, `hottest line's pixel is ${[r, g, b]}`);
  const cool = at(seen.cool);
  assert.ok(cool[0] === 255 && cool[2] > 230 && cool[2] < 255, `a 0.05% line is faintly warm: ${cool}`);
  assert.deepEqual(at(seen.blank).slice(0, 3), [255, 255, 255]);
});

test("Chromium: clicking headers sorts the list; clicking a function shows its source", { skip: chromium ? false : NO_CHROMIUM }, async () => {
  await page!.goto(pathToFileURL(path.join(dir, "report.html")).href, "document.body.dataset.ready");
  const names = `[...document.querySelectorAll(".fn-row")].map((r) => r.firstChild.firstChild.textContent)`;
  const click = (label: string) => `[...document.querySelectorAll(".th")].find((b) => b.textContent.startsWith(${JSON.stringify(label)})).click()`;
  assert.deepEqual(await page!.evaluate(`(${click("Hits")}, ${names})`), ["Cart.bar", "foo", "fetchAll", "never"]);
  assert.deepEqual(await page!.evaluate(`(${click("Hits")}, ${names})`), ["never", "fetchAll", "foo", "Cart.bar"]);
  assert.equal(await page!.evaluate(`document.querySelector('.th[data-key="hits"]').getAttribute("aria-sort")`), "ascending");
  assert.deepEqual(await page!.evaluate(`(${click("Function")}, ${names})`), ["Cart.bar", "fetchAll", "foo", "never"]);
  const shown = await page!.evaluate<any>(`(() => {
    [...document.querySelectorAll(".fn-row")].find((r) => r.textContent.startsWith("fetchAll")).click();
    const hot = document.querySelector("tr.hottest");
    return { title: document.querySelector("#source h2").firstChild.textContent, summary: document.querySelector(".summary").textContent,
      head: [...document.querySelectorAll("table.lines th")].map((t) => t.textContent), hot: [...hot.children].map((c) => c.textContent) };
  })()`);
  assert.equal(shown.title, "fetchAll");
  assert.deepEqual(shown.head, ["Line #", "Hits", "Time", "Per Hit", "% Time", "Wait", "Line Contents"]);
  assert.deepEqual(shown.hot, ["23", "4", "8.0", "2.0", "98.2", "5000.0", "  for (const u of urls) out.push(await get(u));"]);
  assert.match(shown.summary, /wait: 5\.000 ms \(suspended at await\/yield; not in total time\)/);
  // The arrow keys walk the list in its sorted order.
  const afterKey = await page!.evaluate<string>(`(document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown" })), document.querySelector("#source h2").firstChild.textContent)`);
  assert.equal(afterKey, "foo");
  // "All sources" shows every function's source, heat-mapped, in the list's order.
  const all = await page!.evaluate<any>(`(() => { const box = document.getElementById("all"); box.checked = true; box.dispatchEvent(new Event("change"));
    return [...document.querySelectorAll("#source section")].map((s) => [s.querySelector("h2").firstChild.textContent, s.querySelector("tr.hottest")?.dataset.line ?? null]); })()`);
  assert.deepEqual(all, [["Cart.bar", "13"], ["fetchAll", "23"], ["foo", "5"], ["never", null]]);
  await page!.evaluate(`(() => { const box = document.getElementById("all"); box.checked = false; box.dispatchEvent(new Event("change")); })()`);
  // Filtering narrows the list.
  assert.deepEqual(await page!.evaluate(`(() => { const f = document.getElementById("filter"); f.value = "cart"; f.dispatchEvent(new Event("input")); return ${names}; })()`), ["Cart.bar"]);
});

test("Chromium: sampled functions are marked, and memory heat can be chosen", { skip: chromium ? false : NO_CHROMIUM }, async () => {
  const mem = sampledProfile();
  const r0 = mem.runs[0];
  r0.columns = ["line", "hits", "time", "wait", "samples", "memory", "allocated"];
  r0.functions[0].lines = [[3, 10, 2_000_000, 0, 40, 30_000_000, 9 * 1024 * 1024], [4, 10, 6_000_000, 0, 120, 31_000_000, 1024 * 1024]];
  writeJson(path.join(dir, "sampled.lprof"), mem);
  html(["sampled.lprof", "-o", "sampled.html", "-u", "ms"]);
  await page!.goto(pathToFileURL(path.join(dir, "sampled.html")).href, "document.body.dataset.ready");
  const seen = await page!.evaluate<any>(`(() => ({
    badge: document.querySelector(".fn-row .badge").textContent,
    detail: [...document.querySelectorAll("#source .badge")].map((b) => b.textContent),
    head: [...document.querySelectorAll("table.lines th")].map((t) => t.textContent),
    hotByTime: document.querySelector("tr.hottest").dataset.line,
    meta: document.getElementById("meta").textContent,
    hotByMemory: (document.querySelector('input[value=memory]').click(), document.querySelector("tr.hottest").dataset.line),
  }))()`);
  assert.equal(seen.badge, "sampled");
  assert.deepEqual(seen.detail, ["sampled: times are estimates"]);
  assert.deepEqual(seen.head, ["Line #", "Hits", "Time", "Per Hit", "% Time", "Samples", "Mem usage", "Allocated", "Line Contents"]);
  assert.match(seen.meta, /sampled \(times are estimates; hits are exact\)/);
  assert.match(seen.meta, /Sampler rate4000 Hz/);
  assert.match(seen.meta, /Time unitms/);
  assert.equal(seen.hotByTime, "4");
  assert.equal(seen.hotByMemory, "3");
});

test("Chromium: a profile of several processes lists each run", { skip: chromium ? false : NO_CHROMIUM }, async () => {
  const two = sampleProfile();
  two.runs.push({ ...two.runs[0], id: "2-0-1", pid: 4343, threadId: 1, duration: 0.5, argv: ["/usr/bin/node", "worker.js"] });
  writeJson(path.join(dir, "two.lprof"), two);
  html(["two.lprof"]);
  await page!.goto(pathToFileURL(path.join(dir, "two.html")).href, "document.body.dataset.ready");
  const runs = await page!.evaluate<string[]>(`[...document.querySelectorAll("ol.runs li")].map((li) => li.textContent)`);
  assert.deepEqual(runs, ["pid 4242 · exact · 2.500 s · /usr/bin/node /work/app/main.ts --fast", "pid 4343 thread 1 · exact · 0.500 s · /usr/bin/node worker.js"]);
  // Hits of the same function in both runs add up, as tsprof view merges them.
  assert.equal(await page!.evaluate(`document.querySelector(".fn-row").children[2].textContent`), "4006");
});

test("Chromium: 10,000 functions load without freezing: only visible rows are in the DOM", { skip: chromium ? false : NO_CHROMIUM }, async () => {
  writeJson(path.join(dir, "big.lprof"), bigProfile(10_000));
  html(["big.lprof"]);
  const size = fs.statSync(path.join(dir, "big.html")).size;
  await page!.goto(pathToFileURL(path.join(dir, "big.html")).href, "document.body.dataset.ready");
  const seen = await page!.evaluate<any>(`(() => ({ rows: document.querySelectorAll(".fn-row").length, count: document.getElementById("count").textContent, ready: Number(document.body.dataset.ready) }))()`);
  assert.equal(seen.count, "10,000 of 10,000 functions");
  assert.ok(seen.rows > 0 && seen.rows < 100, `${seen.rows} rows in the DOM`);
  // Scrolled to the end, the last rows are drawn, still few.
  const end = await page!.evaluate<any>(`new Promise((done) => { const s = document.getElementById("fn-scroll"); s.scrollTop = s.scrollHeight;
    requestAnimationFrame(() => requestAnimationFrame(() => { const rows = document.querySelectorAll(".fn-row"); done({ n: rows.length, last: rows[rows.length - 1].firstChild.firstChild.textContent }); })); })`);
  assert.ok(end.n < 100);
  const lightest = await page!.evaluate<string>(`(() => { const fns = JSON.parse(document.getElementById("tsprof-data").textContent).functions;
    let best = null, bestTime = Infinity; for (const f of fns) { const t = f[6].reduce((a, r) => a + r[2], 0); if (t < bestTime) { bestTime = t; best = f[0]; } } return best; })()`);
  assert.equal(end.last, lightest);
  // All sources: drawn ten at a time as the page nears its end, never all 10,000 at once.
  const drawn = await page!.evaluate<number[]>(`new Promise((done) => { const box = document.getElementById("all"); box.checked = true; box.dispatchEvent(new Event("change"));
    const first = document.querySelectorAll("#source section").length; window.scrollTo(0, document.body.scrollHeight);
    setTimeout(() => requestAnimationFrame(() => done([first, document.querySelectorAll("#source section").length])), 300); })`);
  assert.ok(drawn[0] >= 10 && drawn[0] <= 40 && drawn[1] > drawn[0] && drawn[1] < 200, String(drawn));
  process.stdout.write(`10,000 functions: ${(size / 1e6).toFixed(1)} MB, ready ${seen.ready} ms after navigation start\n`);
});

test("tsprof run --html writes the report beside the profile", () => {
  const project = makeProject("tsprof-run-html-");
  fs.writeFileSync(path.join(project, "app.ts"), "/** @profile */\nfunction sq(n: number) {\n  let s = 0;\n  for (let i = 0; i < n; i++) s += i * i;\n  return s;\n}\nconsole.log(sq(1000));\n");
  const r = runNode([path.join(ROOT, "bin", "tsprof.js"), "run", "--html", "app.ts"], { cwd: project });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^332833500\nWrote profile results to 'app\.ts\.lprof'\nWrote HTML report to 'app\.ts\.html'\n/);
  const text = fs.readFileSync(path.join(project, "app.ts.html"), "utf8");
  const data = JSON.parse(/<script id="tsprof-data" type="application\/json">(.*?)<\/script>/s.exec(text)![1]);
  assert.equal(data.files[0], "app.ts");
  assert.deepEqual(data.functions[0][6].map((row: number[]) => [row[0], row[1]]), [[3, 1], [4, 1001], [5, 1]]);
});

test("kernprof's own .lprof pickles make a report too, their source read from the files they name", () => {
  const r = tsprof(["html", "wl.py.lprof", "-o", path.join(dir, "kernprof.html")], { cwd: path.join(ROOT, "fixtures", "kernprof") });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(path.join(dir, "kernprof.html"), "utf8");
  const data = JSON.parse(/<script id="tsprof-data" type="application\/json">(.*?)<\/script>/s.exec(text)![1]);
  assert.deepEqual(data.functions.map((f: unknown[]) => [f[0], f[2], (f[5] as string[])[1], (f[6] as number[][]).map((row) => row[1])]),
    [["foo", 4, "def foo(n):", [1, 20000, 20000, 1]], ["count", 13, "    def count(self, words):", [3, 18, 18, 3]]]);
  assert.equal(data.unit, 1e-9);
});
