/*
 * The HTML report's script. It runs in the browser: `htmlReport` inlines this function's own
 * text (`reportClient.toString()`), so it must use nothing from outside itself. Only the
 * function list's visible rows exist in the DOM (it stays fast at 10,000 functions), and only
 * the selected function's source is drawn.
 */
import type { FunctionData, ReportData } from "./html-data";

export function reportClient(data: ReportData): void {
  const doc = document;
  const scalar = data.unit / data.outputUnit;
  const ROW = 24;
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const $ = (id: string) => doc.getElementById(id)!;
  const fmt = (x: number) => (x * scalar).toFixed(1);
  const MIB = 1024 * 1024;
  const mib = (b: number) => `${(b / MIB).toFixed(1)} MiB`;
  const secs = (x: number) => {
    const s = x * data.unit;
    return s >= 1 ? `${s.toFixed(3)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(3)} ms` : `${(s * 1e6).toFixed(1)} µs`;
  };

  interface Fn {
    index: number;
    data: FunctionData;
    name: string;
    file: string;
    hits: number;
    time: number;
    wait: number;
    allocated: number;
    sampled: boolean;
  }
  const fns: Fn[] = data.functions.map((d, index) => {
    let hits = 0, time = 0, wait = 0, allocated = 0;
    for (const r of d[6]) {
      hits += r[1];
      time += r[2];
      wait += r[3];
      allocated += r[6];
    }
    return { index, data: d, name: d[0], file: `${data.files[d[1]]}:${d[2]}`, hits, time, wait, allocated, sampled: d[4] === 1 };
  });
  const grand = fns.reduce((a, f) => a + f.time, 0);

  // Run metadata.
  doc.title = data.title;
  $("title").textContent = data.title;
  const meta = $("meta");
  const addMeta = (k: string, v: string) => {
    meta.append(el("dt", "", k), el("dd", "", v));
  };
  const sampledRuns = data.runs.filter((r) => r.mode === "sampled");
  addMeta("Functions", `${fns.length.toLocaleString("en-US")} (${fns.filter((f) => f.hits > 0).length.toLocaleString("en-US")} called)`);
  addMeta("Time", `${secs(grand)}: the profiled functions' times, summed (a function's time includes the profiled functions it calls)`);
  addMeta("Timing", data.modes.map((m) => (m === "sampled" ? "sampled (times are estimates; hits are exact)" : m === "exact" ? "exact (a clock read per line, probe cost subtracted)" : m)).join(", ") || "exact");
  if (sampledRuns.length && sampledRuns[0].rate) addMeta("Sampler rate", `${sampledRuns[0].rate} Hz`);
  if (data.memory) addMeta("Memory", "measured per line");
  if (data.runs.length) {
    const r = data.runs[0];
    addMeta("Command", r.command);
    addMeta("Directory", r.cwd);
    addMeta("Node", r.node);
    addMeta("Started", r.start);
    addMeta("Duration", `${r.duration.toFixed(3)} s${r.complete ? "" : " (written before the program ended)"}`);
    if (data.runs.length > 1) {
      const runs = el("details");
      runs.append(el("summary", "", `${data.runs.length} processes and threads, merged`));
      const list = el("ol", "runs");
      for (const x of data.runs) {
        list.append(el("li", "", `pid ${x.pid}${x.threadId ? ` thread ${x.threadId}` : ""} · ${x.mode} · ${x.duration.toFixed(3)} s${x.complete ? "" : " (not finished)"} · ${x.command}`));
      }
      runs.append(list);
      const dd = el("dd");
      dd.append(runs);
      meta.append(el("dt", "", "Runs"), dd);
    }
  }
  addMeta("Time unit", `${data.unitLabel} (Time and Per Hit columns)`);

  // The function list: sortable, filterable, virtualized.
  type Key = "name" | "file" | "hits" | "time" | "percent" | "wait" | "allocated";
  const columns: { key: Key; label: string; num: boolean }[] = [
    { key: "name", label: "Function", num: false },
    { key: "file", label: "File:line", num: false },
    { key: "hits", label: "Hits", num: true },
    { key: "time", label: `Time (${data.unitLabel})`, num: true },
    { key: "percent", label: "% of sum", num: true },
    ...(fns.some((f) => f.wait > 0) ? [{ key: "wait" as Key, label: `Wait (${data.unitLabel})`, num: true }] : []),
    ...(data.memory ? [{ key: "allocated" as Key, label: "Allocated", num: true }] : []),
  ];
  let sortKey: Key = "time";
  let descending = true;
  let view: Fn[] = fns.slice();
  let selected: Fn | undefined;
  const head = $("fn-head");
  const scroller = $("fn-scroll");
  const spacer = $("fn-spacer");
  const filter = $("filter") as HTMLInputElement;
  const value = (f: Fn, k: Key): number | string => (k === "percent" ? f.time : k === "name" ? f.name : k === "file" ? f.file : f[k]);
  const cell = (f: Fn, k: Key): string => {
    if (k === "name") return f.name;
    if (k === "file") return f.file;
    if (k === "hits") return String(f.hits);
    if (k === "percent") return grand ? `${((100 * f.time) / grand).toFixed(1)}` : "";
    if (k === "allocated") return f.hits ? mib(f.allocated) : "";
    if (k === "wait") return f.wait ? fmt(f.wait) : "";
    return fmt(f.time);
  };
  const headers = columns.map((c) => {
    const th = el("button", `th${c.num ? " num" : ""}`, c.label);
    th.dataset.key = c.key;
    th.setAttribute("role", "columnheader");
    th.onclick = () => {
      if (sortKey === c.key) descending = !descending;
      else {
        sortKey = c.key;
        descending = c.num;
      }
      apply();
    };
    head.append(th);
    return th;
  });
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    view = q ? fns.filter((f) => f.name.toLowerCase().includes(q) || f.file.toLowerCase().includes(q)) : fns.slice();
    const k = sortKey;
    const sign = descending ? -1 : 1;
    view.sort((a, b) => {
      const x = value(a, k), y = value(b, k);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return c * sign || a.index - b.index;
    });
    for (const th of headers) {
      const on = th.dataset.key === sortKey;
      th.setAttribute("aria-sort", on ? (descending ? "descending" : "ascending") : "none");
      th.classList.toggle("sorted", on);
    }
    $("count").textContent = `${view.length.toLocaleString("en-US")} of ${fns.length.toLocaleString("en-US")} functions`;
    spacer.style.height = `${view.length * ROW}px`;
    drawn = "";
    draw();
    if (showAll) drawSource();
  };
  let drawn = "";
  const rowsBox = $("fn-rows");
  const draw = () => {
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - 5);
    const last = Math.min(view.length, first + Math.ceil(scroller.clientHeight / ROW) + 10);
    const key = `${first}:${last}:${selected?.index}`;
    if (key === drawn) return;
    drawn = key;
    rowsBox.replaceChildren();
    rowsBox.style.top = `${first * ROW}px`;
    for (let i = first; i < last; i++) {
      const f = view[i];
      const row = el("div", `fn-row${f === selected ? " selected" : ""}${f.hits ? "" : " uncalled"}`);
      row.dataset.index = String(f.index);
      row.setAttribute("role", "row");
      for (const c of columns) {
        const td = el("span", `td${c.num ? " num" : ""}`, cell(f, c.key));
        if (c.key === "name" && f.sampled) td.append(el("span", "badge", "sampled"));
        row.append(td);
      }
      row.onclick = () => select(f);
      rowsBox.append(row);
    }
  };
  scroller.addEventListener("scroll", draw, { passive: true });
  filter.addEventListener("input", apply);
  addEventListener("resize", draw);

  // The selected function's source, heat-mapped.
  let heatBy: "time" | "memory" = "time";
  const select = (f: Fn) => {
    selected = f;
    drawn = "";
    draw();
    if (showAll) {
      // All sources are drawn in list order: draw down to this one and bring it into view.
      batch?.(view.indexOf(f));
      doc.querySelector(`#source section[data-index="${f.index}"]`)?.scrollIntoView();
    } else drawSource();
    history.replaceState(null, "", `#fn=${f.index}`);
  };
  // One section per drawn function; with "all sources", sections are added as the page scrolls near its end.
  let showAll = false;
  let more: IntersectionObserver | undefined;
  const drawSource = () => {
    const box = $("source");
    more?.disconnect();
    box.replaceChildren();
    if (!showAll) {
      if (selected) box.append(functionSource(selected));
      return;
    }
    let next = 0;
    const sentinel = el("div", "more");
    box.append(sentinel);
    batch = (upTo = next + 9) => {
      for (const end = Math.min(view.length, upTo + 1); next < end; next++) sentinel.before(functionSource(view[next]));
      if (next >= view.length) {
        more?.disconnect();
        sentinel.remove();
      }
    };
    batch();
    more = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && batch!(), { rootMargin: "600px" });
    more.observe(sentinel);
  };
  let batch: ((upTo?: number) => void) | undefined;
  const functionSource = (f: Fn): HTMLElement => {
    const box = el("section", "fn-source");
    box.dataset.index = String(f.index);
    const [name, , first, kind, , source, rows] = f.data;
    const byLine = new Map(rows.map((r) => [r[0], r]));
    const title = el("h2", "", `${name}`);
    title.append(el("span", "where", `  ${f.file}  ·  ${kind}`));
    if (f.sampled) title.append(el("span", "badge", "sampled: times are estimates"));
    else title.append(el("span", "badge exact", "exact"));
    box.append(title);
    const summary = [`Total time: ${secs(f.time)}`, `hits: ${f.hits.toLocaleString("en-US")}`];
    if (f.wait) summary.push(`wait: ${secs(f.wait)} (suspended at await/yield; not in total time)`);
    if (data.memory) summary.push(`allocated: ${mib(f.allocated)}`);
    box.append(el("p", "summary", summary.join("   ")));
    const hasWait = rows.some((r) => r[3] > 0);
    const hasSamples = rows.some((r) => r[4] > 0);
    const cols = ["Line #", "Hits", "Time", "Per Hit", "% Time"];
    if (hasWait) cols.push("Wait");
    if (hasSamples) cols.push("Samples");
    if (data.memory) cols.push("Mem usage", "Allocated");
    const table = el("table", "lines");
    const thead = el("tr");
    for (const c of [...cols, "Line Contents"]) thead.append(el("th", c === "Line Contents" ? "code" : "num", c));
    const thead0 = el("thead");
    thead0.append(thead);
    table.append(thead0);
    const body = el("tbody");
    const maxAlloc = Math.max(0, ...rows.map((r) => r[6]));
    const measure = (r: (typeof rows)[number]) => (heatBy === "memory" ? (maxAlloc ? r[6] / maxAlloc : 0) : f.time ? r[2] / f.time : 0);
    let hottest = -1;
    let hottestValue = 0;
    for (const r of rows) {
      const v = heatBy === "memory" ? r[6] : r[2];
      if (v > hottestValue) {
        hottestValue = v;
        hottest = r[0];
      }
    }
    source.forEach((text, i) => {
      const line = first + i;
      const r = byLine.get(line);
      const tr = el("tr");
      tr.dataset.line = String(line);
      const cells: string[] = [String(line)];
      if (r) {
        cells.push(String(r[1]), fmt(r[2]), r[1] ? fmt(r[2] / r[1]) : "", f.time ? ((100 * r[2]) / f.time).toFixed(1) : "");
        if (hasWait) cells.push(r[3] ? fmt(r[3]) : "");
        if (hasSamples) cells.push(r[4] ? String(r[4]) : "");
        if (data.memory) cells.push(r[5] ? mib(r[5]) : "", r[1] ? mib(r[6]) : "");
        const share = measure(r);
        // A square root spreads the small shares apart; the hottest line is always the reddest.
        if (share > 0) tr.style.setProperty("--heat", String(Math.sqrt(share)));
        tr.classList.add("ran");
        if (r[0] === hottest) tr.classList.add("hottest");
      } else {
        while (cells.length < cols.length) cells.push("");
      }
      for (const c of cells) tr.append(el("td", "num", c));
      tr.append(el("td", "code", text));
      body.append(tr);
    });
    table.append(body);
    box.append(table);
    return box;
  };
  $("all").addEventListener("change", (e) => {
    showAll = (e.target as HTMLInputElement).checked;
    drawSource();
  });
  // Up and down arrows (or j and k) move the selection through the list as it is sorted.
  doc.addEventListener("keydown", (e) => {
    const step = e.key === "ArrowDown" || e.key === "j" ? 1 : e.key === "ArrowUp" || e.key === "k" ? -1 : 0;
    if (!step || e.target === filter || e.altKey || e.ctrlKey || e.metaKey || !view.length) return;
    const at = selected ? view.indexOf(selected) : -1;
    const i = at < 0 ? 0 : Math.min(view.length - 1, Math.max(0, at + step));
    if (view[i] === selected) return;
    e.preventDefault();
    if (i * ROW < scroller.scrollTop) scroller.scrollTop = i * ROW;
    else if ((i + 1) * ROW > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = (i + 1) * ROW - scroller.clientHeight;
    select(view[i]);
  });
  if (data.memory) {
    const toggle = $("heat");
    toggle.hidden = false;
    toggle.addEventListener("change", (e) => {
      heatBy = (e.target as HTMLInputElement).value === "memory" ? "memory" : "time";
      drawSource();
    });
  }

  apply();
  const fromHash = /^#fn=(\d+)$/.exec(location.hash);
  const initial = fromHash ? fns[Number(fromHash[1])] : view[0];
  if (initial) select(initial);
  doc.body.dataset.ready = String(Math.round(performance.now()));
  // The second frame callback runs once the first frame (layout and paint) is done.
  requestAnimationFrame(() => requestAnimationFrame(() => (doc.body.dataset.painted = String(Math.round(performance.now())))));
}
