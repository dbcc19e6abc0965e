/*
 * Child process of the fidelity bench: runs a program's `run()` a fixed number of times, the
 * same in the unprofiled run (under V8's CPU profiler) and in each profiled run, so both see the
 * same mix of cold and warm calls. A profiled run's profile is written at exit.
 */
const [modulePath, repsText] = process.argv.slice(2);
const program = require(modulePath) as { run: () => unknown };
let sink = 0;
for (let i = 0; i < Number(repsText); i++) {
  const v = program.run();
  sink += typeof v === "number" ? v : 1;
}
if (sink === -1) process.stdout.write("");
