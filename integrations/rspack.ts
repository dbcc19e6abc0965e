// `import tsprof from "tsprof/rspack"`: the rspack plugin; instrumented code imports `tsprof/runtime` at run time.
import { tsprofUnplugin } from "./unplugin";

export = tsprofUnplugin.rspack;
