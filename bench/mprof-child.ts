// Child of `npm run bench:mprof`: harness.ts with mprof's heap sampler thread started first, as
// the preload starts it under `tsprof mprof run`.
import { startHeapSampler } from "../loader/mprof-heap";

startHeapSampler();
require("./harness");
