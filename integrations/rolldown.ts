// `import tsprof from "tsprof/rolldown"`: the rolldown plugin; instrumented code imports `tsprof/runtime` at run time.
import { tsprofUnplugin } from "./unplugin";

export = tsprofUnplugin.rolldown;
