import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SUITE = path.join(__dirname, "suite.js");

function runSuite(body: string): { status: number | null; made: string; stdout: string; outside: string } {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-suite-check-"));
  const file = path.join(outside, "probe.test.js");
  const report = path.join(outside, "made.txt");
  fs.writeFileSync(
    file,
    `const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
     const dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-"));
     fs.writeFileSync(path.join(dir, "left.txt"), "x");
     fs.writeFileSync(${JSON.stringify(report)}, dir);
     require("node:test").test("probe", () => { ${body} });`,
  );
  const r = spawnSync(process.execPath, [SUITE, file], { encoding: "utf8", env: { ...process.env, NODE_TEST_CONTEXT: undefined, TMPDIR: outside } });
  return { status: r.status, made: fs.readFileSync(report, "utf8"), stdout: r.stdout, outside };
}

test("npm test's runner removes the temporary directories its tests leave, and keeps their exit status", () => {
  const passed = runSuite("");
  assert.equal(passed.status, 0, passed.stdout);
  assert.ok(passed.made.startsWith(path.join(passed.outside, "tsprof-suite-")), passed.made);
  assert.equal(fs.existsSync(passed.made), false, "the test's directory is gone");
  assert.deepEqual(fs.readdirSync(passed.outside).filter((name) => name.startsWith("tsprof-suite-")), []);

  const failed = runSuite("throw new Error('red');");
  assert.notEqual(failed.status, 0);
  assert.equal(fs.existsSync(failed.made), false);
  for (const dir of [passed.outside, failed.outside]) fs.rmSync(dir, { recursive: true, force: true });
});
