// A vitest setup file, added by `tsprof/vite` when vitest runs: writes the profile after each
// test file. vitest's thread pool ends its workers with `terminate()`, which runs no exit hook.
// An ES module: vitest refuses to be required.
import { afterAll } from "vitest";
import { flush } from "../runtime/index.js";

afterAll(() => flush());
