// JSON in, report out: parse orders, group them per customer in objects, sort the summaries.
interface Line { sku: string; price: number; qty: number }
interface Order { id: number; customer: string; tag?: string; lines: Line[] }
interface Summary { customer: string; total: number; items: number; tags: string[] }

function makeJson(n: number): string {
  const orders: Order[] = [];
  for (let i = 0; i < n; i++) {
    const lines: Line[] = [];
    for (let k = 0; k < 1 + (i % 4); k++) lines.push({ sku: `s${(i * 7 + k) % 300}`, price: ((i * 13 + k) % 500) / 10, qty: 1 + (k % 3) });
    orders.push({ id: i, customer: `c${(i * 31) % 400}`, tag: i % 5 === 0 ? `t${i % 3}` : undefined, lines });
  }
  return JSON.stringify(orders);
}

/** @profile */
function orders(text: string): Summary[] {
  const list = JSON.parse(text) as Order[];
  const byCustomer: Record<string, Summary> = {};
  for (const o of list) {
    let s = byCustomer[o.customer];
    if (s === undefined) s = byCustomer[o.customer] = { customer: o.customer, total: 0, items: 0, tags: [] };
    s.total += o.lines.reduce((sum, l) => sum + l.price * l.qty, 0);
    s.items += o.lines.length;
    if (o.tag !== undefined && !s.tags.includes(o.tag)) s.tags.push(o.tag);
  }
  const summaries = Object.values(byCustomer);
  summaries.sort((a, b) => b.total - a.total || (a.customer < b.customer ? -1 : 1));
  return summaries.slice(0, 20);
}

const JSON_TEXT = makeJson(6000);
export const run = () => orders(JSON_TEXT).length;
export const reps = 12;
