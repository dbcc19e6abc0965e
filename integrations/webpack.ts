// `import tsprof from "tsprof/webpack"`: the webpack plugin; instrumented code imports `tsprof/runtime` at run time.
import { tsprofUnplugin } from "./unplugin";

export = tsprofUnplugin.webpack;
