// A class-heavy program: small methods and getters called many times.
import { profile } from "tsprof";

@profile
class Vec {
  constructor(public x: number, public y: number) {}
  add(o: Vec): Vec {
    return new Vec(this.x + o.x, this.y + o.y);
  }
  scale(k: number): Vec {
    return new Vec(this.x * k, this.y * k);
  }
  get length(): number {
    return Math.hypot(this.x, this.y);
  }
}

/** @profile */
function walk(steps: number): number {
  let p = new Vec(0, 0);
  const step = new Vec(0.5, 0.25);
  for (let i = 0; i < steps; i++) {
    p = p.add(step).scale(0.999);
  }
  return p.length;
}
export const run = () => walk(50_000);
