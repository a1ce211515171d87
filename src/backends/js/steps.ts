import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * y (T,B,yStride)[t,b,0:N] = x (T,B,xStride)[s,b,0:N] with s = T−1−t when reverse = 1, else s = t;
 * plus y[t,b,0:N] when accumulate = 1 (the twin of assembly/ops/steps.ts).
 */
export function copySteps(m: JsMemory, y: Ptr, x: Ptr, T: number, B: number, N: number, yStride: number, xStride: number,
  reverse: number, accumulate: number): void {
  const f = m.f32, y0 = y >> 2, x0 = x >> 2;
  for (let t = 0; t < T; t++) {
    const s = reverse ? T - 1 - t : t;
    for (let b = 0; b < B; b++) {
      const to = y0 + (t * B + b) * yStride, from = x0 + (s * B + b) * xStride;
      if (accumulate) for (let j = 0; j < N; j++) f[to + j] += f[from + j];
      else f.copyWithin(to, from, from + N);
    }
  }
}
