// `import tsprof from "tsprof/esbuild"`: the esbuild plugin; instrumented code imports `tsprof/runtime` at run time.
import { tsprofUnplugin } from "./unplugin";

export = tsprofUnplugin.esbuild;
