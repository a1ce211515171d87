// The input side shared by the gated cells (LSTM, GRU): the gate pre-activations of every step
// of a window from the input as one product before the recurrence, and their parameter and input
// gradients as whole-window products after the backward sweep.
//
//   rows = T·B (time-major),  GH = G·H gate rows of W_ih (G = 4 for LSTM, 3 for GRU),  I input features
import { REAL_BYTES } from "../precision";
import { matmulNNShare, matmulNTShare, matmulTNShare } from "../ops/matmul";
import { addInto, addRowsInto2, gatherColumn, scatterAddColumn } from "../ops/vector";
import { myThread, shareStart } from "../ops/threads";

/** (T·B, G·H) rows = x W_ihᵀ, or column tokens[r] of W_ih for one-hot input (shared by LSTM and GRU); this thread's rows of nt. */
// @ts-ignore: decorator
@inline export function inputProduct(out: usize, x: usize, tokens: usize, Wih: usize, rows: i32, I: i32, GH: i32, nt: i32, who: string): void {
  if (tokens != 0) {
    const colStride = <usize>I * REAL_BYTES; // Wih[j, id] = Wih + (j·I + id)·4
    const rowOut = <usize>GH * REAL_BYTES;
    const me = myThread();
    for (let r = shareStart(rows, 4, nt, me), end = shareStart(rows, 4, nt, me + 1); r < end; r++) {
      const id = load<i32>(tokens + (<usize>r << 2));
      assert(id >= 0 && id < I, who);
      gatherColumn(out + <usize>r * rowOut, Wih + (<usize>id << 2), colStride, GH);
    }
  } else {
    matmulNTShare(out, x, Wih, rows, GH, I, 0, nt);
  }
}

/**
 * The parameter gradients of the input side after a backward sweep (shared by LSTM and GRU):
 * db_ih += Σ_r δ_r, and db_hh += Σ_r δ_r too when dbhh ≠ 0 (LSTM; GRU adds its own first);  dW_ih += δᵀ x (tokens: δ_r added to column tokens[r]);  dx = δ W_ih when dx ≠ 0.
 * dgates: (rows, G·H) δ;  x: (rows, I) or tokens: (rows).  This thread's share of nt: columns of δ (rows of dW_ih), rows of dx.
 */
// @ts-ignore: decorator
@inline export function inputGradients(dx: usize, dWih: usize, dbih: usize, dbhh: usize, dgates: usize, x: usize, tokens: usize, Wih: usize,
  rows: i32, I: i32, GH: i32, nt: i32, who: string): void {
  const rowG = <usize>GH * REAL_BYTES;
  const me = myThread();
  const j0 = shareStart(GH, 4, nt, me), j1 = shareStart(GH, 4, nt, me + 1); // this thread's columns of δ
  const cols = <usize>j0 * REAL_BYTES;
  if (dbhh != 0) addRowsInto2(dbih + cols, dbhh + cols, dgates + cols, rows, j1 - j0, rowG); // db_ih += Σ_r δ_r;  db_hh += Σ_r δ_r
  else if (j1 > j0) for (let r = 0; r < rows; r++) addInto(dbih + cols, dgates + <usize>r * rowG + cols, j1 - j0); // GRU: its db_hh takes δ before the n block changes
  if (tokens != 0) {
    const colStride = <usize>I * REAL_BYTES;
    if (j1 > j0) for (let r = 0; r < rows; r++) {
      const id = load<i32>(tokens + (<usize>r << 2));
      assert(id >= 0 && id < I, who);
      scatterAddColumn(dWih + (<usize>id << 2) + <usize>j0 * colStride, colStride, dgates + <usize>r * rowG + cols, j1 - j0);
    }
  } else {
    matmulTNShare(dWih, dgates, x, GH, I, rows, 1, nt); // dW_ih += δᵀ x over all rows
    if (dx != 0) matmulNNShare(dx, dgates, Wih, rows, I, GH, 0, nt); // dx = δ W_ih
  }
}
