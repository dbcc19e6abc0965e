/*
 * The shortcuts that keep tsprof's own cost down must not change what it measures: V8 timing
 * takes a profiled script's text from the loader instead of V8's debugger, so that text must be
 * exactly what V8 runs.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeProject, profEnv, tsprof } from "./helpers";
import { readLprof } from "../report/read";

const SYNC_HOOKS = typeof (require("node:module") as { registerHooks?: unknown }).registerHooks === "function";

/** A program that compares, for each of its modules, the loader's registry with V8's own source. */
const CHECK = `
import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";
export function check(files: string[]): string {
  const record = (globalThis as any)[Symbol.for("tsprof.scripts")] as { scripts: Map<string, string | null>; trusted: boolean } | undefined;
  const registry = record?.trusted ? record.scripts : undefined;
  const s = new Session();
  s.connect();
  const ids = new Map<string, string>();
  s.on("Debugger.scriptParsed", (m: any) => ids.set(m.params.url, m.params.scriptId));
  s.post("Debugger.enable", () => undefined);
  const out: string[] = [];
  for (const f of files) {
    const known = registry?.get(f);
    let v8 = "";
    s.post("Debugger.getScriptSource", { scriptId: ids.get(pathToFileURL(f).href) }, (_e: unknown, r: any) => (v8 = r?.scriptSource ?? ""));
    out.push(known === undefined ? "unknown" : known === null ? (v8.includes(".register(") ? "null, but instrumented" : "null") : known === v8 ? "same" : "different");
  }
  s.disconnect();
  return out.join(",");
}
`;

test("V8 timing: the loader's record of each module's code is the text V8 runs (profiled: the code; unprofiled: none kept)", () => {
  const dir = makeProject("tsprof-own-cost-");
  for (const [sub, type, ext] of [["cjs", "commonjs", ""], ["esm", "module", ".js"]] as const) {
    const d = path.join(dir, sub);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "package.json"), JSON.stringify({ type }));
    fs.writeFileSync(path.join(d, "check.ts"), CHECK);
    fs.writeFileSync(path.join(d, "hot.ts"), `/** @profile */\nexport function hot(n: number): number {\n  let s = 0;\n  for (let i = 0; i < n; i++) s += i % 7;\n  return s;\n}\n`);
    fs.writeFileSync(path.join(d, "plain.ts"), `export const twice = (x: number): number => x * 2;\n`);
    fs.writeFileSync(path.join(d, "main.ts"), [
      `import { check } from "./check${ext}";`,
      `import { hot } from "./hot${ext}";`,
      `import { twice } from "./plain${ext}";`,
      `console.log(twice(hot(200_000)) > 0, check(["hot.ts", "plain.ts"].map((f) => ${type === "module" ? "new URL(f, import.meta.url).pathname" : "require(\"node:path\").join(__dirname, f)"})));`,
    ].join("\n"));
    const out = path.join(d, "main.lprof");
    const r = tsprof(["run", "-q", "--v8", "-o", out, "main.ts"], { cwd: d, env: profEnv(out) });
    assert.equal(r.status, 0, r.stderr);
    // Node 20's ES-module hooks compile in their own thread, which keeps no record: V8's debugger is read then.
    const expected = type === "module" && !SYNC_HOOKS ? "unknown,unknown" : "same,null";
    assert.equal(r.stdout.trim(), `true ${expected}`, sub);
    const hot = readLprof(out).runs.flatMap((run) => run.functions).find((f) => f.name === "hot");
    assert.ok(hot, `${sub}: hot was profiled`);
    assert.equal(hot.lines.find((row) => row[0] === 4)?.[1], 200_001, `${sub}: the loop header's hits`);
  }
});
