/**
 * Colors where the stream has them: `--color`/`--no-color` first; on a terminal, Node's own
 * judgement (`hasColors()`: FORCE_COLOR=0, NO_COLOR, NODE_DISABLE_COLORS and TERM=dumb turn
 * colors off); elsewhere (a pipe, a file) only when FORCE_COLOR asks for them (1, 2, 3 or true; empty counts as unset).
 */
export function useColor(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag !== undefined) return flag;
  if (stream.isTTY && typeof stream.hasColors === "function") return stream.hasColors();
  const force = process.env.FORCE_COLOR;
  return force !== undefined && ["1", "2", "3", "true"].includes(force);
}
