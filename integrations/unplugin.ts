import type { UnpluginFactory, UnpluginInstance } from "unplugin";
import { validatePluginOptions, type TsprofPluginOptions } from "../transformer/index";
import { instrumentText, SOURCE_FILE } from "../transformer/text-emit-file";

/** Options of the bundler plugin (`tsprof/vite`, `tsprof/esbuild`, …). */
export interface TsprofBundlerOptions extends TsprofPluginOptions {
  /** Files to instrument (default: every .ts .tsx .mts .cts .js .jsx .mjs .cjs outside node_modules). */
  include?: RegExp;
  /** Files never instrumented, tested after `include`. */
  exclude?: RegExp;
  /** Profile every function of the included files, marked or not. */
  all?: boolean;
}

const RUNTIME = "tsprof/runtime";
const NODE_MODULES = /[\\/]node_modules[\\/]/;

/** webpack/Rspack: the runtime as an external, before their defaults apply (plugins run first). */
function addExternal(compiler: { options: { externals?: unknown } }): void {
  const ours = { [RUNTIME]: `node-commonjs ${RUNTIME}` };
  const current = compiler.options.externals;
  compiler.options.externals = current === undefined ? [ours] : Array.isArray(current) ? [...current, ours] : [current, ours];
}

const factory: UnpluginFactory<TsprofBundlerOptions | undefined> = (options = {}, meta) => {
  const { include, exclude, all, ...pluginOptions } = options;
  const problems = validatePluginOptions(pluginOptions as Record<string, unknown>);
  if (problems.length) throw new Error(problems.map((m) => m.replace("in compilerOptions.plugins", `given to tsprof's ${meta.framework} plugin`)).join("\n"));
  return {
    name: "tsprof",
    // Before the bundler's own TypeScript/JSX transform strips the comments that mark functions.
    enforce: "pre",
    // The runtime stays a module of its own, loaded from node_modules at run time: bundled, its
    // `node:` imports break in ESM bundles and two copies would each write a profile.
    // Vite (and so vitest) leaves node_modules to Node on the server already, and rejects an
    // external id in development; webpack and Rspack take externals from their own option.
    resolveId: ["vite", "webpack", "rspack"].includes(meta.framework) ? undefined : (id) => (id === RUNTIME ? { id, external: true } : null),
    vite: {
      config() {
        if (!process.env.VITEST) return undefined;
        // One session for the whole test run: its workers may start one after another, and a run
        // of another session that ended before a worker started would be replaced as stale.
        process.env.TSPROF_SESSION ||= `${process.pid}-${Date.now()}`;
        // The setup file that writes after each test file.
        return { test: { setupFiles: [require.resolve("./vitest-setup.mjs")] } };
      },
    },
    webpack: addExternal,
    rspack: addExternal,
    transformInclude(id) {
      const file = id.split("?")[0];
      if (include ? !include.test(file) : !SOURCE_FILE.test(file) || NODE_MODULES.test(file)) return false;
      return !exclude?.test(file);
    },
    transform(code, id) {
      const out = instrumentText(code, id.split("?")[0], { ...pluginOptions, all });
      return out && { code: out.code, map: out.map };
    },
  };
};

/** The unplugin instance: `.vite`, `.rollup`, `.rolldown`, `.esbuild`, `.webpack`, `.rspack`. */
export const tsprofUnplugin: UnpluginInstance<TsprofBundlerOptions | undefined> = (require("unplugin") as typeof import("unplugin")).createUnplugin(factory);
