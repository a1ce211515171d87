// The LSTM with projections (PyTorch's nn.LSTM(proj_size=P)): one layer over a whole window of T steps.
//
// Dimension legend
//   T  time steps    B  batch    I  input features (or vocabulary for token ids)
//   H  cell units (c has H)      P  projected units (h has P, P < H in PyTorch; any P ≥ 1 here)
//
// Weight layout (nn.LSTM's weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k})
//   Wih: (4H,I)  Whh: (4H,P)  bih, bhh: (4H), gate blocks i, f, g, o as in cells/lstm.ts;  Whr: (P,H)
//
// Tensors, time-major and contiguous
//   hs: (T,B,P) h_t   ms: (T,B,H) m_t = o ⊙ tanh(c_t)   cs, tanhCs: (T,B,H)   gates: (T,B,4H) post-activation i, f, g, o
//   h0: (B,P)  c0: (B,H)
//
// Forward                                          Backward (t = T−1 … 0)
//   a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh       dh_t = dhs_t + W_hhᵀ δ_{t+1}            (P)
//   i, f, g, o, c_t as cells/lstm.ts                  dm_t = W_hrᵀ dh_t                       (H)
//   m_t = o ⊙ tanh(c_t)                               δ_t, dc_t: cells/lstm.ts with dm_t in place of dh_t
//   h_t = W_hr m_t                                    dW_hr += Σ_t dh_t m_tᵀ,  dW_hh += Σ_t δ_t h_{t−1}ᵀ,  the input side as lstm.ts
//                                                    dh0 = W_hhᵀ δ_0 (P),  dc0 = dc_0 ⊙ f_0 (H)
//
// Both kernels run on one thread (they are not in the pool's list): every thread count gives the
// same result, which is the one-thread build's.
import { REAL_BYTES } from "../precision";
import { matmulNN, matmulNT, matmulTNShare } from "../ops/matmul";
import { addInto, allZero, fill } from "../ops/vector";
import { inputGradients, inputProduct } from "./gated";
import { lstmDeltaRow, lstmRow } from "./lstm";

/**
 * The projected LSTM over T steps, overwriting hs, ms, cs, tanhCs and gates.
 * x: (T,B,I) or 0;  tokens: (T,B) or 0 (exactly one);  h0: (B,P);  c0: (B,H);  Wih: (4H,I);  Whh: (4H,P);  Whr: (P,H);  bih, bhh: (4H).
 */
export function lstmProjForward(hs: usize, ms: usize, cs: usize, tanhCs: usize, gates: usize, x: usize, tokens: usize, h0: usize, c0: usize,
  Wih: usize, Whh: usize, Whr: usize, bih: usize, bhh: usize, T: i32, B: i32, I: i32, H: i32, P: i32): void {
  assert(((hs | ms | cs | tanhCs | gates | x | tokens | h0 | c0 | Wih | Whh | Whr | bih | bhh) & 3) == 0, "lstmProjForward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0 && P >= 0, "lstmProjForward: negative dimension");
  assert((x != 0) != (tokens != 0), "lstmProjForward: give exactly one of x and tokens");
  const G4 = 4 * H;
  const rowH = <usize>H * REAL_BYTES, rowG = <usize>G4 * REAL_BYTES;
  const stepH = <usize>B * rowH, stepG = <usize>B * rowG, stepP = <usize>B * P * REAL_BYTES;
  inputProduct(gates, x, tokens, Wih, T * B, I, G4, 1, ASC_NO_ASSERT ? "" : "lstmProjForward: token id out of range [0, I)");
  const h0Zero = allZero(h0, B * P);
  for (let t = 0; t < T; t++) {
    const gt = gates + <usize>t * stepG; // (B,4H)
    const hPrev = t == 0 ? h0 : hs + <usize>(t - 1) * stepP; // (B,P)
    const cPrev = t == 0 ? c0 : cs + <usize>(t - 1) * stepH; // (B,H)
    if (t > 0 || !h0Zero) matmulNT(gt, hPrev, Whh, B, G4, P, 1); // a_t += h_{t−1} W_hhᵀ
    const at = <usize>t * stepH;
    for (let b = 0; b < B; b++) {
      const rb = <usize>b * rowH;
      lstmRow(ms + at + rb, cs + at + rb, tanhCs + at + rb, gt + <usize>b * rowG, cPrev + rb, bih, bhh, H, H); // m_t = o ⊙ tanh(c_t)
    }
    matmulNT(hs + <usize>t * stepP, ms + at, Whr, B, P, H, 0); // h_t = m_t W_hrᵀ
  }
}

/**
 * BPTT for one projected LSTM layer over the whole window, in one call.
 * dx: (T,B,I) out (dense input only) or 0;  dWih: (4H,I) +=;  dWhh: (4H,P) +=;  dWhr: (P,H) +=;  dbih, dbhh: (4H) +=;
 * dh0: (B,P) out;  dc0: (B,H) out;  dhNorms: (T,B) out ‖dh_t‖₂² per sequence, or 0;  dgates: (T,B,4H) scratch, left holding δ;
 * dhp: (T,B,P) scratch, left holding dh_t;  dms: (2,B,H) scratch (zeros, then dm_t);
 * dhs: (T,B,P) in ∂E/∂h_t from above (read only);  the rest as given to / saved by lstmProjForward.
 */
export function lstmProjBackward(dx: usize, dWih: usize, dWhh: usize, dWhr: usize, dbih: usize, dbhh: usize, dh0: usize, dc0: usize, dhNorms: usize,
  dgates: usize, dhp: usize, dms: usize, dhs: usize, hs: usize, ms: usize, cs: usize, tanhCs: usize, gates: usize, x: usize, tokens: usize,
  h0: usize, c0: usize, Wih: usize, Whh: usize, Whr: usize, T: i32, B: i32, I: i32, H: i32, P: i32): void {
  assert(((dx | dWih | dWhh | dWhr | dbih | dbhh | dh0 | dc0 | dhNorms | dgates | dhp | dms | dhs | hs | ms | cs | tanhCs | gates | x | tokens | h0 | c0 | Wih | Whh | Whr) & 3) == 0,
    "lstmProjBackward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0 && P >= 0, "lstmProjBackward: negative dimension");
  assert((x != 0) != (tokens != 0), "lstmProjBackward: give exactly one of x and tokens");
  const G4 = 4 * H;
  const rowH = <usize>H * REAL_BYTES, rowG = <usize>G4 * REAL_BYTES;
  const stepH = <usize>B * rowH, stepG = <usize>B * rowG, stepP = <usize>B * P * REAL_BYTES;
  const zeros = dms, dm = dms + stepH; // (B,H) each
  fill(zeros, B * H, 0);
  fill(dh0, B * P, 0); // carry W_hhᵀ δ_T = 0
  fill(dc0, B * H, 0); // carry dc_T ⊙ f_T = 0
  for (let t = T - 1; t >= 0; t--) {
    const at = <usize>t * stepH;
    const cPrev = t == 0 ? c0 : cs + at - stepH; // (B,H)
    const dt = dgates + <usize>t * stepG, gt = gates + <usize>t * stepG; // (B,4H)
    const dht = dhp + <usize>t * stepP; // (B,P)
    memory.copy(dht, dhs + <usize>t * stepP, stepP);
    addInto(dht, dh0, B * P); // dh_t = dhs_t + W_hhᵀ δ_{t+1}
    if (dhNorms != 0) {
      for (let b = 0; b < B; b++) { // ‖dh_t‖² of each sequence
        let norm2: f64 = 0;
        for (let k = b * P; k < (b + 1) * P; k++) {
          const v = <f64>load<f32>(dht + (<usize>k << 2));
          norm2 += v * v;
        }
        store<f32>(dhNorms + (<usize>(t * B + b) << 2), <f32>norm2);
      }
    }
    matmulNN(dm, dht, Whr, B, H, P, 0); // dm_t = dh_t W_hr  (= W_hrᵀ dh_t per row)
    for (let b = 0; b < B; b++) {
      const rb = <usize>b * rowH;
      lstmDeltaRow(dt + <usize>b * rowG, dc0 + rb, zeros + rb, dm + rb, gt + <usize>b * rowG, tanhCs + at + rb, cPrev + rb, H);
    }
    matmulNN(dh0, dt, Whh, B, P, G4, 0); // carry = δ_t W_hh  (= W_hhᵀ δ_t per row)
  }
  if (T > 1) matmulTNShare(dWhh, dgates + stepG, hs, G4, P, (T - 1) * B, 1, 1); // dW_hh += Σ_{t≥1} δ_tᵀ h_{t−1}
  if (!allZero(h0, B * P)) matmulTNShare(dWhh, dgates, h0, G4, P, B, 1, 1); // + δ_0ᵀ h0
  matmulTNShare(dWhr, dhp, ms, P, H, T * B, 1, 1); // dW_hr += Σ_t dh_tᵀ m_t
  inputGradients(dx, dWih, dbih, dbhh, dgates, x, tokens, Wih, T * B, I, G4, 1, ASC_NO_ASSERT ? "" : "lstmProjBackward: token id out of range [0, I)");
}
