#!/usr/bin/env node
// `npm run demo`: build this example with tspc and the tsprof plugin, run it, print the report.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const demo = __dirname;
const root = path.resolve(demo, "..", "..");

// The example imports "tsprof" as a user's project would; here it resolves to this repository.
const link = path.join(demo, "node_modules", "tsprof");
if (!fs.existsSync(link)) {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
}

function step(label, args) {
  process.stdout.write(`$ ${label}\n`);
  const r = spawnSync(process.execPath, args, { cwd: demo, stdio: "inherit", env: { ...process.env, TSPROF_OUTPUT: "" } });
  if (r.status !== 0) {
    process.stderr.write(`demo: "${label}" failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status ?? 1);
  }
}

step("tspc -p examples/demo", [path.join(root, "node_modules", "ts-patch", "bin", "tspc.js"), "-p", "tsconfig.json"]);
step("node build/main.js", ["build/main.js"]);
step("tsprof view out.lprof", [path.join(root, "bin", "tsprof.js"), "view", "out.lprof"]);
