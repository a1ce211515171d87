// The GRU cell (PyTorch's nn.GRU): one layer over a whole window of T steps, forward and backward.
//
// Dimension legend
//   T  time steps in the window      B  batch (independent sequences)
//   I  input features, or the vocabulary size when the input is token ids
//   H  hidden units; G = 3 gate blocks of H rows each, in PyTorch's order r, z, n
//
// Weight layout (nn.GRU's weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, row-major)
//   Wih: (3H,I)  Whh: (3H,H)  bih, bhh: (3H)   rows [0,H) reset gate r, [H,2H) update gate z, [2H,3H) candidate n
//
// Tensors, time-major and contiguous
//   x: (T,B,I) dense input, or tokens: (T,B) int32 ids in [0,I) for a one-hot input
//   h0: (B,H)   hs: (T,B,H) = h_t   gates: (T,B,3H) = r, z, n (post-activation)
//   ghs: (T,B,3H) = W_hh h_{t−1} + b_hh (its n block, W_hn h_{t−1} + b_hn, is what backward needs)
//
// Forward (b_hn sits inside the reset product, as in PyTorch; unlike Keras' reset_after=False)
//   r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
//   z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
//   n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
//   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1},   h_{−1} = h0
//
// Backward (time-reversed, t = T−1 … 0), with dh_t = dhs_t + (carry from step t + 1):
//   δn = dh_t ⊙ (1 − z) ⊙ (1 − n²)                 gradient of n's pre-activation (input side: W_in, b_in)
//   δhn = δn ⊙ r                                    gradient of W_hn h_{t−1} + b_hn (hidden side)
//   δr = δn ⊙ (W_hn h_{t−1} + b_hn) ⊙ r(1 − r)
//   δz = dh_t ⊙ (h_{t−1} − n) ⊙ z(1 − z)
//   carry to t − 1:  dh_t ⊙ z + W_hhᵀ (δr, δz, δhn)
//   dW_hh += Σ_t (δr, δz, δhn)_t h_{t−1}ᵀ,  db_hh += Σ_t (δr, δz, δhn)_t
//   dW_ih += Σ_t (δr, δz, δn)_t x_tᵀ (tokens: column scatter-add),  db_ih += Σ_t (δr, δz, δn)_t
//   dx_t = W_ihᵀ (δr, δz, δn)_t (dense input, when dx ≠ 0),  dh0 = the carry out of step 0
//
// The input side of all T steps is one product (T·B, 3H) = x W_ihᵀ (or a column gather) before
// the recurrence; each step computes h_{t−1} W_hhᵀ into ghs. The weight gradients are
// whole-window products after the sweep: the hidden side from dgates as the sweep leaves it, then
// the n block is replaced by δn (kept in dns) for the input side.
import { REAL_BYTES } from "../precision";
import { addSquaresF64, hsumF64, sigmoidf, sigmoidX4, tanhf, tanhX4 } from "../ops/math";
import { matmulNN, matmulNT, matmulTNShare } from "../ops/matmul";
import { packWholeB } from "../ops/gemm";
import { barrier, myThread, shareStart, threads } from "../ops/threads";
import { addInto, fill } from "../ops/vector";
import { inputGradients, inputProduct } from "./gated";
import { carryPacked, matvecPacked } from "../ops/matvec";

/**
 * One batch row of one step, units 0 … units − 1 from the pointers given (all H of them, or a thread's
 * share; gate blocks H floats apart): r, z, n into `gate`, W_hh h + b_hh into `gh`, h_t into h.
 */
function gruRow(h: usize, gate: usize, gh: usize, hPrev: usize, bih: usize, bhh: usize, units: i32, H: i32): void {
  const blk = <usize>H * REAL_BYTES;
  const one = f32x4.splat(1);
  let j = 0;
  let off: usize = 0;
  for (; j + 4 <= units; j += 4, off += 16) {
    const pr = gate + off, pz = pr + blk, pn = pz + blk;
    const qr = gh + off, qz = qr + blk, qn = qz + blk;
    const hr = f32x4.add(v128.load(qr), v128.load(bhh + off));
    const hz = f32x4.add(v128.load(qz), v128.load(bhh + off + blk));
    const hn = f32x4.add(v128.load(qn), v128.load(bhh + off + 2 * blk)); // W_hn h + b_hn
    const r = sigmoidX4(f32x4.add(f32x4.add(v128.load(pr), v128.load(bih + off)), hr));
    const z = sigmoidX4(f32x4.add(f32x4.add(v128.load(pz), v128.load(bih + off + blk)), hz));
    const n = tanhX4(f32x4.add(f32x4.add(v128.load(pn), v128.load(bih + off + 2 * blk)), f32x4.mul(r, hn)));
    const hp = v128.load(hPrev + off);
    v128.store(qr, hr); v128.store(qz, hz); v128.store(qn, hn);
    v128.store(pr, r); v128.store(pz, z); v128.store(pn, n);
    v128.store(h + off, f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, hp))); // (1 − z) ⊙ n + z ⊙ h_{t−1}
  }
  for (; j < units; j++, off += 4) {
    const pr = gate + off, pz = pr + blk, pn = pz + blk;
    const qr = gh + off, qz = qr + blk, qn = qz + blk;
    const hr = load<f32>(qr) + load<f32>(bhh + off);
    const hz = load<f32>(qz) + load<f32>(bhh + off + blk);
    const hn = load<f32>(qn) + load<f32>(bhh + off + 2 * blk);
    const r = sigmoidf(load<f32>(pr) + load<f32>(bih + off) + hr);
    const z = sigmoidf(load<f32>(pz) + load<f32>(bih + off + blk) + hz);
    const n = tanhf(load<f32>(pn) + load<f32>(bih + off + 2 * blk) + r * hn);
    const hp = load<f32>(hPrev + off);
    store<f32>(qr, hr); store<f32>(qz, hz); store<f32>(qn, hn);
    store<f32>(pr, r); store<f32>(pz, z); store<f32>(pn, n);
    store<f32>(h + off, (1 - z) * n + z * hp);
  }
}

/**
 * The GRU over T steps, overwriting hs, gates and ghs.
 * hs: (T,B,H) out;  gates: (T,B,3H) out (post-activation r, z, n);  ghs: (T,B,3H) out W_hh h_{t−1} + b_hh;
 * x: (T,B,I) or 0;  tokens: (T,B) or 0;  h0: (B,H);  Wih: (3H,I);  Whh: (3H,H);  bih, bhh: (3H);
 * WhhPacked: when B = 1, W_hh in row groups (packRowGroups, ops/matvec.ts), read instead of Whh; when
 * B > 1, scratch of packedWhhFloats(3, H) floats for W_hhᵀ packed once (ops/gemm.ts), overwritten; or 0.
 */
export function gruForward(hs: usize, gates: usize, ghs: usize, x: usize, tokens: usize, h0: usize,
  Wih: usize, Whh: usize, bih: usize, bhh: usize, T: i32, B: i32, I: i32, H: i32, WhhPacked: usize): void {
  assert(((hs | gates | ghs | x | tokens | h0 | Wih | Whh | bih | bhh | WhhPacked) & 3) == 0, "gruForward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0, "gruForward: negative dimension");
  assert((x != 0) != (tokens != 0), "gruForward: give exactly one of x and tokens");
  const G3 = 3 * H;
  const rowH = <usize>H * REAL_BYTES, rowG = <usize>G3 * REAL_BYTES;
  const stepH = <usize>B * rowH, stepG = <usize>B * rowG;
  const nt = threads(), me = myThread();
  // input side for all steps at once: gates (T·B, 3H) = x W_ihᵀ, or gathered columns of W_ih (each thread its rows)
  inputProduct(gates, x, tokens, Wih, T * B, I, G3, nt, ASC_NO_ASSERT ? "" : "gruForward: token id out of range [0, I)");
  const packed = B == 1 && WhhPacked != 0;
  // B ≥ 4: W_hhᵀ packed into gemm panels once for the window's T products, not once per step and thread
  const B4 = WhhPacked != 0 && !packed ? B & ~3 : 0;
  if (B4 > 0 && me == 0) packWholeB(WhhPacked, Whh, H, G3, REAL_BYTES, rowH); // B[k,j] = W_hh[j,k]
  barrier(nt);
  if (packed) { // B = 1: matrix–vector products on the row groups; on several threads, each step's rows, then its units, shared
    const r0 = shareStart(G3, 8, nt, me), r1 = shareStart(G3, 8, nt, me + 1); // its groups of 8 rows of W_hh h
    const ownPacked = WhhPacked + <usize>(r0 >> 3) * (<usize>((H + 3) >> 2) << 7);
    const u0 = shareStart(H, 4, nt, me), u1 = shareStart(H, 4, nt, me + 1), off = <usize>u0 * REAL_BYTES; // its units
    for (let t = 0; t < T; t++) {
      const gt = gates + <usize>t * rowG, qt = ghs + <usize>t * rowG, ht = hs + <usize>t * rowH;
      const hPrev = t == 0 ? h0 : ht - rowH;
      if (r1 > r0) matvecPacked(qt + <usize>r0 * REAL_BYTES, ownPacked, hPrev, r1 - r0, H, 0);
      barrier(nt); // W_hh h_{t−1} is whole
      if (u1 > u0) gruRow(ht + off, gt + off, qt + off, hPrev + off, bih + off, bhh + off, u1 - u0, H);
      barrier(nt); // step t + 1 reads all of h_t
    }
    return;
  }
  // the recurrence: each thread runs its own sequences b0 … b1 − 1 through all T steps
  const b0 = shareStart(B, 4, nt, me), b1 = shareStart(B, 4, nt, me + 1);
  if (b1 == b0) return;
  const Wp = B4 > 0 ? WhhPacked : 0;
  for (let t = 0; t < T; t++) {
    const gt = gates + <usize>t * stepG, qt = ghs + <usize>t * stepG; // (B,3H)
    const hPrev = t == 0 ? h0 : hs + <usize>(t - 1) * stepH; // (B,H)
    matmulNT(qt + <usize>b0 * rowG, hPrev + <usize>b0 * rowH, Whh, b1 - b0, G3, H, 0, Wp); // W_hh h_{t−1}
    const ht = hs + <usize>t * stepH;
    for (let b = b0; b < b1; b++) {
      gruRow(ht + <usize>b * rowH, gt + <usize>b * rowG, qt + <usize>b * rowG, hPrev + <usize>b * rowH, bih, bhh, H, H);
    }
  }
}

/**
 * One batch row of one backward step: hidden-side δ (δr, δz, δhn) into d (3H), δn into dn (H), and the
 * carry dh (in: the carry from step t + 1; out: dh_t ⊙ z, to which W_hhᵀ δ is added after). Returns ‖dh_t‖² in f64.
 */
function gruDeltaRow(d: usize, dn: usize, dh: usize, dhs: usize, gate: usize, gh: usize, hPrev: usize, H: i32): f64 {
  const blk = <usize>H * REAL_BYTES;
  const one = f32x4.splat(1);
  let acc = f64x2.splat(0);
  let j = 0;
  let off: usize = 0;
  for (; j + 4 <= H; j += 4, off += 16) {
    const g = f32x4.add(v128.load(dhs + off), v128.load(dh + off)); // dh_t
    acc = addSquaresF64(acc, g);
    const r = v128.load(gate + off), z = v128.load(gate + off + blk), n = v128.load(gate + off + 2 * blk);
    const hn = v128.load(gh + off + 2 * blk), hp = v128.load(hPrev + off);
    const dnt = f32x4.mul(f32x4.mul(g, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n))); // δn = dh ⊙ (1 − z) ⊙ (1 − n²)
    const dz = f32x4.mul(f32x4.mul(g, f32x4.sub(hp, n)), f32x4.mul(z, f32x4.sub(one, z))); // δz = dh ⊙ (h_{t−1} − n) ⊙ z(1 − z)
    const dr = f32x4.mul(f32x4.mul(dnt, hn), f32x4.mul(r, f32x4.sub(one, r))); // δr = δn ⊙ (W_hn h + b_hn) ⊙ r(1 − r)
    v128.store(d + off, dr); v128.store(d + off + blk, dz); v128.store(d + off + 2 * blk, f32x4.mul(dnt, r)); // δhn = δn ⊙ r
    v128.store(dn + off, dnt);
    v128.store(dh + off, f32x4.mul(g, z)); // ∂h_t/∂h_{t−1} directly: z
  }
  let norm2 = hsumF64(acc);
  for (; j < H; j++, off += 4) {
    const g = load<f32>(dhs + off) + load<f32>(dh + off);
    norm2 += <f64>g * <f64>g;
    const r = load<f32>(gate + off), z = load<f32>(gate + off + blk), n = load<f32>(gate + off + 2 * blk);
    const hn = load<f32>(gh + off + 2 * blk), hp = load<f32>(hPrev + off);
    const dnt = (g * (1 - z)) * (1 - n * n);
    const dz = (g * (hp - n)) * (z * (1 - z));
    const dr = (dnt * hn) * (r * (1 - r));
    store<f32>(d + off, dr); store<f32>(d + off + blk, dz); store<f32>(d + off + 2 * blk, dnt * r);
    store<f32>(dn + off, dnt);
    store<f32>(dh + off, g * z);
  }
  return norm2;
}

/**
 * Backpropagation through time for one GRU layer over the whole window, in one call.
 * dx: (T,B,I) out (overwritten, dense input only) or 0;  dWih: (3H,I) +=;  dWhh: (3H,H) +=;  dbih, dbhh: (3H) +=;
 * dh0: (B,H) out ∂E/∂h0 (the carry during the sweep);  dhNorms: (T,B) out ‖dh_t‖₂² per sequence, or 0;
 * dgates: (T,B,3H) out (scratch; left holding the input-side δ = (δr, δz, δn));  dns: (T,B,H) out δn (scratch);
 * dhs: (T,B,H) in ∂E/∂h_t from the layer above or the head (unchanged);
 * hs, gates, ghs, x, tokens, h0: as given to / saved by gruForward;  Wih: (3H,I);  Whh: (3H,H);
 * WhhPacked: as for gruForward (when B > 1, scratch for W_hh packed once).
 */
export function gruBackward(dx: usize, dWih: usize, dWhh: usize, dbih: usize, dbhh: usize, dh0: usize, dhNorms: usize,
  dgates: usize, dns: usize, dhs: usize, hs: usize, gates: usize, ghs: usize, x: usize, tokens: usize, h0: usize,
  Wih: usize, Whh: usize, T: i32, B: i32, I: i32, H: i32, WhhPacked: usize): void {
  assert(((dx | dWih | dWhh | dbih | dbhh | dh0 | dhNorms | dgates | dns | dhs | hs | gates | ghs | x | tokens | h0 | Wih | Whh | WhhPacked) & 3) == 0,
    "gruBackward: pointers must be 4-byte aligned");
  assert(T >= 0 && B >= 0 && I >= 0 && H >= 0, "gruBackward: negative dimension");
  assert((x != 0) != (tokens != 0), "gruBackward: give exactly one of x and tokens");
  const G3 = 3 * H;
  const rowH = <usize>H * REAL_BYTES, rowG = <usize>G3 * REAL_BYTES;
  const stepH = <usize>B * rowH, stepG = <usize>B * rowG;
  const rows = T * B;
  // each thread the sweep of its own sequences b0 … b1 − 1 (with their ‖dh_t‖²)
  const nt = threads(), me = myThread();
  const b0 = shareStart(B, 4, nt, me), b1 = shareStart(B, 4, nt, me + 1);
  fill(dh0 + <usize>b0 * rowH, (b1 - b0) * H, 0); // carry into step T − 1: 0
  const packed = B == 1 && WhhPacked != 0;
  // B ≥ 4: W_hh packed into gemm panels once for the window's T carries
  const B4 = WhhPacked != 0 && !packed ? B & ~3 : 0;
  if (B4 > 0 && me == 0) packWholeB(WhhPacked, Whh, G3, H, rowH, REAL_BYTES); // B[k,j] = W_hh[k,j]
  barrier(nt);
  const Wp = B4 > 0 ? WhhPacked : 0;
  if (packed) { // B = 1: the sequence's thread forms δ_t, then every thread adds its chunks of the carry (δr, δz, δhn) W_hh
    const Q = (H + 3) >> 2, q0 = shareStart(Q, 2, nt, me), q1 = shareStart(Q, 2, nt, me + 1); // chunks of 4 columns
    for (let t = T - 1; t >= 0; t--) {
      const at = <usize>t * rowH, dt = dgates + <usize>t * rowG;
      if (b1 > b0) {
        const norm2 = gruDeltaRow(dt, dns + at, dh0, dhs + at, gates + <usize>t * rowG, ghs + <usize>t * rowG, t == 0 ? h0 : hs + at - rowH, H);
        if (dhNorms != 0) store<f32>(dhNorms + (<usize>t << 2), <f32>norm2);
      }
      barrier(nt); // δ_t and dh_t ⊙ z are whole
      carryPacked(dh0, WhhPacked, dt, G3, H, q0, q1, 1);
      barrier(nt); // the carry is whole
    }
  } else for (let t = T - 1; t >= 0 && b1 > b0; t--) {
    const at = <usize>t * stepH;
    const hPrev = t == 0 ? h0 : hs + at - stepH; // (B,H)
    const dt = dgates + <usize>t * stepG, gt = gates + <usize>t * stepG, qt = ghs + <usize>t * stepG; // (B,3H)
    for (let b = b0; b < b1; b++) {
      const rb = <usize>b * rowH, gb = <usize>b * rowG;
      const norm2 = gruDeltaRow(dt + gb, dns + at + rb, dh0 + rb, dhs + at + rb, gt + gb, qt + gb, hPrev + rb, H);
      if (dhNorms != 0) store<f32>(dhNorms + (<usize>(t * B + b) << 2), <f32>norm2);
    }
    matmulNN(dh0 + <usize>b0 * rowH, dt + <usize>b0 * rowG, Whh, b1 - b0, H, G3, 1, Wp); // carry = dh_t ⊙ z + (δr, δz, δhn) W_hh
  }
  barrier(nt); // the weight gradients read every sequence's δ
  // hidden side: dW_hh += Σ_{t≥1} δ_tᵀ h_{t−1} + δ_0ᵀ h0;  db_hh += Σ δ (this thread: rows of dW_hh, columns of δ)
  if (T > 1) matmulTNShare(dWhh, dgates + stepG, hs, G3, H, (T - 1) * B, 1, nt);
  matmulTNShare(dWhh, dgates, h0, G3, H, B, 1, nt);
  const j0 = shareStart(G3, 4, nt, me), j1 = shareStart(G3, 4, nt, me + 1);
  const cols = <usize>j0 * REAL_BYTES;
  if (j1 > j0) for (let r = 0; r < rows; r++) addInto(dbhh + cols, dgates + <usize>r * rowG + cols, j1 - j0);
  // input side: the n block becomes δn (b_in and W_in x sit outside the reset product): this thread's columns of it
  const n0 = max(j0, 2 * H), n1 = max(j1, 2 * H);
  if (n1 > n0) {
    const src = dns + <usize>(n0 - 2 * H) * REAL_BYTES, bytes = <usize>(n1 - n0) * REAL_BYTES;
    for (let r = 0; r < rows; r++) memory.copy(dgates + <usize>r * rowG + <usize>n0 * REAL_BYTES, src + <usize>r * rowH, bytes);
  }
  barrier(nt); // dx reads every column of δ
  inputGradients(dx, dWih, dbih, 0, dgates, x, tokens, Wih, rows, I, G3, nt, ASC_NO_ASSERT ? "" : "gruBackward: token id out of range [0, I)");
}
