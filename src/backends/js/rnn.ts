import { Activation, type Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulNT, matmulTN } from "./matmul.js";
import { matvecRows } from "./matvec.js";

/**
 * Vanilla (Elman) cell over a window, time-major:
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),  h_{-1} = h0
 * hs: (T,B,H); x: (T,B,I) or tokens: (T,B); h0: (B,H); Wih: (H,I); Whh: (H,H); bih, bhh: (H).
 */
export function rnnForward(m: JsMemory, hs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr,
  T: number, B: number, I: number, H: number, act: number): void {
  const f = m.f32, ids = m.i32;
  const hs0 = hs >> 2, bi = bih >> 2, bh = bhh >> 2, w0 = Wih >> 2;
  // pre-activations of all steps from the input side: (T·B, H) = x W_ihᵀ, or gathered columns of W_ih
  if (tokens !== 0) {
    const tok0 = tokens >> 2;
    for (let r = 0; r < T * B; r++) {
      const row = hs0 + r * H, id = ids[tok0 + r];
      for (let j = 0; j < H; j++) f[row + j] = f[w0 + j * I + id];
    }
  } else {
    matmulNT(m, hs, x, Wih, T * B, H, I, 0);
  }
  for (let t = 0; t < T; t++) {
    const ht = hs + t * B * H * 4;
    const hPrev = t === 0 ? h0 : ht - B * H * 4;
    matvecRows(m, ht, hPrev, Whh, B, H, H, 1);
    const base = ht >> 2;
    const relu = act === Activation.Relu;
    for (let b = 0; b < B; b++) {
      const row = base + b * H;
      if (relu) {
        for (let j = 0; j < H; j++) {
          const a = f[row + j] + f[bi + j] + f[bh + j];
          f[row + j] = a > 0 ? a : 0;
        }
      } else {
        for (let j = 0; j < H; j++) f[row + j] = Math.tanh(f[row + j] + f[bi + j] + f[bh + j]);
      }
    }
  }
}

/**
 * BPTT for one layer, time-reversed:
 *   g_t = dhs_t + W_hhᵀ δ_{t+1};  δ_t = g_t ⊙ act'(h_t);  dW_ih += Σ δ_t x_tᵀ;  dW_hh += Σ δ_t h_{t-1}ᵀ;
 *   db_ih, db_hh += Σ δ_t;  dx_t = W_ihᵀ δ_t;  dh0 = W_hhᵀ δ_0.   dhs is overwritten with δ.
 */
export function rnnBackward(m: JsMemory, dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dhNorms: Ptr,
  dhs: Ptr, hs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, Wih: Ptr, Whh: Ptr,
  T: number, B: number, I: number, H: number, act: number): void {
  const f = m.f32, ids = m.i32;
  const BH = B * H;
  const carry = dh0 >> 2; // W_hhᵀ δ_{t+1}, kept in dh0 until it becomes W_hhᵀ δ_0
  f.fill(0, carry, carry + BH);
  for (let t = T - 1; t >= 0; t--) {
    const d = (dhs >> 2) + t * BH, h = (hs >> 2) + t * BH;
    for (let b = 0; b < B; b++) {
      let norm2 = 0;
      const end = (b + 1) * H;
      if (act === Activation.Relu) {
        for (let k = b * H; k < end; k++) {
          const g = f[d + k] + f[carry + k];
          norm2 += g * g;
          f[d + k] = f[h + k] > 0 ? g : 0;
        }
      } else {
        for (let k = b * H; k < end; k++) {
          const g = f[d + k] + f[carry + k];
          norm2 += g * g;
          const y = f[h + k];
          f[d + k] = g * (1 - y * y);
        }
      }
      if (dhNorms !== 0) f[(dhNorms >> 2) + t * B + b] = norm2;
    }
    matmulNN(m, dh0, dhs + t * BH * 4, Whh, B, H, H, 0);
  }
  // weight gradients as whole-window products: dW_hh += δ_{1..T-1}ᵀ h_{0..T-2} + δ_0ᵀ h0
  if (T > 1) matmulTN(m, dWhh, dhs + BH * 4, hs, H, H, (T - 1) * B, 1);
  matmulTN(m, dWhh, dhs, h0, H, H, B, 1);
  const d0 = dhs >> 2, dbi = dbih >> 2, dbh = dbhh >> 2;
  for (let r = 0; r < T * B; r++) {
    const row = d0 + r * H;
    for (let j = 0; j < H; j++) {
      f[dbi + j] += f[row + j];
      f[dbh + j] += f[row + j];
    }
  }
  if (tokens !== 0) {
    // one-hot input: δ_t x_tᵀ adds δ_t to column tokens[t,b] of dW_ih
    const tok0 = tokens >> 2, dw0 = dWih >> 2;
    for (let r = 0; r < T * B; r++) {
      const row = d0 + r * H, id = ids[tok0 + r];
      for (let j = 0; j < H; j++) f[dw0 + j * I + id] += f[row + j];
    }
  } else {
    matmulTN(m, dWih, dhs, x, H, I, T * B, 1);
    if (dx !== 0) matmulNN(m, dx, dhs, Wih, T * B, I, H, 0);
  }
}
