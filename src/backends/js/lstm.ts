import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulTN } from "./matmul.js";
import { matvecRows } from "./matvec.js";
import { inputGradients, inputProduct, sigmoid } from "./gated.js";

/**
 * LSTM (nn.LSTM) over a window, time-major; gate blocks i, f, g, o of H rows each:
 *   a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;  i, f, o = σ(a_i, a_f, a_o);  g = tanh(a_g)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t);  (h_{-1}, c_{-1}) = (h0, c0)
 * hs, cs, tanhCs: (T,B,H); gates: (T,B,4H) post-activation; x: (T,B,I) or tokens: (T,B); h0, c0: (B,H);
 * Wih: (4H,I); Whh: (4H,H); bih, bhh: (4H).
 */
export function lstmForward(m: JsMemory, hs: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
  Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number): void {
  const f = m.f32, G = 4 * H, BH = B * H;
  const bi = bih >> 2, bh = bhh >> 2;
  inputProduct(m, gates, x, tokens, Wih, T * B, I, G);
  for (let t = 0; t < T; t++) {
    const gt = gates + t * B * G * 4;
    const hPrev = t === 0 ? h0 : hs + (t - 1) * BH * 4;
    const cPrev = t === 0 ? c0 >> 2 : (cs >> 2) + (t - 1) * BH;
    matvecRows(m, gt, hPrev, Whh, B, G, H, 1);
    for (let b = 0; b < B; b++) {
      const a = (gt >> 2) + b * G, s = t * BH + b * H, cp = cPrev + b * H;
      lstmRow(f, a, bi, bh, cp, (cs >> 2) + s, (tanhCs >> 2) + s, (hs >> 2) + s, H);
    }
  }
}

/**
 * One sequence's step (float indices): the pre-activations at a (+ b_ih at bi, b_hh at bh) become the
 * gates i, f, g, o in place; c = f ⊙ c_prev (at cp) + i ⊙ g, tc = tanh(c), out = o ⊙ tc. Shared with the
 * projected LSTM, whose out is m_t.
 */
export function lstmRow(f: Float32Array, a: number, bi: number, bh: number, cp: number, c: number, tc: number, out: number, H: number): void {
  for (let j = 0; j < H; j++) {
    const i = sigmoid(f[a + j] + f[bi + j] + f[bh + j]);
    const fg = sigmoid(f[a + H + j] + f[bi + H + j] + f[bh + H + j]);
    const g = Math.tanh(f[a + 2 * H + j] + f[bi + 2 * H + j] + f[bh + 2 * H + j]);
    const o = sigmoid(f[a + 3 * H + j] + f[bi + 3 * H + j] + f[bh + 3 * H + j]);
    f[a + j] = i; f[a + H + j] = fg; f[a + 2 * H + j] = g; f[a + 3 * H + j] = o;
    const ct = Math.fround(fg * f[cp + j] + i * g);
    f[c + j] = ct;
    const th = Math.tanh(ct);
    f[tc + j] = th;
    f[out + j] = o * th;
  }
}

/**
 * LSTM BPTT, time-reversed (δ = pre-activation gradients of the gates):
 *   dh_t = dhs_t + W_hhᵀ δ_{t+1};  dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh² c_t)
 *   δo = dh_t ⊙ tanh c_t ⊙ o(1−o);  δi = dc_t ⊙ g ⊙ i(1−i);  δg = dc_t ⊙ i ⊙ (1−g²);  δf = dc_t ⊙ c_{t-1} ⊙ f(1−f)
 *   dW_hh += Σ δ_t h_{t-1}ᵀ;  dW_ih += Σ δ_t x_tᵀ;  db_ih, db_hh += Σ δ_t;  dx_t = W_ihᵀ δ_t;  dh0 = W_hhᵀ δ_0;  dc0 = dc_0 ⊙ f_0.
 * dgates: (T,B,4H) scratch, left holding δ; dhs is read only.
 */
export function lstmBackward(m: JsMemory, dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dc0: Ptr, dhNorms: Ptr,
  dgates: Ptr, dhs: Ptr, hs: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
  Wih: Ptr, Whh: Ptr, T: number, B: number, I: number, H: number): void {
  const f = m.f32, G = 4 * H, BH = B * H;
  const dh = dh0 >> 2, dc = dc0 >> 2; // the carries W_hhᵀ δ_{t+1} and dc_{t+1} ⊙ f_{t+1}
  f.fill(0, dh, dh + BH);
  f.fill(0, dc, dc + BH);
  for (let t = T - 1; t >= 0; t--) {
    const cPrev = t === 0 ? c0 >> 2 : (cs >> 2) + (t - 1) * BH;
    for (let b = 0; b < B; b++) {
      let norm2 = 0;
      const s = t * BH + b * H, k = b * H;
      const a = (gates >> 2) + (t * B + b) * G, d = (dgates >> 2) + (t * B + b) * G;
      const up = (dhs >> 2) + s, tc = (tanhCs >> 2) + s, cp = cPrev + k;
      for (let j = 0; j < H; j++) {
        const gh = f[up + j] + f[dh + k + j];
        norm2 += gh * gh;
        const i = f[a + j], fg = f[a + H + j], g = f[a + 2 * H + j], o = f[a + 3 * H + j], th = f[tc + j];
        const dct = f[dc + k + j] + gh * o * (1 - th * th);
        f[d + 3 * H + j] = gh * th * o * (1 - o);
        f[d + j] = dct * g * i * (1 - i);
        f[d + 2 * H + j] = dct * i * (1 - g * g);
        f[d + H + j] = dct * f[cp + j] * fg * (1 - fg);
        f[dc + k + j] = dct * fg;
      }
      if (dhNorms !== 0) f[(dhNorms >> 2) + t * B + b] = norm2;
    }
    matmulNN(m, dh0, dgates + t * B * G * 4, Whh, B, H, G, 0);
  }
  if (T > 1) matmulTN(m, dWhh, dgates + B * G * 4, hs, G, H, (T - 1) * B, 1);
  matmulTN(m, dWhh, dgates, h0, G, H, B, 1);
  const d0 = dgates >> 2, dbh = dbhh >> 2;
  for (let r = 0; r < T * B; r++) for (let j = 0; j < G; j++) f[dbh + j] += f[d0 + r * G + j];
  inputGradients(m, dx, dWih, dbih, dgates, x, tokens, Wih, T * B, I, G);
}
