// The vanilla (Elman) cell: one layer over a whole window of T steps, forward and backward.
//
// Dimension legend
//   T  time steps in the window      B  batch (independent sequences)
//   I  input features, or the vocabulary size when the input is token ids
//   H  hidden units
//
// Weight layout (PyTorch's nn.RNN, row-major)
//   Wih: (H,I)  Whh: (H,H)  bih, bhh: (H)      row j of W holds the weights into unit j
//
// Tensors, time-major and contiguous
//   x: (T,B,I) dense input, or tokens: (T,B) int32 ids in [0,I) for a one-hot input
//   h0: (B,H)  hs: (T,B,H) = h_0 … h_{T−1}   (post-activation, what backward needs)
//
// Forward                                          Backward (time-reversed, t = T−1 … 0)
//   a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh      g_t = dhs_t + W_hhᵀ δ_{t+1}       (δ_T = 0)
//   h_t = act(a_t),  h_{−1} = h0                     δ_t = g_t ⊙ act'(h_t)
//                                                      tanh'  = 1 − h_t²   (from the saved output)
//                                                      relu'  = [h_t > 0]
//                                                    dW_hh += Σ_t δ_t h_{t−1}ᵀ
//                                                    dW_ih += Σ_t δ_t x_tᵀ   (tokens: column scatter-add)
//                                                    db_ih += Σ_t δ_t,   db_hh += Σ_t δ_t
//                                                    dx_t   = W_ihᵀ δ_t    (dense input, when dx ≠ 0)
//                                                    dh0    = W_hhᵀ δ_0
//
// In row-vector form (one row per sequence of the batch) W x becomes x Wᵀ, so the forward
// products are matmulNT against the weight rows and the backward ones matmulNN / matmulTN.
import { REAL_BYTES, real } from "../precision";
import { addSquaresF64, hsumF64, reluf, reluX4, tanhf, tanhX4 } from "../ops/math";
import { matmulNN, matmulNNShare, matmulNT, matmulNTShare, matmulTNShare } from "../ops/matmul";
import { carryPacked, matvecPacked } from "../ops/matvec";
import { packWholeB } from "../ops/gemm";
import { addRowsInto2, allZero, fill, gatherColumn, scatterAddColumn } from "../ops/vector";
import { barrier, myThread, shareStart, threads } from "../ops/threads";

const TANH: i32 = 0;

/** row (H) = act(row + bih + bhh) for one batch row of pre-activations. */
// @ts-ignore: decorator
@inline function activateRow(row: usize, bih: usize, bhh: usize, H: i32, act: i32): void {
  let j = 0;
  let off: usize = 0;
  if (act == TANH) {
    for (; j + 4 <= H; j += 4, off += 16) {
      const a = f32x4.add(f32x4.add(v128.load(row + off), v128.load(bih + off)), v128.load(bhh + off));
      v128.store(row + off, tanhX4(a));
    }
    for (; j < H; j++, off += 4) store<f32>(row + off, tanhf(load<f32>(row + off) + load<f32>(bih + off) + load<f32>(bhh + off)));
  } else {
    for (; j + 4 <= H; j += 4, off += 16) {
      const a = f32x4.add(f32x4.add(v128.load(row + off), v128.load(bih + off)), v128.load(bhh + off));
      v128.store(row + off, reluX4(a));
    }
    for (; j < H; j++, off += 4) store<f32>(row + off, reluf(load<f32>(row + off) + load<f32>(bih + off) + load<f32>(bhh + off)));
  }
}

/**
 * h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) for t = 0 … T−1, overwriting hs.
 * hs: (T,B,H) out; x: (T,B,I) or 0; tokens: (T,B) or 0; h0: (B,H); Wih: (H,I); Whh: (H,H); bih, bhh: (H);
 * WhhPacked: when B = 1, W_hh in row groups (packRowGroups, ops/matvec.ts), read instead of Whh;
 * when B > 1, scratch of packedFloats(H, H) floats for W_hhᵀ packed once (ops/gemm.ts), overwritten; or 0.
 */
export function rnnForward(hs: usize, x: usize, tokens: usize, h0: usize, Wih: usize, Whh: usize, bih: usize, bhh: usize,
  T: i32, B: i32, I: i32, H: i32, act: i32, WhhPacked: usize): void {
  assert(((hs | x | tokens | h0 | Wih | Whh | bih | bhh | WhhPacked) & 3) == 0, "rnnForward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0, "rnnForward: negative dimension");
  assert(act == 0 || act == 1, "rnnForward: unknown activation");
  assert((x != 0) != (tokens != 0), "rnnForward: give exactly one of x and tokens");
  const nt = threads(), me = myThread();
  const rowH = <usize>H * REAL_BYTES;
  const stepBytes = <usize>B * rowH; // one (B,H) slab of hs
  const rows = T * B;
  // input side for all steps at once (each thread its share of the T·B rows):
  // hs (T·B, H) = x (T·B, I) · W_ihᵀ, or gathered columns of W_ih
  if (tokens != 0) {
    const colStride = <usize>I * REAL_BYTES; // Wih[j, id] = Wih + (j·I + id)·4
    for (let r = shareStart(rows, 4, nt, me), end = shareStart(rows, 4, nt, me + 1); r < end; r++) {
      const id = load<i32>(tokens + (<usize>r << 2));
      assert(id >= 0 && id < I, "rnnForward: token id out of range [0, I)");
      gatherColumn(hs + <usize>r * rowH, Wih + (<usize>id << 2), colStride, H);
    }
  } else {
    matmulNTShare(hs, x, Wih, rows, H, I, 0, nt);
  }
  const h0Zero = allZero(h0, B * H); // a window that starts from h0 = 0 (no carried state) skips h0 W_hhᵀ
  const packed = B == 1 && WhhPacked != 0;
  if (packed && nt > 1) { // B = 1 on several threads: each step's rows shared, a barrier per step
    barrier(nt); // the input side of every row is in hs
    const j0 = shareStart(H, 8, nt, me), j1 = shareStart(H, 8, nt, me + 1), rows = <usize>j0 * REAL_BYTES;
    const ownPacked = WhhPacked + <usize>(j0 >> 3) * (<usize>((H + 3) >> 2) << 7); // its row groups
    for (let t = 0; t < T; t++) {
      const ht = hs + <usize>t * stepBytes, hPrev = t == 0 ? h0 : ht - stepBytes;
      if (j1 > j0) {
        if (t > 0 || !h0Zero) matvecPacked(ht + rows, ownPacked, hPrev, j1 - j0, H, 1);
        activateRow(ht + rows, bih + rows, bhh + rows, j1 - j0, act);
      }
      barrier(nt); // step t + 1 reads all of h_t
    }
    return;
  }
  // B ≥ 4: W_hhᵀ packed into gemm panels once for the window's T products (into WhhPacked, as scratch)
  const B4 = WhhPacked != 0 ? B & ~3 : 0;
  if (B4 > 0 && me == 0) packWholeB(WhhPacked, Whh, H, H, REAL_BYTES, rowH); // B[k,j] = W_hh[j,k]
  barrier(nt);
  // the recurrence: each thread runs its own sequences b0 … b1 − 1 through all T steps
  const b0 = shareStart(B, 4, nt, me), b1 = shareStart(B, 4, nt, me + 1);
  const Wp = B4 > 0 ? WhhPacked : 0, own = <usize>b0 * rowH;
  for (let t = 0; t < T; t++) {
    const ht = hs + <usize>t * stepBytes; // (B,H)
    const hPrev = t == 0 ? h0 : ht - stepBytes; // (B,H)
    if (t > 0 || !h0Zero) { // a_t += h_{t−1} W_hhᵀ
      if (packed) { if (b1 > b0) matvecPacked(ht, WhhPacked, hPrev, H, H, 1); }
      else if (b1 > b0) matmulNT(ht + own, hPrev + own, Whh, b1 - b0, H, H, 1, Wp);
    }
    for (let b = b0; b < b1; b++) activateRow(ht + <usize>b * rowH, bih, bhh, H, act);
  }
}

/**
 * δ = (d + carry) ⊙ act'(h) over n values, written to d; returns ‖d + carry‖² in f64.
 * d: (n) in: ∂E/∂h_t from above, out: δ_t;  carry: (n) W_hhᵀ δ_{t+1};  h: (n) saved h_t.
 */
// @ts-ignore: decorator
@inline function deltaStep(d: usize, carry: usize, h: usize, n: i32, act: i32): f64 {
  let acc = f64x2.splat(0);
  let k = 0;
  let off: usize = 0;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (; k + 4 <= n; k += 4, off += 16) {
    const g = f32x4.add(v128.load(d + off), v128.load(carry + off)); // g_t = dhs_t + W_hhᵀ δ_{t+1}
    acc = addSquaresF64(acc, g);
    const y = v128.load(h + off);
    const delta = act == TANH
      ? f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y))) // tanh' = 1 − h²
      : v128.and(g, f32x4.gt(y, zero)); // relu' = [h > 0]
    v128.store(d + off, delta);
  }
  let norm2 = hsumF64(acc);
  for (; k < n; k++, off += 4) {
    const g = load<f32>(d + off) + load<f32>(carry + off);
    norm2 += <f64>g * <f64>g;
    const y = load<f32>(h + off);
    const delta: real = act == TANH ? g * (1 - y * y) : (y > 0 ? g : 0);
    store<f32>(d + off, delta);
  }
  return norm2;
}

/**
 * Backpropagation through time for one layer over the whole window, in one call.
 * dx: (T,B,I) out (overwritten, dense input only) or 0;  dWih: (H,I) +=;  dWhh: (H,H) +=;
 * dbih, dbhh: (H) +=;  dh0: (B,H) out = W_hhᵀ δ_0, also the carry W_hhᵀ δ_{t+1} during the sweep;
 * dhNorms: (T,B) out ‖g_t‖₂² of each sequence, or 0;  dhs: (T,B,H) in ∂E/∂h_t, out δ_t;
 * hs, x, tokens, h0: as given to / saved by rnnForward;  Wih: (H,I);  Whh: (H,H);
 * WhhPacked: as for rnnForward (when B > 1, scratch for W_hh packed once).
 * Threads: each runs the sweep of its own sequences (with their ‖g_t‖²); after a barrier, each its
 * share of the weight-gradient rows, bias columns and dx rows.
 */
export function rnnBackward(dx: usize, dWih: usize, dWhh: usize, dbih: usize, dbhh: usize, dh0: usize, dhNorms: usize,
  dhs: usize, hs: usize, x: usize, tokens: usize, h0: usize, Wih: usize, Whh: usize,
  T: i32, B: i32, I: i32, H: i32, act: i32, WhhPacked: usize): void {
  assert(((dx | dWih | dWhh | dbih | dbhh | dh0 | dhNorms | dhs | hs | x | tokens | h0 | Wih | Whh | WhhPacked) & 3) == 0,
    "rnnBackward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0, "rnnBackward: negative dimension");
  assert(act == 0 || act == 1, "rnnBackward: unknown activation");
  assert((x != 0) != (tokens != 0), "rnnBackward: give exactly one of x and tokens");
  const nt = threads(), me = myThread();
  const BH = B * H;
  if (B == 1 && WhhPacked != 0 && nt > 1) {
    rnnBackwardShared(dx, dWih, dWhh, dbih, dbhh, dh0, dhNorms, dhs, hs, x, tokens, h0, Wih, T, I, H, act, WhhPacked, nt, me);
    return;
  }
  const rowH = <usize>H * REAL_BYTES;
  const stepBytes = <usize>B * rowH;
  const rows = T * B;
  const packed = B == 1 && WhhPacked != 0;
  // B ≥ 4: W_hh packed into gemm panels once for the window's T carries (into WhhPacked, as scratch)
  const B4 = WhhPacked != 0 ? B & ~3 : 0;
  if (B4 > 0 && me == 0) packWholeB(WhhPacked, Whh, H, H, rowH, REAL_BYTES); // B[k,j] = W_hh[k,j]
  barrier(nt);
  const b0 = shareStart(B, 4, nt, me), b1 = shareStart(B, 4, nt, me + 1);
  const Wp = B4 > 0 ? WhhPacked : 0, own = <usize>b0 * rowH;
  fill(dh0 + own, (b1 - b0) * H, 0); // carry W_hhᵀ δ_T = 0
  for (let t = T - 1; t >= 0; t--) {
    const d = dhs + <usize>t * stepBytes; // (B,H)
    for (let b = b0; b < b1; b++) { // δ_t and ‖g_t‖² of each sequence
      const rb = <usize>b * rowH;
      const norm2 = deltaStep(d + rb, dh0 + rb, hs + <usize>t * stepBytes + rb, H, act);
      if (dhNorms != 0) store<f32>(dhNorms + (<usize>(t * B + b) << 2), <f32>norm2);
    }
    // carry = δ_t W_hh  (= W_hhᵀ δ_t per row)
    if (packed) { if (b1 > b0) carryPacked(dh0, WhhPacked, d, H, H, 0, (H + 3) >> 2); }
    else if (b1 > b0) matmulNN(dh0 + own, d + own, Whh, b1 - b0, H, H, 0, Wp);
  }
  barrier(nt); // the weight gradients read every sequence's δ
  weightGradients(dx, dWih, dWhh, dbih, dbhh, dhs, hs, x, tokens, h0, Wih, T, B, I, H, nt, me);
}

/**
 * rnnBackward with B = 1 on nt threads, a step at a time: thread 0 forms δ_t (and ‖g_t‖²), then
 * every thread its chunks of the carry δ_t W_hh (ops/matvec.ts), a barrier after each. WhhPacked:
 * W_hh in row groups.
 */
function rnnBackwardShared(dx: usize, dWih: usize, dWhh: usize, dbih: usize, dbhh: usize, dh0: usize, dhNorms: usize,
  dhs: usize, hs: usize, x: usize, tokens: usize, h0: usize, Wih: usize,
  T: i32, I: i32, H: i32, act: i32, WhhPacked: usize, nt: i32, me: i32): void {
  const rowH = <usize>H * REAL_BYTES, Q = (H + 3) >> 2;
  const q0 = shareStart(Q, 2, nt, me), q1 = shareStart(Q, 2, nt, me + 1); // this thread's chunks of 4 columns
  if (me == 0) fill(dh0, H, 0); // carry W_hhᵀ δ_T = 0
  for (let t = T - 1; t >= 0; t--) {
    const d = dhs + <usize>t * rowH;
    if (me == 0) {
      const norm2 = deltaStep(d, dh0, hs + <usize>t * rowH, H, act);
      if (dhNorms != 0) store<f32>(dhNorms + (<usize>t << 2), <f32>norm2);
    }
    barrier(nt); // δ_t is whole, and the carry read
    carryPacked(dh0, WhhPacked, d, H, H, q0, q1);
    barrier(nt); // the carry is whole
  }
  weightGradients(dx, dWih, dWhh, dbih, dbhh, dhs, hs, x, tokens, h0, Wih, T, 1, I, H, nt, me);
}

/**
 * After the sweep (every δ_t in dhs), this thread's share of the weight gradients, bias columns and dx rows:
 * dW_hh += Σ_t δ_tᵀ h_{t−1};  dW_ih += Σ_t δ_tᵀ x_t (tokens: a column scatter-add);  db += Σ_t δ_t;  dx = δ W_ih.
 */
function weightGradients(dx: usize, dWih: usize, dWhh: usize, dbih: usize, dbhh: usize, dhs: usize, hs: usize, x: usize,
  tokens: usize, h0: usize, Wih: usize, T: i32, B: i32, I: i32, H: i32, nt: i32, me: i32): void {
  const rowH = <usize>H * REAL_BYTES, stepBytes = <usize>B * rowH, rows = T * B;
  // dW_hh += Σ_{t≥1} δ_tᵀ h_{t−1} (one product over the window) + δ_0ᵀ h0
  if (T > 1) matmulTNShare(dWhh, dhs + stepBytes, hs, H, H, (T - 1) * B, 1, nt);
  if (!allZero(h0, B * H)) matmulTNShare(dWhh, dhs, h0, H, H, B, 1, nt); // a pass over all of dW_hh that adds 0 when h0 = 0
  const j0 = shareStart(H, 4, nt, me), j1 = shareStart(H, 4, nt, me + 1);
  const cols = <usize>j0 * REAL_BYTES;
  addRowsInto2(dbih + cols, dbhh + cols, dhs + cols, rows, j1 - j0, rowH); // db_ih += Σ δ_t, db_hh += Σ δ_t
  if (tokens != 0) {
    // one-hot x_t: δ_t x_tᵀ adds δ_t to column tokens[t,b] of dW_ih (this thread: rows j0 … j1 − 1)
    const colStride = <usize>I * REAL_BYTES;
    for (let r = 0; r < rows; r++) {
      const id = load<i32>(tokens + (<usize>r << 2));
      assert(id >= 0 && id < I, "rnnBackward: token id out of range [0, I)");
      scatterAddColumn(dWih + (<usize>id << 2) + <usize>j0 * colStride, colStride, dhs + <usize>r * rowH + cols, j1 - j0);
    }
  } else {
    matmulTNShare(dWih, dhs, x, H, I, rows, 1, nt); // dW_ih += δᵀ x over all T·B rows
    if (dx != 0) matmulNNShare(dx, dhs, Wih, rows, I, H, 0, nt); // dx = δ W_ih
  }
}
