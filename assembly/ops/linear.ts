// The linear head: Y = X Wᵀ + b and its backward pass, as calls to the matmul primitives.
//   N rows (T·B flattened), H input features, O outputs.
//   X: (N,H)  W: (O,H)  b: (O)  Y, dY: (N,O)  dX: (N,H)  dW: (O,H)  db: (O)
import { REAL_BYTES } from "../precision";
import { matmulNN, matmulNT, matmulTN } from "./matmul";
import { addInto } from "./vector";

/** Y (N,O) = X (N,H) · W (O,H)ᵀ + b (O). */
export function linearForward(Y: usize, X: usize, W: usize, b: usize, N: i32, O: i32, H: i32): void {
  const rowY = <usize>O * REAL_BYTES;
  for (let n = 0; n < N; n++) memory.copy(Y + <usize>n * rowY, b, rowY); // Y[n] = b
  matmulNT(Y, X, W, N, O, H, 1); // Y += X Wᵀ
}

/** dW (O,H) += dYᵀ X;  db (O) += Σ_n dY[n];  dX (N,H) = dY (N,O) · W (O,H) when dX ≠ 0 (overwritten). */
export function linearBackward(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, N: i32, O: i32, H: i32): void {
  matmulTN(dW, dY, X, O, H, N, 1);
  const rowY = <usize>O * REAL_BYTES;
  for (let n = 0; n < N; n++) addInto(db, dY + <usize>n * rowY, O);
  if (dX != 0) matmulNN(dX, dY, W, N, H, O, 0);
}
