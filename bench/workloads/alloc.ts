// Object allocation: small objects made, used and dropped.
interface Point { x: number; y: number }

/** @profile */
function centroid(n: number): Point {
  const points: Point[] = [];
  for (let i = 0; i < n; i++) {
    points.push({ x: i % 100, y: (i * 7) % 100 });
  }
  let x = 0, y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / n, y: y / n };
}
export const run = () => centroid(200_000).x;
