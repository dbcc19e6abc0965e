// SVG to PNG for every picture tsprof draws (mprof plots, object graphs, flame graphs). resvg is a
// Rust renderer shipped as prebuilt binaries inside npm packages: no cairo, graphviz or Python.
// Loaded on first use, so commands that draw nothing never pay for it.

let resvg: typeof import("@resvg/resvg-js") | undefined;

/** Renders an SVG document to PNG bytes, at `scale` times its own size, with the system's fonts. */
export function svgToPng(svg: string, scale = 1): Buffer {
  resvg ??= require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
  const renderer = new resvg.Resvg(svg, {
    fitTo: scale === 1 ? { mode: "original" } : { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans", monospaceFamily: "DejaVu Sans Mono" },
  });
  return renderer.render().asPng();
}
