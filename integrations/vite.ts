// `import tsprof from "tsprof/vite"`: the vite plugin; instrumented code imports `tsprof/runtime` at run time.
import { tsprofUnplugin } from "./unplugin";

export = tsprofUnplugin.vite;
