import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * Softmax cross-entropy over rows with target ≥ 0:
 *   loss = Σ_n logΣ_o exp(z_no − max_n) + max_n − z_n,target ;  dz = softmax(z) − onehot(target)
 */
export function crossEntropy(m: JsMemory, dlogits: Ptr, logits: Ptr, targets: Ptr, N: number, O: number): number {
  const f = m.f32, t = m.i32;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const z = (logits >> 2) + n * O, d = (dlogits >> 2) + n * O;
    const target = t[(targets >> 2) + n];
    if (target < 0) {
      f.fill(0, d, d + O);
      continue;
    }
    const zt = f[z + target]; // read before the row is overwritten: dlogits may alias logits
    let max = -Infinity;
    for (let o = 0; o < O; o++) if (f[z + o] > max) max = f[z + o];
    let sum = 0;
    for (let o = 0; o < O; o++) {
      const e = Math.exp(f[z + o] - max);
      f[d + o] = e;
      sum += e;
    }
    loss += Math.log(sum) + max - zt;
    const inv = 1 / sum;
    for (let o = 0; o < O; o++) f[d + o] *= inv;
    f[d + target] -= 1;
  }
  return loss;
}

/** loss = Σ_n mask_n Σ_o (y_no − t_no)²;  dy = 2·mask_n·(y − t). */
export function mse(m: JsMemory, dy: Ptr, y: Ptr, targets: Ptr, mask: Ptr, N: number, O: number): number {
  const f = m.f32;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const w = f[(mask >> 2) + n];
    const yr = (y >> 2) + n * O, tr = (targets >> 2) + n * O, dr = (dy >> 2) + n * O;
    let s = 0;
    for (let o = 0; o < O; o++) {
      const e = f[yr + o] - f[tr + o];
      s += e * e;
      f[dr + o] = w === 0 ? 0 : 2 * w * e;
    }
    if (w !== 0) loss += w * s;
  }
  return loss;
}

/** probs = softmax(logits · invTemperature), row by row. */
export function softmax(m: JsMemory, probs: Ptr, logits: Ptr, N: number, O: number, invTemperature: number): void {
  const f = m.f32;
  for (let n = 0; n < N; n++) {
    const z = (logits >> 2) + n * O, p = (probs >> 2) + n * O;
    let max = -Infinity;
    for (let o = 0; o < O; o++) if (f[z + o] > max) max = f[z + o];
    let sum = 0;
    for (let o = 0; o < O; o++) {
      const e = Math.exp((f[z + o] - max) * invTemperature);
      f[p + o] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let o = 0; o < O; o++) f[p + o] *= inv;
  }
}
