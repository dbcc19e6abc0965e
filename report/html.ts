/*
 * `tsprof html`: one self-contained HTML file (styles, script and data inline; nothing fetched),
 * so it opens offline and can be mailed or attached to a ticket.
 */
import type { LprofFile } from "../runtime/lprof";
import { reportClient } from "./html-client";
import { reportData, type ReportData } from "./html-data";
import type { Profile } from "./profile";

export interface HtmlOptions {
  title?: string;
  /** Seconds per displayed time unit (default 1e-6, as `tsprof view`). */
  outputUnit?: number;
  now?: Date;
}

/** JSON that is safe inside `<script>`: no `</script>`, `<!--`, or line separators JavaScript rejects. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

const CSS = `
:root { --fg: #1d1f21; --muted: #6a737d; --line: #e1e4e8; --bg: #fff; --sel: #dbeafe; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; padding: 16px 20px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 16px 0 4px; }
h2 .where { color: var(--muted); font-weight: normal; font-size: 13px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px; font-size: 13px; }
dt { color: var(--muted); }
ol.runs { margin: 4px 0; padding-left: 20px; }
dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.toolbar { display: flex; gap: 12px; align-items: center; margin: 8px 0; }
.toolbar input[type=search] { width: 280px; padding: 4px 6px; }
#count { color: var(--muted); font-size: 13px; }
.fn-table { border: 1px solid var(--line); }
.fn-head, .fn-row { display: grid; grid-template-columns: var(--cols); align-items: center; }
.fn-head { background: #f6f8fa; border-bottom: 1px solid var(--line); }
.th { all: unset; cursor: pointer; padding: 4px 8px; font-weight: 600; font-size: 13px; white-space: nowrap; }
.th:focus-visible { outline: 2px solid #0969da; }
.th.sorted[aria-sort=descending]::after { content: " ▼"; }
.th.sorted[aria-sort=ascending]::after { content: " ▲"; }
#fn-scroll { max-height: min(40vh, 360px); overflow-y: auto; position: relative; }
#fn-spacer { position: relative; }
#fn-rows { position: absolute; left: 0; right: 0; }
.fn-row { height: 24px; cursor: pointer; border-bottom: 1px solid #f0f0f0; font-size: 13px; }
.fn-row:hover { background: #f6f8fa; }
.fn-row.selected { background: var(--sel); }
.fn-row.uncalled { color: var(--muted); }
.td { padding: 0 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; margin-left: 8px; padding: 0 6px; border-radius: 8px; background: #fff3cd; color: #7a5b00; font-size: 11px; font-weight: normal; vertical-align: middle; }
.badge.exact { background: #e6f4ea; color: #1e6b33; }
.summary { margin: 0 0 8px; color: var(--muted); font-size: 13px; white-space: pre-wrap; }
table.lines { border-collapse: collapse; font: 13px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; }
#source { overflow-x: auto; }
table.lines th { white-space: nowrap; position: sticky; top: 0; background: #f6f8fa; padding: 2px 8px; border-bottom: 1px solid var(--line); font-weight: 600; }
table.lines td { padding: 0 8px; white-space: pre; }
table.lines td.code { text-align: left; }
table.lines th.code { text-align: left; }
table.lines tr.ran { background: rgba(255, 90, 20, calc(var(--heat, 0) * 0.75)); }
table.lines tr.hottest td:first-child { box-shadow: inset 4px 0 #c2185b; }
#heat, .toolbar label { font-size: 13px; }
.fn-source { margin-bottom: 20px; }
`;

const BODY = `
<h1 id="title"></h1>
<dl id="meta"></dl>
<div class="toolbar">
  <input id="filter" type="search" placeholder="Filter functions by name or file" aria-label="Filter functions">
  <span id="count"></span>
  <label><input id="all" type="checkbox"> all sources, in list order</label>
  <span id="heat" hidden>Heat by <label><input type="radio" name="heat" value="time" checked> time</label> <label><input type="radio" name="heat" value="memory"> memory allocated</label></span>
</div>
<div class="fn-table" role="table" aria-label="Profiled functions">
  <div class="fn-head" id="fn-head" role="row"></div>
  <div id="fn-scroll"><div id="fn-spacer"><div id="fn-rows"></div></div></div>
</div>
<div id="source"></div>
`;

/** The whole page for a merged profile; `files` give the run metadata and the directory paths are shown relative to. */
export function htmlReport(profile: Profile, files: LprofFile[], options: HtmlOptions = {}): string {
  const data: ReportData = reportData(profile, files, { title: options.title ?? "tsprof report", outputUnit: options.outputUnit, now: options.now });
  const hasWait = data.functions.some((f) => f[6].some((r) => r[3] > 0));
  const cols = ["minmax(160px, 2fr)", "minmax(160px, 2fr)", "100px", "120px", "80px", ...(hasWait ? ["120px"] : []), ...(data.memory ? ["110px"] : [])];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="tsprof">
<title>${escapeHtml(data.title)}</title>
<style>${CSS}.fn-head, .fn-row { --cols: ${cols.join(" ")}; }</style>
</head>
<body>
${BODY}
<script id="tsprof-data" type="application/json">${scriptJson(data)}</script>
<script>
"use strict";
(${reportClient.toString()})(JSON.parse(document.getElementById("tsprof-data").textContent));
</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
