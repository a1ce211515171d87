import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * mask[i] = scale when the top 24 bits of xoshiro128** draw i are ≥ threshold, else 0;
 * y[i] = x[i]·mask[i]; the 4-word state at `state` advances n draws (the Wasm kernel's draws exactly).
 */
export function dropoutForward(m: JsMemory, y: Ptr, mask: Ptr, x: Ptr, state: Ptr, n: number, threshold: number, scale: number): void {
  const f = m.f32, s = m.i32, y0 = y >> 2, m0 = mask >> 2, x0 = x >> 2, p = state >> 2;
  const keep = Math.fround(scale);
  let s0 = s[p], s1 = s[p + 1], s2 = s[p + 2], s3 = s[p + 3];
  for (let i = 0; i < n; i++) {
    const draw = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    const v = draw >>> 8 >= threshold ? keep : 0;
    f[m0 + i] = v;
    f[y0 + i] = f[x0 + i] * v;
  }
  s[p] = s0;
  s[p + 1] = s1;
  s[p + 2] = s2;
  s[p + 3] = s3;
}

/** dx[i] = dy[i]·mask[i] (dx may alias dy). */
export function dropoutBackward(m: JsMemory, dx: Ptr, dy: Ptr, mask: Ptr, n: number): void {
  const f = m.f32, dx0 = dx >> 2, dy0 = dy >> 2, m0 = mask >> 2;
  for (let i = 0; i < n; i++) f[dx0 + i] = f[dy0 + i] * f[m0 + i];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
