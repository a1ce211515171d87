import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/** X (N,E)[n] = W (V,E)[tokens[n]]. */
export function embeddingForward(m: JsMemory, X: Ptr, tokens: Ptr, W: Ptr, N: number, E: number): void {
  const f = m.f32, ids = m.i32, x0 = X >> 2, w0 = W >> 2, t0 = tokens >> 2;
  for (let n = 0; n < N; n++) {
    const from = w0 + ids[t0 + n] * E;
    f.copyWithin(x0 + n * E, from, from + E);
  }
}

/** dW (V,E)[tokens[n]] += dX (N,E)[n], for n = 0 … N−1 in order. */
export function embeddingBackward(m: JsMemory, dW: Ptr, dX: Ptr, tokens: Ptr, N: number, E: number): void {
  const f = m.f32, ids = m.i32, dx0 = dX >> 2, dw0 = dW >> 2, t0 = tokens >> 2;
  for (let n = 0; n < N; n++) {
    const row = dw0 + ids[t0 + n] * E, from = dx0 + n * E;
    for (let e = 0; e < E; e++) f[row + e] += f[from + e];
  }
}
