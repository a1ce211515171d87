import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * For t < len_b: y (T,B,yStride)[t,b,0:N] = x (T,B,xStride)[s,b,0:N] with s = len_b−1−t when reverse = 1,
 * else s = t, plus y[t,b,0:N] when accumulate = 1; for t ≥ len_b: 0, or unchanged when accumulating.
 * lengths: (B) int32, or 0 for len_b = T (the twin of assembly/ops/steps.ts).
 */
export function copySteps(m: JsMemory, y: Ptr, x: Ptr, lengths: Ptr, T: number, B: number, N: number, yStride: number, xStride: number,
  reverse: number, accumulate: number): void {
  const f = m.f32, y0 = y >> 2, x0 = x >> 2;
  for (let b = 0; b < B; b++) {
    const length = lengths !== 0 ? m.i32[(lengths >> 2) + b] : T;
    for (let t = 0; t < T; t++) {
      const to = y0 + (t * B + b) * yStride;
      if (t >= length) {
        if (!accumulate) f.fill(0, to, to + N);
        continue;
      }
      const from = x0 + ((reverse ? length - 1 - t : t) * B + b) * xStride;
      if (accumulate) for (let j = 0; j < N; j++) f[to + j] += f[from + j];
      else f.copyWithin(to, from, from + N);
    }
  }
}
