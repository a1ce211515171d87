import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";
import { matmulNN, matmulTN } from "./matmul.js";
import { matvecRows } from "./matvec.js";
import { inputGradients, inputProduct, sigmoid } from "./gated.js";

/**
 * GRU (nn.GRU) over a window, time-major; gate blocks r, z, n of H rows each:
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
 * hs: (T,B,H); gates: (T,B,3H) post-activation r, z, n; ghs: (T,B,3H) = W_hh h_{t-1} + b_hh;
 * x: (T,B,I) or tokens: (T,B); h0: (B,H); Wih: (3H,I); Whh: (3H,H); bih, bhh: (3H).
 */
export function gruForward(m: JsMemory, hs: Ptr, gates: Ptr, ghs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr,
  Wih: Ptr, Whh: Ptr, bih: Ptr, bhh: Ptr, T: number, B: number, I: number, H: number): void {
  const f = m.f32, G = 3 * H, BH = B * H;
  const bi = bih >> 2, bh = bhh >> 2;
  inputProduct(m, gates, x, tokens, Wih, T * B, I, G);
  for (let t = 0; t < T; t++) {
    const qt = ghs + t * B * G * 4;
    const hPrev = t === 0 ? h0 : hs + (t - 1) * BH * 4;
    matvecRows(m, qt, hPrev, Whh, B, G, H, 0);
    for (let b = 0; b < B; b++) {
      const a = (gates >> 2) + (t * B + b) * G, q = (qt >> 2) + b * G;
      const h = (hs >> 2) + t * BH + b * H, hp = (hPrev >> 2) + b * H;
      for (let j = 0; j < H; j++) {
        const hr = Math.fround(f[q + j] + f[bh + j]);
        const hz = Math.fround(f[q + H + j] + f[bh + H + j]);
        const hn = Math.fround(f[q + 2 * H + j] + f[bh + 2 * H + j]);
        f[q + j] = hr; f[q + H + j] = hz; f[q + 2 * H + j] = hn;
        const r = Math.fround(sigmoid(f[a + j] + f[bi + j] + hr));
        const z = Math.fround(sigmoid(f[a + H + j] + f[bi + H + j] + hz));
        const n = Math.fround(Math.tanh(f[a + 2 * H + j] + f[bi + 2 * H + j] + r * hn));
        f[a + j] = r; f[a + H + j] = z; f[a + 2 * H + j] = n;
        f[h + j] = (1 - z) * n + z * f[hp + j];
      }
    }
  }
}

/**
 * GRU BPTT, time-reversed, with dh_t = dhs_t + carry:
 *   δn = dh_t ⊙ (1 − z) ⊙ (1 − n²);  δhn = δn ⊙ r;  δr = δn ⊙ (W_hn h + b_hn) ⊙ r(1−r);  δz = dh_t ⊙ (h_{t-1} − n) ⊙ z(1−z)
 *   carry = dh_t ⊙ z + W_hhᵀ (δr, δz, δhn);  dW_hh, db_hh from (δr, δz, δhn);  dW_ih, db_ih, dx from (δr, δz, δn).
 * dgates: (T,B,3H) scratch, left holding (δr, δz, δn); dns: (T,B,H) scratch δn; dhs is read only.
 */
export function gruBackward(m: JsMemory, dx: Ptr, dWih: Ptr, dWhh: Ptr, dbih: Ptr, dbhh: Ptr, dh0: Ptr, dhNorms: Ptr,
  dgates: Ptr, dns: Ptr, dhs: Ptr, hs: Ptr, gates: Ptr, ghs: Ptr, x: Ptr, tokens: Ptr, h0: Ptr,
  Wih: Ptr, Whh: Ptr, T: number, B: number, I: number, H: number): void {
  const f = m.f32, G = 3 * H, BH = B * H;
  const dh = dh0 >> 2;
  f.fill(0, dh, dh + BH);
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = t === 0 ? h0 >> 2 : (hs >> 2) + (t - 1) * BH;
    for (let b = 0; b < B; b++) {
      let norm2 = 0;
      const s = t * BH + b * H, k = b * H, row = (t * B + b) * G;
      const a = (gates >> 2) + row, q = (ghs >> 2) + row, d = (dgates >> 2) + row;
      const up = (dhs >> 2) + s, dn = (dns >> 2) + s, hp = hPrev + k;
      for (let j = 0; j < H; j++) {
        const g = f[up + j] + f[dh + k + j];
        norm2 += g * g;
        const r = f[a + j], z = f[a + H + j], n = f[a + 2 * H + j];
        const dnt = g * (1 - z) * (1 - n * n);
        f[d + j] = dnt * f[q + 2 * H + j] * r * (1 - r);
        f[d + H + j] = g * (f[hp + j] - n) * z * (1 - z);
        f[d + 2 * H + j] = dnt * r;
        f[dn + j] = dnt;
        f[dh + k + j] = g * z;
      }
      if (dhNorms !== 0) f[(dhNorms >> 2) + t * B + b] = norm2;
    }
    matmulNN(m, dh0, dgates + t * B * G * 4, Whh, B, H, G, 1);
  }
  if (T > 1) matmulTN(m, dWhh, dgates + B * G * 4, hs, G, H, (T - 1) * B, 1);
  matmulTN(m, dWhh, dgates, h0, G, H, B, 1);
  const d0 = dgates >> 2, dbh = dbhh >> 2, n0 = dns >> 2;
  for (let r = 0; r < T * B; r++) for (let j = 0; j < G; j++) f[dbh + j] += f[d0 + r * G + j];
  for (let r = 0; r < T * B; r++) f.copyWithin(d0 + r * G + 2 * H, n0 + r * H, n0 + (r + 1) * H);
  inputGradients(m, dx, dWih, dbih, dgates, x, tokens, Wih, T * B, I, G);
}
