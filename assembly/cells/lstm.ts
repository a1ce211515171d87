// The LSTM cell (PyTorch's nn.LSTM): one layer over a whole window of T steps, forward and backward.
//
// Dimension legend
//   T  time steps in the window      B  batch (independent sequences)
//   I  input features, or the vocabulary size when the input is token ids
//   H  hidden units; G = 4 gate blocks of H rows each, in PyTorch's order i, f, g, o
//
// Weight layout (nn.LSTM's weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, row-major)
//   Wih: (4H,I)  Whh: (4H,H)  bih, bhh: (4H)   rows [0,H) input gate i, [H,2H) forget gate f,
//                                              [2H,3H) cell candidate g, [3H,4H) output gate o
//
// Tensors, time-major and contiguous
//   x: (T,B,I) dense input, or tokens: (T,B) int32 ids in [0,I) for a one-hot input
//   h0, c0: (B,H)   hs, cs, tanhCs: (T,B,H) = h_t, c_t, tanh(c_t)   gates: (T,B,4H) = i, f, g, o (post-activation)
//
// Forward                                              Backward (time-reversed, t = T−1 … 0; δ are pre-activation gradients)
//   a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh  (4H)    dh_t = dhs_t + W_hhᵀ δ_{t+1}              (δ_T = 0)
//   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)     dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh²c_t)   (dc_T = 0)
//   c_t = f ⊙ c_{t−1} + i ⊙ g                             δo = dh_t ⊙ tanh(c_t) ⊙ o(1 − o)
//   h_t = o ⊙ tanh(c_t)                                   δi = dc_t ⊙ g ⊙ i(1 − i)     δg = dc_t ⊙ i ⊙ (1 − g²)
//   (h_{−1}, c_{−1}) = (h0, c0)                           δf = dc_t ⊙ c_{t−1} ⊙ f(1 − f)
//                                                        dW_hh += Σ_t δ_t h_{t−1}ᵀ,  dW_ih += Σ_t δ_t x_tᵀ  (tokens: column scatter-add)
//                                                        db_ih += Σ_t δ_t,  db_hh += Σ_t δ_t
//                                                        dx_t = W_ihᵀ δ_t (dense input, when dx ≠ 0)
//                                                        dh0 = W_hhᵀ δ_0,  dc0 = dc_0 ⊙ f_0
//
// The input side of all T steps is one product (T·B, 4H) = x W_ihᵀ (or a column gather) before
// the recurrence; each step then adds h_{t−1} W_hhᵀ in place. Backward keeps the carries
// W_hhᵀ δ_{t+1} and dc_{t+1} ⊙ f_{t+1} in dh0 and dc0 and forms the weight gradients after the
// sweep as whole-window products, like rnnBackward.
import { REAL_BYTES } from "../precision";
import { addSquaresF64, hsumF64, sigmoidf, sigmoidX4, tanhf, tanhX4 } from "../ops/math";
import { matmulNN, matmulNT, matmulTNShare } from "../ops/matmul";
import { packWholeB } from "../ops/gemm";
import { barrier, myThread, shareStart, threads } from "../ops/threads";
import { carryPacked, matvecPacked } from "../ops/matvec";
import { addInto, allZero, fill } from "../ops/vector";
import { inputGradients, inputProduct } from "./gated";

/**
 * One batch row of one step, units 0 … n − 1 from the pointers given (all H of them, or a thread's
 * share): the gate activations, c_t, tanh(c_t) and h_t from the pre-activations in `gate`, whose
 * blocks are H floats apart. A function of its own, not inlined: lstmForward and lstmProjForward
 * (cells/lstmp.ts) share one copy.
 */
export function lstmRow(h: usize, c: usize, tc: usize, gate: usize, cPrev: usize, bih: usize, bhh: usize, n: i32, H: i32): void {
  const blk = <usize>H * REAL_BYTES; // bytes of one gate block
  let j = 0;
  let off: usize = 0;
  for (; j + 4 <= n; j += 4, off += 16) {
    const pi = gate + off, pf = pi + blk, pg = pf + blk, po = pg + blk;
    const bi = off, bf = off + blk, bg = bf + blk, bo = bg + blk;
    const i = sigmoidX4(f32x4.add(f32x4.add(v128.load(pi), v128.load(bih + bi)), v128.load(bhh + bi)));
    const f = sigmoidX4(f32x4.add(f32x4.add(v128.load(pf), v128.load(bih + bf)), v128.load(bhh + bf)));
    const g = tanhX4(f32x4.add(f32x4.add(v128.load(pg), v128.load(bih + bg)), v128.load(bhh + bg)));
    const o = sigmoidX4(f32x4.add(f32x4.add(v128.load(po), v128.load(bih + bo)), v128.load(bhh + bo)));
    const ct = f32x4.add(f32x4.mul(f, v128.load(cPrev + off)), f32x4.mul(i, g)); // c_t = f ⊙ c_{t−1} + i ⊙ g
    const t = tanhX4(ct);
    v128.store(pi, i); v128.store(pf, f); v128.store(pg, g); v128.store(po, o);
    v128.store(c + off, ct);
    v128.store(tc + off, t);
    v128.store(h + off, f32x4.mul(o, t)); // h_t = o ⊙ tanh(c_t)
  }
  for (; j < n; j++, off += 4) {
    const pi = gate + off, pf = pi + blk, pg = pf + blk, po = pg + blk;
    const bi = off, bf = off + blk, bg = bf + blk, bo = bg + blk;
    const i = sigmoidf(load<f32>(pi) + load<f32>(bih + bi) + load<f32>(bhh + bi));
    const f = sigmoidf(load<f32>(pf) + load<f32>(bih + bf) + load<f32>(bhh + bf));
    const g = tanhf(load<f32>(pg) + load<f32>(bih + bg) + load<f32>(bhh + bg));
    const o = sigmoidf(load<f32>(po) + load<f32>(bih + bo) + load<f32>(bhh + bo));
    const ct = f * load<f32>(cPrev + off) + i * g;
    const t = tanhf(ct);
    store<f32>(pi, i); store<f32>(pf, f); store<f32>(pg, g); store<f32>(po, o);
    store<f32>(c + off, ct);
    store<f32>(tc + off, t);
    store<f32>(h + off, o * t);
  }
}

/**
 * The LSTM over T steps, overwriting hs, cs, tanhCs and gates.
 * hs, cs, tanhCs: (T,B,H) out;  gates: (T,B,4H) out (post-activation i, f, g, o);
 * x: (T,B,I) or 0;  tokens: (T,B) or 0;  h0, c0: (B,H);  Wih: (4H,I);  Whh: (4H,H);  bih, bhh: (4H);
 * WhhPacked: when B = 1, W_hh in row groups (packRowGroups, ops/matvec.ts), read instead of Whh;
 * when B > 1, scratch of packedWhhFloats(4, H) floats for W_hhᵀ packed once (ops/gemm.ts), overwritten; or 0.
 */
export function lstmForward(hs: usize, cs: usize, tanhCs: usize, gates: usize, x: usize, tokens: usize, h0: usize, c0: usize,
  Wih: usize, Whh: usize, bih: usize, bhh: usize, T: i32, B: i32, I: i32, H: i32, WhhPacked: usize): void {
  assert(((hs | cs | tanhCs | gates | x | tokens | h0 | c0 | Wih | Whh | bih | bhh | WhhPacked) & 3) == 0, "lstmForward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0, "lstmForward: negative dimension");
  assert((x != 0) != (tokens != 0), "lstmForward: give exactly one of x and tokens");
  const G4 = 4 * H;
  const rowH = <usize>H * REAL_BYTES, rowG = <usize>G4 * REAL_BYTES;
  const stepH = <usize>B * rowH, stepG = <usize>B * rowG; // one (B,H) and one (B,4H) slab
  const nt = threads(), me = myThread();
  // input side for all steps at once: gates (T·B, 4H) = x W_ihᵀ, or gathered columns of W_ih (each thread its rows)
  inputProduct(gates, x, tokens, Wih, T * B, I, G4, nt, ASC_NO_ASSERT ? "" : "lstmForward: token id out of range [0, I)");
  const packed = B == 1 && WhhPacked != 0;
  // B ≥ 4: W_hhᵀ packed into gemm panels once for the window's T products, not once per step and thread
  const B4 = WhhPacked != 0 && !packed ? B & ~3 : 0;
  if (B4 > 0 && me == 0) packWholeB(WhhPacked, Whh, H, G4, REAL_BYTES, rowH); // B[k,j] = W_hh[j,k]
  barrier(nt);
  const h0Zero = allZero(h0, B * H); // a window that starts from h0 = 0 (no carried state) skips h0 W_hhᵀ, as rnnForward
  if (packed && nt > 1) { // B = 1 on several threads: each step's gate rows, then its units, shared behind barriers
    const r0 = shareStart(G4, 8, nt, me), r1 = shareStart(G4, 8, nt, me + 1); // its groups of 8 rows of a_t
    const ownPacked = WhhPacked + <usize>(r0 >> 3) * (<usize>((H + 3) >> 2) << 7);
    const u0 = shareStart(H, 4, nt, me), u1 = shareStart(H, 4, nt, me + 1), off = <usize>u0 * REAL_BYTES; // its units
    for (let t = 0; t < T; t++) {
      const gt = gates + <usize>t * rowG, at = <usize>t * rowH;
      const hPrev = t == 0 ? h0 : hs + at - rowH, cPrev = t == 0 ? c0 : cs + at - rowH;
      if ((t > 0 || !h0Zero) && r1 > r0) matvecPacked(gt + <usize>r0 * REAL_BYTES, ownPacked, hPrev, r1 - r0, H, 1);
      barrier(nt); // a_t is whole
      if (u1 > u0) lstmRow(hs + at + off, cs + at + off, tanhCs + at + off, gt + off, cPrev + off, bih + off, bhh + off, u1 - u0, H);
      barrier(nt); // step t + 1 reads all of h_t
    }
    return;
  }
  // the recurrence: each thread runs its own sequences b0 … b1 − 1 through all T steps
  const b0 = shareStart(B, 4, nt, me), b1 = shareStart(B, 4, nt, me + 1);
  const Wp = B4 > 0 ? WhhPacked : 0;
  for (let t = 0; t < T; t++) {
    const gt = gates + <usize>t * stepG; // (B,4H)
    const hPrev = t == 0 ? h0 : hs + <usize>(t - 1) * stepH; // (B,H)
    const cPrev = t == 0 ? c0 : cs + <usize>(t - 1) * stepH; // (B,H)
    if (t > 0 || !h0Zero) { // a_t += h_{t−1} W_hhᵀ
      if (b1 == b0) {} // no sequences of this thread's
      else if (packed) matvecPacked(gt, WhhPacked, hPrev, G4, H, 1);
      else matmulNT(gt + <usize>b0 * rowG, hPrev + <usize>b0 * rowH, Whh, b1 - b0, G4, H, 1, Wp);
    }
    const at = <usize>t * stepH;
    for (let b = b0; b < b1; b++) {
      const rb = <usize>b * rowH;
      lstmRow(hs + at + rb, cs + at + rb, tanhCs + at + rb, gt + <usize>b * rowG, cPrev + rb, bih, bhh, H, H);
    }
  }
}

/**
 * One batch row of one backward step: δ of the four gates into `d` (4H), the carries updated in
 * place (dh: in W_hhᵀ δ_{t+1}, read only; dc: in dc_{t+1} ⊙ f_{t+1}, out dc_t ⊙ f_t). Returns ‖dh_t‖² of the row in f64.
 * Not inlined: lstmBackward and lstmProjBackward share one copy.
 */
export function lstmDeltaRow(d: usize, dc: usize, dhs: usize, dh: usize, gate: usize, tc: usize, cPrev: usize, H: i32): f64 {
  const blk = <usize>H * REAL_BYTES;
  const one = f32x4.splat(1);
  let acc = f64x2.splat(0);
  let j = 0;
  let off: usize = 0;
  for (; j + 4 <= H; j += 4, off += 16) {
    const g_h = f32x4.add(v128.load(dhs + off), v128.load(dh + off)); // dh_t = dhs_t + W_hhᵀ δ_{t+1}
    acc = addSquaresF64(acc, g_h);
    const pi = gate + off, pf = pi + blk, pg = pf + blk, po = pg + blk;
    const i = v128.load(pi), f = v128.load(pf), g = v128.load(pg), o = v128.load(po);
    const t = v128.load(tc + off);
    // dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 − tanh² c_t)
    const dct = f32x4.add(v128.load(dc + off), f32x4.mul(f32x4.mul(g_h, o), f32x4.sub(one, f32x4.mul(t, t))));
    const dout = f32x4.mul(f32x4.mul(g_h, t), f32x4.mul(o, f32x4.sub(one, o))); // δo = dh ⊙ tanh c ⊙ o(1 − o)
    const din = f32x4.mul(f32x4.mul(dct, g), f32x4.mul(i, f32x4.sub(one, i))); // δi = dc ⊙ g ⊙ i(1 − i)
    const dg = f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g))); // δg = dc ⊙ i ⊙ (1 − g²)
    const df = f32x4.mul(f32x4.mul(dct, v128.load(cPrev + off)), f32x4.mul(f, f32x4.sub(one, f))); // δf = dc ⊙ c_{t−1} ⊙ f(1 − f)
    v128.store(dc + off, f32x4.mul(dct, f)); // carry dc_t ⊙ f_t to step t − 1
    const di = d + off;
    v128.store(di, din); v128.store(di + blk, df); v128.store(di + 2 * blk, dg); v128.store(di + 3 * blk, dout);
  }
  let norm2 = hsumF64(acc);
  for (; j < H; j++, off += 4) {
    const g_h = load<f32>(dhs + off) + load<f32>(dh + off);
    norm2 += <f64>g_h * <f64>g_h;
    const pi = gate + off, pf = pi + blk, pg = pf + blk, po = pg + blk;
    const i = load<f32>(pi), f = load<f32>(pf), g = load<f32>(pg), o = load<f32>(po);
    const t = load<f32>(tc + off);
    const dct = load<f32>(dc + off) + (g_h * o) * (1 - t * t);
    const dout = (g_h * t) * (o * (1 - o));
    const din = (dct * g) * (i * (1 - i));
    const dg = (dct * i) * (1 - g * g);
    const df = (dct * load<f32>(cPrev + off)) * (f * (1 - f));
    store<f32>(dc + off, dct * f);
    const di = d + off;
    store<f32>(di, din); store<f32>(di + blk, df); store<f32>(di + 2 * blk, dg); store<f32>(di + 3 * blk, dout);
  }
  return norm2;
}

/**
 * Backpropagation through time for one LSTM layer over the whole window, in one call.
 * dx: (T,B,I) out (overwritten, dense input only) or 0;  dWih: (4H,I) +=;  dWhh: (4H,H) +=;  dbih, dbhh: (4H) +=;
 * dh0, dc0: (B,H) out ∂E/∂h0, ∂E/∂c0 (the carries during the sweep);  dhNorms: (T,B) out ‖dh_t‖₂² per sequence, or 0;
 * dgates: (T,B,4H) out δ_t (scratch, left holding the pre-activation gradients);
 * dhs: (T,B,H) in ∂E/∂h_t from the layer above or the head (unchanged);
 * hs, cs, tanhCs, gates, x, tokens, h0, c0: as given to / saved by lstmForward;  Wih: (4H,I);  Whh: (4H,H).
 * WhhPacked: as for lstmForward (when B > 1, scratch for W_hh packed once).
 */
export function lstmBackward(dx: usize, dWih: usize, dWhh: usize, dbih: usize, dbhh: usize, dh0: usize, dc0: usize, dhNorms: usize,
  dgates: usize, dhs: usize, hs: usize, cs: usize, tanhCs: usize, gates: usize, x: usize, tokens: usize, h0: usize, c0: usize,
  Wih: usize, Whh: usize, T: i32, B: i32, I: i32, H: i32, WhhPacked: usize): void {
  assert(((dx | dWih | dWhh | dbih | dbhh | dh0 | dc0 | dhNorms | dgates | dhs | hs | cs | tanhCs | gates | x | tokens | h0 | c0 | Wih | Whh | WhhPacked) & 3) == 0,
    "lstmBackward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0, "lstmBackward: negative dimension");
  assert((x != 0) != (tokens != 0), "lstmBackward: give exactly one of x and tokens");
  const G4 = 4 * H;
  const rowH = <usize>H * REAL_BYTES, rowG = <usize>G4 * REAL_BYTES;
  const stepH = <usize>B * rowH, stepG = <usize>B * rowG;
  const rows = T * B;
  // each thread the sweep of its own sequences b0 … b1 − 1 (with their ‖dh_t‖²)
  const nt = threads(), me = myThread();
  const b0 = shareStart(B, 4, nt, me), b1 = shareStart(B, 4, nt, me + 1);
  const own = <usize>b0 * rowH;
  fill(dh0 + own, (b1 - b0) * H, 0); // carry W_hhᵀ δ_T = 0
  fill(dc0 + own, (b1 - b0) * H, 0); // carry dc_T ⊙ f_T = 0
  const packed = B == 1 && WhhPacked != 0;
  // B ≥ 4: W_hh packed into gemm panels once for the window's T carries
  const B4 = WhhPacked != 0 && !packed ? B & ~3 : 0;
  if (B4 > 0 && me == 0) packWholeB(WhhPacked, Whh, G4, H, rowH, REAL_BYTES); // B[k,j] = W_hh[k,j]
  barrier(nt);
  const Wp = B4 > 0 ? WhhPacked : 0;
  if (packed && nt > 1) { // B = 1 on several threads: the sequence's thread forms δ_t, then every thread its chunks of the carry
    const Q = (H + 3) >> 2, q0 = shareStart(Q, 2, nt, me), q1 = shareStart(Q, 2, nt, me + 1); // chunks of 4 columns
    for (let t = T - 1; t >= 0; t--) {
      const at = <usize>t * rowH, dt = dgates + <usize>t * rowG;
      if (b1 > b0) {
        const norm2 = lstmDeltaRow(dt, dc0, dhs + at, dh0, gates + <usize>t * rowG, tanhCs + at, t == 0 ? c0 : cs + at - rowH, H);
        if (dhNorms != 0) store<f32>(dhNorms + (<usize>t << 2), <f32>norm2);
      }
      barrier(nt); // δ_t is whole, and the carry read
      carryPacked(dh0, WhhPacked, dt, G4, H, q0, q1);
      barrier(nt); // the carry is whole
    }
  } else for (let t = T - 1; t >= 0; t--) {
    const at = <usize>t * stepH;
    const cPrev = t == 0 ? c0 : cs + at - stepH; // (B,H)
    const dt = dgates + <usize>t * stepG, gt = gates + <usize>t * stepG; // (B,4H)
    for (let b = b0; b < b1; b++) {
      const rb = <usize>b * rowH;
      const norm2 = lstmDeltaRow(dt + <usize>b * rowG, dc0 + rb, dhs + at + rb, dh0 + rb, gt + <usize>b * rowG, tanhCs + at + rb, cPrev + rb, H);
      if (dhNorms != 0) store<f32>(dhNorms + (<usize>(t * B + b) << 2), <f32>norm2);
    }
    if (b1 == b0) {} // no sequences of this thread's
    else if (packed) carryPacked(dh0, WhhPacked, dt, G4, H, 0, (H + 3) >> 2); // carry = δ_t W_hh  (= W_hhᵀ δ_t per row)
    else matmulNN(dh0 + own, dt + <usize>b0 * rowG, Whh, b1 - b0, H, G4, 0, Wp);
  }
  barrier(nt); // the weight gradients read every sequence's δ
  // dW_hh += Σ_{t≥1} δ_tᵀ h_{t−1} (one product over the window) + δ_0ᵀ h0;  db_hh += Σ δ
  if (T > 1) matmulTNShare(dWhh, dgates + stepG, hs, G4, H, (T - 1) * B, 1, nt);
  if (!allZero(h0, B * H)) matmulTNShare(dWhh, dgates, h0, G4, H, B, 1, nt); // a pass over all of dW_hh that adds 0 when h0 = 0
  inputGradients(dx, dWih, dbih, dbhh, dgates, x, tokens, Wih, rows, I, G4, nt, ASC_NO_ASSERT ? "" : "lstmBackward: token id out of range [0, I)");
}
