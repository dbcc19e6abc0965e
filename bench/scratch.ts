/**
 * Runs bench scripts one after another with every temporary directory they make (projects,
 * profiles, CPU profiles) under one directory, removed when the run ends, finished, failed or
 * interrupted: `node dist/bench/scratch.js dist/bench/run.js dist/bench/view.js`. The leading
 * arguments that name `.js` files are the scripts; the rest are passed to each of them (what
 * `npm run bench:x -- ARGS` appends). Stops at the first script that fails, with its exit status.
 */
import * as fs from "node:fs";
import { runInScratch } from "../test/scratch";

const given = process.argv.slice(2);
let split = 0;
while (split < given.length && given[split].endsWith(".js") && fs.existsSync(given[split])) split++;
const scripts = given.slice(0, split);
const args = given.slice(split);
if (scripts.length === 0) {
  process.stderr.write("bench/scratch: no script given; usage: node dist/bench/scratch.js SCRIPT.js… [ARGS…]\n");
  process.exit(2);
}

runInScratch("tsprof-bench-run-", scripts.map((script) => [script, ...args]));
