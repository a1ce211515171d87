import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulNT, matmulTN } from "./matmul.js";
import { inputGradients, inputProduct } from "./gated.js";
import { lstmRow } from "./lstm.js";

/**
 * LSTM with projections (nn.LSTM(proj_size=P)) over a window, time-major:
 *   a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;  i, f, g, o, c_t as lstmForward;  m_t = o ⊙ tanh(c_t);  h_t = W_hr m_t
 * hs: (T,B,P); ms, cs, tanhCs: (T,B,H); gates: (T,B,4H) post-activation; h0: (B,P); c0: (B,H);
 * Wih: (4H,I); Whh: (4H,P); Whr: (P,H); bih, bhh: (4H).
 */
export function lstmProjForward(m: JsMemory, hs: Ptr, ms: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
  Wih: Ptr, Whh: Ptr, Whr: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number, P: number): void {
  const f = m.f32, G = 4 * H, BH = B * H;
  const bi = bih >> 2, bh = bhh >> 2;
  inputProduct(m, gates, x, tokens, Wih, T * B, I, G);
  for (let t = 0; t < T; t++) {
    const gt = gates + t * B * G * 4;
    const hPrev = t === 0 ? h0 : hs + (t - 1) * B * P * 4;
    const cPrev = t === 0 ? c0 >> 2 : (cs >> 2) + (t - 1) * BH;
    matmulNT(m, gt, hPrev, Whh, B, G, P, 1);
    for (let b = 0; b < B; b++) {
      const a = (gt >> 2) + b * G, s = t * BH + b * H, cp = cPrev + b * H;
      lstmRow(f, a, bi, bh, cp, (cs >> 2) + s, (tanhCs >> 2) + s, (ms >> 2) + s, H);
    }
    matmulNT(m, hs + t * B * P * 4, ms + t * BH * 4, Whr, B, P, H, 0);
  }
}

/**
 * Projected LSTM BPTT, time-reversed:  dh_t = dhs_t + W_hhᵀ δ_{t+1} (P);  dm_t = W_hrᵀ dh_t (H);  δ_t and dc_t as
 * lstmBackward with dm_t for dh_t;  dW_hr += Σ dh_t m_tᵀ;  dW_hh += Σ δ_t h_{t-1}ᵀ;  dh0 = W_hhᵀ δ_0 (P);  dc0 = dc_0 ⊙ f_0.
 * dgates: (T,B,4H) scratch left holding δ; dhp: (T,B,P) scratch left holding dh_t; dms: (2,B,H) scratch; dhs read only.
 */
export function lstmProjBackward(m: JsMemory, dx: Ptr, dWih: Ptr, dWhh: Ptr, dWhr: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dc0: Ptr, dhNorms: Ptr,
  dgates: Ptr, dhp: Ptr, dms: Ptr, dhs: Ptr, hs: Ptr, ms: Ptr, cs: Ptr, tanhCs: Ptr, gates: Ptr, x: Ptr, tokens: Ptr, h0: Ptr, c0: Ptr,
  Wih: Ptr, Whh: Ptr, Whr: Ptr, T: number, B: number, I: number, H: number, P: number): void {
  const f = m.f32, G = 4 * H, BH = B * H, BP = B * P;
  const dh = dh0 >> 2, dc = dc0 >> 2, dm = (dms >> 2) + BH;
  f.fill(0, dh, dh + BP);
  f.fill(0, dc, dc + BH);
  for (let t = T - 1; t >= 0; t--) {
    const cPrev = t === 0 ? c0 >> 2 : (cs >> 2) + (t - 1) * BH;
    const dht = (dhp >> 2) + t * BP, up = (dhs >> 2) + t * BP;
    for (let b = 0; b < B; b++) {
      let norm2 = 0; // ‖dh_t‖² of sequence b
      for (let k = b * P; k < (b + 1) * P; k++) {
        const v = Math.fround(f[up + k] + f[dh + k]);
        f[dht + k] = v;
        norm2 += v * v;
      }
      if (dhNorms !== 0) f[(dhNorms >> 2) + t * B + b] = norm2;
    }
    matmulNN(m, dm << 2, dht << 2, Whr, B, H, P, 0);
    for (let b = 0; b < B; b++) {
      const s = t * BH + b * H, k = b * H;
      const a = (gates >> 2) + (t * B + b) * G, d = (dgates >> 2) + (t * B + b) * G;
      const tc = (tanhCs >> 2) + s, cp = cPrev + k;
      for (let j = 0; j < H; j++) {
        const gh = f[dm + k + j];
        const i = f[a + j], fg = f[a + H + j], g = f[a + 2 * H + j], o = f[a + 3 * H + j], th = f[tc + j];
        const dct = f[dc + k + j] + gh * o * (1 - th * th);
        f[d + 3 * H + j] = gh * th * o * (1 - o);
        f[d + j] = dct * g * i * (1 - i);
        f[d + 2 * H + j] = dct * i * (1 - g * g);
        f[d + H + j] = dct * f[cp + j] * fg * (1 - fg);
        f[dc + k + j] = dct * fg;
      }
    }
    matmulNN(m, dh0, dgates + t * B * G * 4, Whh, B, P, G, 0);
  }
  if (T > 1) matmulTN(m, dWhh, dgates + B * G * 4, hs, G, P, (T - 1) * B, 1);
  matmulTN(m, dWhh, dgates, h0, G, P, B, 1);
  matmulTN(m, dWhr, dhp, ms, P, H, T * B, 1);
  const d0 = dgates >> 2, dbh = dbhh >> 2;
  for (let r = 0; r < T * B; r++) for (let j = 0; j < G; j++) f[dbh + j] += f[d0 + r * G + j];
  inputGradients(m, dx, dWih, dbih, dgates, x, tokens, Wih, T * B, I, G);
}
