/*
 * The exit write merges what belongs together and replaces what does not, and a file older than
 * the session is replaced without being read: runs of this process tree (children, workers, one
 * after another), and of processes still running when we started, are kept; a previous
 * execution's profile is replaced.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readRegularFile, sessionStart, writeRun, NotAFileError } from "../runtime/writer";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofRun } from "../runtime/lprof";
import { compile, makeProject, profEnv, runNode } from "./helpers";
import { readLprof } from "../report/read";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-writer-"));
  dirs.push(dir);
  return dir;
}

const NOW = Date.now();
const MINUTE = 60_000;

function runOf(id: string, session: string, end: number): LprofRun {
  return {
    id, session, pid: 1, threadId: 0, argv: ["node"], cwd: "/", node: "v20", start: new Date(end - 1000).toISOString(),
    end: new Date(end).toISOString(), duration: 1, mode: "exact", columns: ["line", "hits", "time"], complete: true,
    calibration: { probe: 0, call: 0 }, functions: [],
  };
}

/** A profile holding `runs`, last modified at `mtime`. */
function existing(file: string, runs: LprofRun[], mtime: number): void {
  const data: LprofFile = { format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9, runs };
  fs.writeFileSync(file, JSON.stringify(data));
  fs.utimesSync(file, mtime / 1000, mtime / 1000);
}

const ids = (file: string) => (JSON.parse(fs.readFileSync(file, "utf8")) as LprofFile).runs.map((r) => r.id).sort();

test("a session's start is read from its id; an id with none, or a start after ours, gives none", () => {
  assert.equal(sessionStart(`42-${NOW - MINUTE}`, NOW), NOW - MINUTE);
  assert.equal(sessionStart("my-session", NOW), undefined);
  assert.equal(sessionStart("s1", NOW), undefined);
  assert.equal(sessionStart(`42-${NOW + 10 * MINUTE}`, NOW), undefined);
  assert.equal(sessionStart(`42-${NOW}.5`, NOW), undefined);
});

test("a file last modified before the session began is replaced without being read", () => {
  const dir = tmp();
  const file = path.join(dir, "out.lprof");
  const session = `42-${NOW - MINUTE}`;
  // A run of our own session, in a file older than the session: read, it would be kept (as the
  // control below shows), so its absence shows the file was not read.
  existing(file, [runOf("old", session, NOW - 2 * MINUTE)], NOW - 2 * MINUTE);
  writeRun(file, runOf("ours", session, NOW), NOW);
  assert.deepEqual(ids(file), ["ours"]);

  existing(file, [runOf("old", session, NOW - 2 * MINUTE)], NOW);
  writeRun(file, runOf("ours", session, NOW), NOW);
  assert.deepEqual(ids(file), ["old", "ours"]);
});

test("one process after another in one session: the earlier one's run is kept, though it ended before the later one started", () => {
  const dir = tmp();
  const file = path.join(dir, "out.lprof");
  const session = `42-${NOW - 10 * MINUTE}`;
  // The first child wrote 5 minutes ago; the second started a minute ago.
  existing(file, [runOf("first", session, NOW - 5 * MINUTE)], NOW - 5 * MINUTE);
  writeRun(file, runOf("second", session, NOW), NOW - MINUTE);
  assert.deepEqual(ids(file), ["first", "second"]);
});

test("another process's run, written after we started, is kept; one that ended before is replaced", () => {
  const dir = tmp();
  const file = path.join(dir, "out.lprof");
  const start = NOW - MINUTE;
  existing(file, [runOf("running", `7-${NOW - 2 * MINUTE}`, NOW - 30_000), runOf("ended", `8-${NOW - 3 * MINUTE}`, NOW - 2 * MINUTE)], NOW - 30_000);
  writeRun(file, runOf("ours", `42-${start}`, NOW), start);
  assert.deepEqual(ids(file), ["ours", "running"]);
});

test("a session id without a start time has the file read whatever its age", () => {
  const dir = tmp();
  const file = path.join(dir, "out.lprof");
  existing(file, [runOf("old", "shared", NOW - 2 * MINUTE)], NOW - 2 * MINUTE);
  writeRun(file, runOf("ours", "shared", NOW), NOW);
  assert.deepEqual(ids(file), ["old", "ours"]);
});

test("a file time in whole seconds (a coarse file system's) allows 3 s of slack: a file from up to 2 s before the session is read", () => {
  const dir = tmp();
  const file = path.join(dir, "out.lprof");
  const session = `42-${NOW}`;
  // The second before the session began, truncated as such file systems truncate: 1-2 s before it.
  const second = Math.floor(NOW / 1000) * 1000 - 1000;
  existing(file, [runOf("sibling", session, NOW)], second);
  assert.equal(fs.statSync(file, { bigint: true }).mtimeNs % 1_000_000n, 0n);
  writeRun(file, runOf("ours", session, NOW), NOW);
  assert.deepEqual(ids(file), ["ours", "sibling"]);
  // Older than the slack: replaced unread.
  existing(file, [runOf("sibling", session, NOW)], second - 3000);
  writeRun(file, runOf("ours", session, NOW), NOW);
  assert.deepEqual(ids(file), ["ours"]);
});

test("a file time finer than a millisecond allows 50 ms of slack: a file from 200 ms before the session is replaced unread, one from 20 ms before is read", () => {
  const dir = tmp();
  const file = path.join(dir, "out.lprof");
  const session = `42-${NOW}`;
  for (const [before, kept] of [[200, false], [20, true]] as const) {
    // A run of our own session: read, it is kept.
    existing(file, [runOf("sibling", session, NOW)], NOW - before + 0.4321);
    assert.notEqual(fs.statSync(file, { bigint: true }).mtimeNs % 1_000_000n, 0n, "the file system keeps sub-millisecond times");
    writeRun(file, runOf("ours", session, NOW), NOW);
    assert.deepEqual(ids(file), kept ? ["ours", "sibling"] : ["ours"]);
  }
});

test("an old output path that is not a regular file is still refused", { skip: process.platform === "win32" && "no FIFOs" }, () => {
  const dir = tmp();
  const fifo = path.join(dir, "pipe");
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  if (spawnSync("mkfifo", [fifo]).status !== 0) return;
  fs.utimesSync(fifo, (NOW - MINUTE) / 1000, (NOW - MINUTE) / 1000);
  assert.throws(() => readRegularFile(fifo, 1 << 20, NOW), NotAFileError);
});

test("processes run one after another under one session (as tsprof run's children): every run is in the profile", () => {
  const dir = makeProject("tsprof-writer-");
  dirs.push(dir);
  const source = `/** @profile */
function work(n: number) {
  let s = 0;
  for (let i = 0; i < n; i++) s += i;
  return s;
}
console.log(work(10));
`;
  fs.writeFileSync(path.join(dir, "prog.js"), compile(source, path.join(dir, "prog.ts")));
  const out = path.join(dir, "out.lprof");
  // The session began ten minutes ago (a long-running parent); the first child wrote five minutes ago.
  const env = profEnv(out, { TSPROF_SESSION: `${process.pid}-${Date.now() - 10 * MINUTE}` });
  assert.equal(runNode(["prog.js"], { cwd: dir, env }).stdout, "45\n");
  const aged = (Date.now() - 5 * MINUTE) / 1000;
  fs.utimesSync(out, aged, aged);
  assert.equal(runNode(["prog.js"], { cwd: dir, env }).stdout, "45\n");
  assert.equal(readLprof(out).runs.length, 2);
  // A new session (a rerun) replaces them: the file predates it.
  assert.equal(runNode(["prog.js"], { cwd: dir, env: profEnv(out) }).stdout, "45\n");
  assert.equal(readLprof(out).runs.length, 1);
});
