import type * as TS from "typescript";
import { forEachDescendant, holdsOffset } from "./marks";
import type { FilePlan } from "./plan";
import { decodeMappings, plainLines, type PlainLines } from "./relayout";

/**
 * What `fn.toString()` returns in the program built without tsprof, for each instrumented
 * function and each function or class around one (whose text holds the probes too): the file is
 * transpiled once more without the transformer, and each node's text is cut from that output,
 * found through its source map by the original node's position. The runtime hands these texts
 * to `Function.prototype.toString` (runtime/source-text.ts). Undefined where TypeScript cannot
 * emit the file alone (the program's own build then decides; toString shows the probes).
 *
 * One transpile per instrumented file, at build time; the figures are in docs/semantics.md.
 */
export function plainTexts(
  ts: typeof TS, sf: TS.SourceFile, options: TS.CompilerOptions, plan: FilePlan, onLines?: (lines: PlainLines) => void,
): string[] | undefined {
  const wanted = textNodes(ts, sf, plan);
  if (wanted.length === 0) return undefined;

  let output: { outputText: string; sourceMapText?: string };
  try {
    output = ts.transpileModule(sf.text, {
      fileName: sf.fileName,
      reportDiagnostics: false,
      compilerOptions: {
        ...options,
        plugins: undefined,
        sourceMap: true,
        inlineSourceMap: false,
        inlineSources: false,
        declaration: false,
        declarationMap: false,
        emitDeclarationOnly: false,
        noEmit: false,
        outFile: undefined,
        outDir: undefined,
        composite: false,
        incremental: false,
        tsBuildInfoFile: undefined,
        // Set on every project of `tsc -b` (TypeScript 5.6+): it would write a build info here too.
        tscBuild: undefined,
      },
    });
  } catch {
    return undefined;
  }
  if (!output.sourceMapText) return undefined;
  const js = output.outputText;
  const out = ts.createSourceFile("plain.js", js, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const mappings = decodeMappings((JSON.parse(output.sourceMapText) as { mappings: string }).mappings);
  // The plain build's line of each source position: where relayout.ts puts the instrumented file's.
  onLines?.(plainLines(mappings, output.outputText));
  const toSource = generatedToSource(sf, out, mappings);

  // Output functions and classes by the source offset their first token maps to; outermost first.
  const bySource = new Map<number, TS.Node>();
  forEachDescendant(ts, out, (n) => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) {
      for (const at of [n.getStart(out), textStart(ts, n, out)]) {
        const src = toSource.get(at);
        if (src !== undefined && !bySource.has(src)) bySource.set(src, n);
      }
    }
    return true;
  });
  const texts = new Set<string>();
  for (const n of wanted) {
    const found = bySource.get(n.getStart(sf)) ?? bySource.get(textStart(ts, n, sf));
    if (found) texts.add(js.slice(textStart(ts, found, out), found.end));
  }
  return [...texts];
}

/** The functions and classes whose `toString()` holds probes: each instrumented function and each one around it. */
function textNodes(ts: typeof TS, sf: TS.SourceFile, plan: FilePlan): TS.Node[] {
  const wanted: TS.Node[] = [];
  if (plan.functions.length === 0) return wanted;
  const starts = plan.functions.map((f) => f.at).sort((a, b) => a - b);
  forEachDescendant(ts, sf, (n) => {
    // A subtree in which no planned function starts has no text to cut.
    if (n !== sf && !holdsOffset(starts, n)) return false;
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) {
      if (("body" in n && n.body) || ts.isClassLike(n)) wanted.push(n);
    }
    return true;
  });
  return wanted;
}

/**
 * The same texts where the plain build is `sf` with its types stripped (`plain`: each type
 * blanked in place, so every node keeps its offsets): each node's text cut from `plain` where it
 * stands in `sf`.
 */
export function strippedTexts(ts: typeof TS, sf: TS.SourceFile, plan: FilePlan, plain: string): string[] | undefined {
  const texts = new Set(textNodes(ts, sf, plan).map((n) => plain.slice(textStart(ts, n, sf), n.end)));
  return texts.size > 0 ? [...texts] : undefined;
}

/** Where V8's `toString` of a function or class starts: after `export`, `default`, `static` and decorators; `async`, `get`, `*` kept. */
function textStart(ts: typeof TS, n: TS.Node, sf: TS.SourceFile): number {
  const mods = (n as { modifiers?: TS.NodeArray<TS.ModifierLike> }).modifiers;
  if (!mods) return n.getStart(sf);
  const { SyntaxKind: K } = ts;
  const dropped = new Set([K.ExportKeyword, K.DefaultKeyword, K.StaticKeyword, K.DeclareKeyword, K.PublicKeyword, K.PrivateKeyword,
    K.ProtectedKeyword, K.AbstractKeyword, K.OverrideKeyword, K.ReadonlyKeyword, K.AccessorKeyword, K.Decorator]);
  let at = n.getStart(sf);
  for (const m of mods) {
    if (!dropped.has(m.kind)) return m.getStart(sf);
    at = m.end;
  }
  return at + /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/.exec(sf.text.slice(at))![0].length;
}

/** Output offset → source offset, for each segment of a (single-source) source map. */
function generatedToSource(src: TS.SourceFile, out: TS.SourceFile, mappings: number[][][]): Map<number, number> {
  const map = new Map<number, number>();
  const srcLines = src.getLineStarts();
  const outLines = out.getLineStarts();
  for (let genLine = 0; genLine < mappings.length && genLine < outLines.length; genLine++) {
    for (const seg of mappings[genLine]) {
      if (seg.length < 4 || seg[2] >= srcLines.length) continue;
      const g = outLines[genLine] + seg[0];
      if (!map.has(g)) map.set(g, srcLines[seg[2]] + seg[3]);
    }
  }
  return map;
}
