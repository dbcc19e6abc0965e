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

/**
 * Rollup plugins that compile TypeScript or strip comments in `transform`: tsprof must come
 * before them (Rollup runs plugins in array order; `enforce` is Vite's), or the marks are gone.
 */
const STRIPPING = new Set(["esbuild", "sucrase", "babel", "swc", "rpt2"]);

/**
 * Rollup's plugin order, checked once per build: a silent build without a profile is the
 * outcome otherwise. @rollup/plugin-typescript compiles each file in its `load` hook from the
 * program's own copy on disk, so every other plugin sees its JavaScript, never the TypeScript
 * source: the lines would not be the source's.
 */
function checkRollupPlugins(plugins: readonly { name?: string }[] | undefined): void {
  const names = (plugins ?? []).map((p) => (p && typeof p === "object" ? p.name : undefined));
  const self = names.indexOf("tsprof");
  if (names.includes("typescript")) {
    throw new Error("tsprof: @rollup/plugin-typescript compiles TypeScript in its load hook from the files on disk, so no plugin sees the source "
      + "and tsprof's rollup plugin cannot instrument it; compile with rollup-plugin-esbuild instead: plugins: [tsprof(), esbuild()]");
  }
  const before = names.slice(0, self).find((n) => n !== undefined && STRIPPING.has(n));
  if (self > 0 && before) {
    throw new Error(`tsprof: the ${before} plugin comes before tsprof in rollup's plugins and removes the comments that mark functions; put tsprof() first: plugins: [tsprof(), ${before}()]`);
  }
}

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
    rollup: {
      // `options` runs first and alone: before other plugins' buildStart (a whole TypeScript
      // program for @rollup/plugin-typescript). Plugins may be nested in arrays there.
      options(options: { plugins?: unknown }) {
        checkRollupPlugins([options.plugins].flat(Infinity as 1) as { name?: string }[]);
        return null;
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
export const tsprofUnplugin: UnpluginInstance<TsprofBundlerOptions | undefined> = loadUnplugin().createUnplugin(factory);

/** unplugin (and magic-string) are ES modules: `require()` loads them on Node 20.19+ and 22.12+. */
function loadUnplugin(): typeof import("unplugin") {
  try {
    return require("unplugin") as typeof import("unplugin");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_REQUIRE_ESM") throw error;
    throw new Error(`tsprof: the bundler plugin loads ES modules with require(), which this Node (${process.versions.node}) does not; `
      + "use Node 20.19, 22.12 or later (without --no-experimental-require-module), or profile without a bundler: npx tsprof run app.ts");
  }
}
