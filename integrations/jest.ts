// `transform: { "\\.[cm]?tsx?$": "tsprof/jest" }`: a jest transformer that profiles marked
// functions. Alone it compiles TypeScript itself (tsprof's TypeScript 6, the project's
// tsconfig.json, CommonJS as jest runs it); with `{ transformer: "ts-jest" }` (or "babel-jest", or
// a path) it instruments the source text and hands it on. jest never emits `exit` in its sandbox:
// `tsprof/jest-setup` (in setupFilesAfterEnv, or `preset: "tsprof"`) writes after each test file.
import * as path from "node:path";
import type * as TS from "typescript";
import { createTransformer as createTsTransformer } from "../transformer/index";
import { instrumentText } from "../transformer/text-emit-file";

/** What jest hands a transformer (the part tsprof reads). */
interface TransformOptions {
  config: { rootDir: string; cwd?: string };
  transformerConfig?: unknown;
  [key: string]: unknown;
}

interface Transformed {
  code: string;
  map?: unknown;
}

interface JestTransformer {
  process(sourceText: string, sourcePath: string, options: TransformOptions): Transformed | string;
  processAsync?(sourceText: string, sourcePath: string, options: TransformOptions): Promise<Transformed | string>;
  getCacheKey?(sourceText: string, sourcePath: string, options: TransformOptions): string;
}

export interface TsprofJestOptions {
  /** A jest transformer to hand the instrumented source to: "ts-jest", "babel-jest", or a path. */
  transformer?: string;
  /** Its own options (`["ts-jest", {…}]`'s second element). */
  transformerOptions?: unknown;
  /** Profile every function of the transformed files, marked or not. */
  all?: boolean;
}

const tsconfigCache = new Map<string, TS.CompilerOptions>();

function projectOptions(ts: typeof TS, dir: string): TS.CompilerOptions {
  let options = tsconfigCache.get(dir);
  if (options) return options;
  const file = ts.findConfigFile(dir, ts.sys.fileExists);
  options = {};
  if (file) {
    const read = ts.readConfigFile(file, ts.sys.readFile);
    if (read.error) throw new Error(`tsprof/jest: ${file}: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
    options = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file)).options;
  }
  tsconfigCache.set(dir, options);
  return options;
}

function builtIn(all: boolean): JestTransformer {
  return {
    process(sourceText, sourcePath) {
      const ts = require("typescript") as typeof TS;
      const out = ts.transpileModule(sourceText, {
        fileName: sourcePath,
        compilerOptions: {
          ...projectOptions(ts, path.dirname(sourcePath)),
          module: ts.ModuleKind.CommonJS,
          moduleResolution: ts.ModuleResolutionKind.Node10,
          esModuleInterop: true,
          sourceMap: true,
          inlineSourceMap: false,
          inlineSources: true,
          declaration: false,
          noEmit: false,
        },
        transformers: { before: [createTsTransformer(ts, { all })] },
      });
      return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: out.sourceMapText };
    },
  };
}

function wrapping(name: string, innerOptions: unknown, all: boolean): JestTransformer {
  let inner: JestTransformer | undefined;
  const load = (rootDir: string) => {
    if (inner) return inner;
    const file = require.resolve(name, { paths: [rootDir, process.cwd()] });
    const mod = require(file) as { createTransformer?: (c: unknown) => JestTransformer; default?: { createTransformer?: (c: unknown) => JestTransformer } } & Partial<JestTransformer>;
    const create = mod.createTransformer ?? mod.default?.createTransformer;
    inner = create ? create(innerOptions) : (mod as JestTransformer);
    return inner;
  };
  // Instrumentation keeps every line where it was, and the inline map carries the columns:
  // Babel chains it, and ts-jest's lines stay the source's.
  const instrument = (sourceText: string, sourcePath: string) => {
    const out = instrumentText(sourceText, sourcePath, { all });
    if (!out) return sourceText;
    return `${out.code}\n//# sourceMappingURL=${out.map.toUrl()}\n`;
  };
  const innerOptionsOf = (options: TransformOptions): TransformOptions => ({ ...options, transformerConfig: innerOptions });
  return {
    process(sourceText, sourcePath, options) {
      return load(options.config.rootDir).process(instrument(sourceText, sourcePath), sourcePath, innerOptionsOf(options));
    },
    async processAsync(sourceText, sourcePath, options) {
      const t = load(options.config.rootDir);
      const code = instrument(sourceText, sourcePath);
      return t.processAsync ? t.processAsync(code, sourcePath, innerOptionsOf(options)) : t.process(code, sourcePath, innerOptionsOf(options));
    },
  };
}

/** jest calls this with the options of `["tsprof/jest", {…}]`. */
export function createTransformer(config: TsprofJestOptions = {}): JestTransformer {
  const all = config.all ?? false;
  return config.transformer ? wrapping(config.transformer, config.transformerOptions, all) : builtIn(all);
}


// jest loads a transformer through Babel-style interop: with `__esModule` set, it reads `default`.
export default { createTransformer };
