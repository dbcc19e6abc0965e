// `import tsprof from "tsprof/rollup"`: the rollup plugin; instrumented code imports `tsprof/runtime` at run time.
import { tsprofUnplugin } from "./unplugin";

export = tsprofUnplugin.rollup;
