import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * Wp = W (R,K) in row groups, the layout the Wasm B = 1 recurrences read (assembly/ops/matvec.ts):
 *   Wp[((g·Q + q)·8 + r)·4 + c] = W[8g + r, 4q + c],  Q = ⌈K/4⌉,  zeros past row R and column K.
 */
export function packRowGroups(m: JsMemory, Wp: Ptr, W: Ptr, R: number, K: number): void {
  const f = m.f32, out = Wp >> 2, w = W >> 2;
  const G = Math.ceil(R / 8), Q = Math.ceil(K / 4);
  for (let g = 0; g < G; g++) {
    for (let q = 0; q < Q; q++) {
      for (let r = 0; r < 8; r++) {
        const j = 8 * g + r;
        for (let c = 0; c < 4; c++) {
          const k = 4 * q + c;
          f[out + ((g * Q + q) * 8 + r) * 4 + c] = j < R && k < K ? f[w + j * K + k] : 0;
        }
      }
    }
  }
}
