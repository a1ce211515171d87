import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulNT, matmulTN } from "./matmul.js";

/** σ(x) = 1 / (1 + e^{−x}). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** out (rows, GH) = x W_ihᵀ, or column tokens[r] of W_ih (GH, I) for one-hot input (shared by LSTM and GRU). */
export function inputProduct(m: JsMemory, out: Ptr, x: Ptr, tokens: Ptr, Wih: Ptr, rows: number, I: number, GH: number): void {
  if (tokens === 0) {
    matmulNT(m, out, x, Wih, rows, GH, I, 0);
    return;
  }
  const f = m.f32, ids = m.i32, o0 = out >> 2, w0 = Wih >> 2, tok0 = tokens >> 2;
  for (let r = 0; r < rows; r++) {
    const row = o0 + r * GH, id = ids[tok0 + r];
    for (let j = 0; j < GH; j++) f[row + j] = f[w0 + j * I + id];
  }
}

/**
 * The input side's gradients after a backward sweep: db_ih += Σ_r δ_r; dW_ih += δᵀ x (tokens: δ_r added to
 * column tokens[r]); dx = δ W_ih when dx ≠ 0 (dense input only). dgates: (rows, GH) δ.
 */
export function inputGradients(m: JsMemory, dx: Ptr, dWih: Ptr, dbih: Ptr, dgates: Ptr, x: Ptr, tokens: Ptr, Wih: Ptr,
  rows: number, I: number, GH: number): void {
  const f = m.f32, d0 = dgates >> 2, db = dbih >> 2;
  for (let r = 0; r < rows; r++) {
    const row = d0 + r * GH;
    for (let j = 0; j < GH; j++) f[db + j] += f[row + j];
  }
  if (tokens !== 0) {
    const ids = m.i32, tok0 = tokens >> 2, dw0 = dWih >> 2;
    for (let r = 0; r < rows; r++) {
      const row = d0 + r * GH, id = ids[tok0 + r];
      for (let j = 0; j < GH; j++) f[dw0 + j * I + id] += f[row + j];
    }
  } else {
    matmulTN(m, dWih, dgates, x, GH, I, rows, 1);
    if (dx !== 0) matmulNN(m, dx, dgates, Wih, rows, I, GH, 0);
  }
}
