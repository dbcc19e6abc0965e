// A regex tokenizer counting identifiers, numbers and punctuation in a Map.
const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_]\w*)|(\S))/y;

function makeSource(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`let v${i % 50} = f${i % 7}(x${i % 13}, ${i * 3.5}) + y[${i % 9}];`);
  return parts.join("\n");
}

/** @profile */
function tokens(src: string): Map<string, number> {
  const counts = new Map<string, number>();
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(src)) !== null) {
    const kind = m[1] !== undefined ? "number" : m[2] !== undefined ? "ident" : "punct";
    const key = kind === "ident" ? m[2] : kind === "punct" ? m[3] : kind;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (TOKEN.lastIndex >= src.length) break;
  }
  return counts;
}

const SOURCE = makeSource(4000);
export const run = () => tokens(SOURCE).size;
export const reps = 20;
