// The linear head: Y = X Wᵀ + b and its backward pass, as calls to the matmul primitives.
//   N rows (T·B flattened), H input features, O outputs.
//   X: (N,H)  W: (O,H)  b: (O)  Y, dY: (N,O)  dX: (N,H)  dW: (O,H)  db: (O)
// Each thread of the call computes its share (ops/threads.ts): rows of Y and dX, rows of dW,
// columns of db. The three outputs of the backward pass are independent: no barrier.
import { REAL_BYTES } from "../precision";
import { matmulNNShare, matmulNTShare, matmulTNShare } from "./matmul";
import { addInto } from "./vector";
import { myThread, shareStart, threads } from "./threads";
import { GEMM_MR } from "./scratch";

/** Y (N,O) = X (N,H) · W (O,H)ᵀ + b (O). */
export function linearForward(Y: usize, X: usize, W: usize, b: usize, N: i32, O: i32, H: i32): void {
  const nt = threads(), t = myThread();
  const rowY = <usize>O * REAL_BYTES;
  const n0 = shareStart(N, GEMM_MR, nt, t), n1 = shareStart(N, GEMM_MR, nt, t + 1);
  for (let n = n0; n < n1; n++) memory.copy(Y + <usize>n * rowY, b, rowY); // Y[n] = b
  matmulNTShare(Y, X, W, N, O, H, 1, nt); // Y += X Wᵀ, the same rows
}

/** dW (O,H) += dYᵀ X;  db (O) += Σ_n dY[n];  dX (N,H) = dY (N,O) · W (O,H) when dX ≠ 0 (overwritten). */
export function linearBackward(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, N: i32, O: i32, H: i32): void {
  const nt = threads(), t = myThread();
  matmulTNShare(dW, dY, X, O, H, N, 1, nt);
  const rowY = <usize>O * REAL_BYTES;
  const o0 = shareStart(O, 4, nt, t), o1 = shareStart(O, 4, nt, t + 1);
  const off = <usize>o0 * REAL_BYTES;
  if (o1 > o0) for (let n = 0; n < N; n++) addInto(db + off, dY + <usize>n * rowY + off, o1 - o0);
  if (dX != 0) matmulNNShare(dX, dY, W, N, H, O, 0, nt);
}
