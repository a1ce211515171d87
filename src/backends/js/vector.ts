import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/** x[i] = value. */
export function fill(m: JsMemory, x: Ptr, n: number, value: number): void {
  m.f32.fill(value, x >> 2, (x >> 2) + n);
}

/** y[i] = x[i]. */
export function copy(m: JsMemory, y: Ptr, x: Ptr, n: number): void {
  m.f32.copyWithin(y >> 2, x >> 2, (x >> 2) + n);
}

/** x[i] *= s. */
export function scale(m: JsMemory, x: Ptr, n: number, s: number): void {
  const f = m.f32, x0 = x >> 2;
  for (let i = 0; i < n; i++) f[x0 + i] *= s;
}

/** x[i] = min(max(x[i], -c), c). */
export function clipByValue(m: JsMemory, x: Ptr, n: number, c: number): void {
  const f = m.f32, x0 = x >> 2;
  for (let i = 0; i < n; i++) {
    const v = f[x0 + i];
    f[x0 + i] = v > c ? c : v < -c ? -c : v;
  }
}

/** Σ x[i]² in float64. */
export function sumSquares(m: JsMemory, x: Ptr, n: number): number {
  const f = m.f32, x0 = x >> 2;
  let s = 0;
  for (let i = 0; i < n; i++) s += f[x0 + i] * f[x0 + i];
  return s;
}
