import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulNT, matmulTN } from "./matmul.js";

/** Y (N,O) = X (N,H) · W (O,H)ᵀ + b (O). */
export function linearForward(m: JsMemory, Y: Ptr, X: Ptr, W: Ptr, b: Ptr, N: number, O: number, H: number): void {
  const f = m.f32, y0 = Y >> 2, b0 = b >> 2;
  for (let n = 0; n < N; n++) f.copyWithin(y0 + n * O, b0, b0 + O);
  matmulNT(m, Y, X, W, N, O, H, 1);
}

/** dW (O,H) += dYᵀ X; db (O) += Σ_n dY[n]; dX (N,H) = dY · W when dX ≠ 0. */
export function linearBackward(m: JsMemory, dX: Ptr, dW: Ptr, db: Ptr, dY: Ptr, X: Ptr, W: Ptr, N: number, O: number, H: number): void {
  const f = m.f32, dy0 = dY >> 2, db0 = db >> 2;
  matmulTN(m, dW, dY, X, O, H, N, 1);
  for (let n = 0; n < N; n++) {
    const row = dy0 + n * O;
    for (let o = 0; o < O; o++) f[db0 + o] += f[row + o];
  }
  if (dX !== 0) matmulNN(m, dX, dY, W, N, H, O, 0);
}
