// DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): no system graphviz. Chosen
// over @hpcc-js/wasm-graphviz (same Graphviz 16.1) for its CommonJS build and its start: 32 ms
// to load against 100 ms, 74 MB RSS against 99 MB (median of 5 runs, docs/objgraph.md).
// Loaded on first use: nothing else in tsprof pays for its 4.9 MB.
import * as fs from "node:fs";
import * as path from "node:path";
import { svgToPng } from "./svg-png";

type Viz = { renderString(dot: string, options: { format: string; engine?: string }): string };
let viz: Promise<Viz> | undefined;

/** Lays out and draws a DOT graph as an SVG document. */
export async function dotToSvg(dot: string): Promise<string> {
  viz ??= (require("@viz-js/viz") as { instance(): Promise<Viz> }).instance();
  return (await viz).renderString(dot, { format: "svg", engine: "dot" });
}

/** Image formats by file extension. */
export type ImageFormat = "dot" | "svg" | "png";

export function imageFormat(file: string): ImageFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === ".dot" || ext === ".gv" ? "dot" : ext === ".svg" ? "svg" : ext === ".png" ? "png" : undefined;
}

/** Writes `dot` to `file` as DOT, SVG or PNG (by extension; PNG at 96 dpi, as Graphviz's own). */
export async function writeGraph(dot: string, file: string): Promise<void> {
  const format = imageFormat(file);
  if (!format) throw new Error(`cannot tell the image format of ${file}: use .png, .svg or .dot`);
  if (format === "dot") return fs.writeFileSync(file, dot);
  const svg = await dotToSvg(dot);
  fs.writeFileSync(file, format === "svg" ? svg : svgToPng(forPng(svg)));
}

/**
 * Graphviz sizes boxes by its own table of Times metrics; resvg draws with the fonts installed.
 * Liberation Serif has Times' metrics, so labels fit their boxes where it is installed (without it,
 * DejaVu's wider letters can overrun a long label by a few pixels).
 */
function forPng(svg: string): string {
  return svg.replace(/font-family="Times,serif"/g, 'font-family="Liberation Serif,Times New Roman,Times,serif"');
}
