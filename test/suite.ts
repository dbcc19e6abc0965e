/**
 * `npm test`: runs every test file with the temporary directories they make (projects, npm
 * installs, profiles) under one directory, removed when the run ends, passed or failed or
 * interrupted. Arguments replace the file list: `node dist/test/suite.js dist/test/view.test.js`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : fs
        .readdirSync(__dirname)
        .filter((name) => name.endsWith(".test.js"))
        .sort()
        .map((name) => path.join(__dirname, name));

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-suite-"));
const child = spawn(process.execPath, ["--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
  env: { ...process.env, TMPDIR: root, TMP: root, TEMP: root },
});

// Ctrl-C reaches the test runner through the terminal's process group: this process only waits
// for it to end, then cleans up. A termination sent to this process alone is passed on.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));

child.on("exit", (code, signal) => {
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
