/**
 * `npm test`: runs every test file with the temporary directories they make (projects, npm
 * installs, profiles) under one directory, removed when the run ends, passed or failed or
 * interrupted. Arguments replace the file list: `node dist/test/suite.js dist/test/view.test.js`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runInScratch } from "./scratch";

const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : fs
        .readdirSync(__dirname)
        .filter((name) => name.endsWith(".test.js"))
        .sort()
        .map((name) => path.join(__dirname, name));

runInScratch("tsprof-suite-", [["--test", "--test-concurrency=2", ...files]]);
