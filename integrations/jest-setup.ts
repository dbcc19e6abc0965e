// `setupFilesAfterEnv: ["tsprof/jest-setup"]`: writes the profile after each test file. jest runs
// a file in a sandbox whose `process` never emits `exit`, so the runtime's own exit hook never runs.
import { flush } from "../runtime/index";

// From jest itself, so `injectGlobals: false` changes nothing.
const { afterAll } = require("@jest/globals") as { afterAll: (fn: () => void) => void };

afterAll(() => flush());
