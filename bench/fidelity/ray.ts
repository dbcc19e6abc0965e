// A ray caster: per pixel, a ray against a few spheres (`nearest`, too big to inline) and a
// light direction (`dot`, small enough for V8 to inline).
const SPHERES = [
  [0, 0, 5, 1], [1.5, 0.5, 6, 0.8], [-1.5, -0.5, 4.5, 0.6], [0, -101, 5, 100], [0.4, 1.2, 7, 0.9],
];
const LIGHT = [0.57735, 0.57735, -0.57735];

function nearest(dx: number, dy: number, dz: number): number {
  let best = Infinity;
  for (let i = 0; i < SPHERES.length; i++) {
    const s = SPHERES[i];
    const b = dx * s[0] + dy * s[1] + dz * s[2];
    const c = s[0] * s[0] + s[1] * s[1] + s[2] * s[2] - s[3] * s[3];
    const disc = b * b - c;
    if (disc < 0) continue;
    const t = b - Math.sqrt(disc);
    if (t > 1e-6 && t < best) best = t;
  }
  return best;
}

function dot(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  return ax * bx + ay * by + az * bz;
}

/** @profile */
function ray(w: number, h: number): number {
  let lit = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = (x - w / 2) / w, dy = (h / 2 - y) / h;
      const len = Math.sqrt(dx * dx + dy * dy + 1);
      const t = nearest(dx / len, dy / len, 1 / len);
      if (t === Infinity) continue;
      const px = (t * dx) / len, py = (t * dy) / len, pz = t / len - 5;
      const shade = dot(px, py, pz, LIGHT[0], LIGHT[1], LIGHT[2]);
      lit += shade > 0 ? shade : 0.05;
    }
  }
  return lit;
}

export const run = () => ray(400, 300);
export const reps = 10;
