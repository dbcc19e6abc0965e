/*
 * The `.lprof` mutation fuzzer, long: `npm run fuzz -- [CASES] [SEED]` (default 200000 cases
 * from seed 1). Prints what it found; exits 1 on any failure, printing the input that caused it.
 */
import { fuzz } from "../test/lprof-fuzz";

const cases = Number(process.argv[2] ?? 200_000);
const seed = Number(process.argv[3] ?? 1);
const started = Date.now();
let done = 0, refused = 0, shown = 0;
const BATCH = 5000;
for (let s = seed; done < cases; s++) {
  const r = fuzz(s, Math.min(BATCH, cases - done));
  done += r.cases;
  refused += r.refused;
  shown += r.shown;
  if (r.failures.length > 0) {
    for (const f of r.failures) console.log(`seed ${f.seed} case ${f.case}: ${f.problem}\n  input: ${f.input}`);
    process.exit(1);
  }
  process.stderr.write(`\r${done}/${cases} cases (${refused} refused, ${shown} shown) ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
process.stderr.write("\n");
console.log(`${done} mutants from seeds ${seed}..${seed + Math.ceil(cases / BATCH) - 1}: ${refused} refused in one line, ${shown} reported cleanly, 0 failures (${((Date.now() - started) / 1000).toFixed(1)} s)`);
