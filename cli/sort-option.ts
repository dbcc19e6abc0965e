import { SORT_KEYS, sortKeyTable } from "../report/pstats";
import { UsageError } from "./args";

/** `-s` as cProfile and pstats read it: repeatable or comma-separated, unique prefixes accepted; undefined when not given. */
export function sortOption(given: string[] | undefined): string[] | undefined {
  if (given === undefined) return undefined;
  const keys = given.flatMap((s) => s.split(",")).filter(Boolean);
  const table = sortKeyTable();
  for (const k of keys) if (!table.has(k)) throw new UsageError(`invalid sort key "${k}" for -s; keys (unique prefixes accepted): ${Object.keys(SORT_KEYS).join(", ")}`);
  return keys;
}
