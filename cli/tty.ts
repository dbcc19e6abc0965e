/** Colors only on a terminal, unless asked (`--color`/`--no-color`, `FORCE_COLOR`, `NO_COLOR`). */
export function useColor(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag !== undefined) return flag;
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return !!stream.isTTY && process.env.TERM !== "dumb";
}
