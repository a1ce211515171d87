// Losses and softmax, row by row over N rows of O values. Every loss is returned as f64.
//
//   crossEntropy: loss = Σ_{n: t_n ≥ 0} [ log Σ_o exp(z_no − m_n) + m_n − z_n,t_n ],  m_n = max_o z_no
//                 dz_n = softmax(z_n) − onehot(t_n);  dz_n = 0 when t_n < 0
//   mse:          loss = Σ_n w_n Σ_o (y_no − t_no)²;   dy_n = 2·w_n·(y_n − t_n)  (0 when w_n = 0)
//   softmax:      p_n = exp((z_n − m_n)·invT) / Σ_o exp((z_no − m_n)·invT)
//
// The exponentials are written to the output row first and normalised in place, so the output
// may alias the input: each element is read before the same element is written.
//
// A loss is summed in blocks of rows fixed by N alone (lossBlockRows): each block from zero in row
// order, then the blocks in order. Threads take whole blocks, so the sum is the same at every
// thread count.
import { REAL_BYTES, real } from "./precision";
import { addLanesF64, addSquaresF64, expf, expX4, hsumF64 } from "./ops/math";
import { blockPartials } from "./ops/scratch";
import { barrier, myThread, shareStart, threads } from "./ops/threads";
import { fill, rowMax, scale } from "./ops/vector";

/** Rows per block of a loss sum: 64, or more when N > 64 · 4,096, so that there are at most 4,096 blocks. */
// @ts-ignore: decorator
@inline function lossBlockRows(N: i32): i32 {
  return max(64, (N + 4095) >> 12);
}

/** After each thread stored its blocks' sums at blockPartials(): the caller's thread adds them in order (0 on the others). */
function sumOfBlocks(blocks: i32): f64 {
  barrier(threads());
  if (myThread() != 0) return 0;
  let total: f64 = 0;
  for (let k = 0; k < blocks; k++) total += load<f64>(blockPartials() + (<usize>k << 3));
  return total;
}

/** out[o] = exp((z[o] − shift)·k) for o < O; returns Σ out[o] accumulated in f64. */
// @ts-ignore: decorator
@inline function expShifted(out: usize, z: usize, O: i32, shift: real, k: real): f64 {
  const vs = f32x4.splat(shift), vk = f32x4.splat(k);
  let acc = f64x2.splat(0);
  let o = 0;
  let off: usize = 0;
  for (; o + 4 <= O; o += 4, off += 16) {
    const e = expX4(f32x4.mul(f32x4.sub(v128.load(z + off), vs), vk));
    v128.store(out + off, e);
    acc = addLanesF64(acc, e);
  }
  let sum = hsumF64(acc);
  for (; o < O; o++, off += 4) {
    const e = expf((load<f32>(z + off) - shift) * k);
    store<f32>(out + off, e);
    sum += <f64>e;
  }
  return sum;
}

/**
 * Softmax cross-entropy summed over rows whose target is ≥ 0; rows with a negative target get a
 * zero gradient and add no loss. dlogits may alias logits.
 * dlogits, logits: (N,O); targets: (N) int32 in [0,O) or negative.
 */
export function crossEntropy(dlogits: usize, logits: usize, targets: usize, N: i32, O: i32): f64 {
  assert(((dlogits | logits | targets) & 3) == 0 && N >= 0 && O >= 1, "crossEntropy: misaligned pointer or bad dimension");
  const row = <usize>O * REAL_BYTES;
  const rows = lossBlockRows(N), blocks = (N + rows - 1) / rows, nt = threads(), me = myThread();
  for (let k = shareStart(blocks, 1, nt, me), end = shareStart(blocks, 1, nt, me + 1); k < end; k++) {
    let loss: f64 = 0;
    for (let n = k * rows, last = min(N, n + rows); n < last; n++) {
      const z = logits + <usize>n * row, d = dlogits + <usize>n * row; // z, d: (O)
      const target = load<i32>(targets + (<usize>n << 2));
      if (target < 0) {
        fill(d, O, 0);
        continue;
      }
      assert(target < O, "crossEntropy: target out of range [0, O)");
      const dt = d + (<usize>target << 2);
      const zt = load<f32>(z + (<usize>target << 2)); // read before d (maybe z) is overwritten
      const m = rowMax(z, O);
      const sum = expShifted(d, z, O, m, 1);
      loss += Math.log(sum) + <f64>m - <f64>zt;
      scale(d, O, <f32>(1 / sum));
      store<f32>(dt, load<f32>(dt) - 1);
    }
    store<f64>(blockPartials() + (<usize>k << 3), loss);
  }
  return sumOfBlocks(blocks);
}

/** One row of mse: dy = 2·w·(y − target) (0 where w = 0); returns w·Σ_o (y − target)². */
// @ts-ignore: decorator
@inline function squaredErrorRow(dr: usize, yr: usize, tr: usize, w: real, O: i32): f64 {
  if (w == 0) {
    fill(dr, O, 0);
    return 0;
  }
  const w2: real = 2 * w;
  const vw2 = f32x4.splat(w2);
  let acc = f64x2.splat(0);
  let o = 0;
  let off: usize = 0;
  for (; o + 4 <= O; o += 4, off += 16) {
    const e = f32x4.sub(v128.load(yr + off), v128.load(tr + off));
    acc = addSquaresF64(acc, e);
    v128.store(dr + off, f32x4.mul(vw2, e));
  }
  let s = hsumF64(acc);
  for (; o < O; o++, off += 4) {
    const e = load<f32>(yr + off) - load<f32>(tr + off);
    s += <f64>e * <f64>e;
    store<f32>(dr + off, w2 * e);
  }
  return <f64>w * s;
}

/**
 * Squared error Σ_n mask[n] Σ_o (y − target)²; writes dy = 2·mask[n]·(y − target), 0 where mask[n] = 0.
 * dy may alias y. dy, y, targets: (N,O); mask: (N) float32 weights.
 */
export function mse(dy: usize, y: usize, targets: usize, mask: usize, N: i32, O: i32): f64 {
  assert(((dy | y | targets | mask) & 3) == 0 && N >= 0 && O >= 0, "mse: misaligned pointer or negative dimension");
  const row = <usize>O * REAL_BYTES;
  const rows = lossBlockRows(N), blocks = (N + rows - 1) / rows, nt = threads(), me = myThread();
  for (let k = shareStart(blocks, 1, nt, me), end = shareStart(blocks, 1, nt, me + 1); k < end; k++) {
    let loss: f64 = 0;
    for (let n = k * rows, last = min(N, n + rows); n < last; n++) {
      const at = <usize>n * row;
      loss += squaredErrorRow(dy + at, y + at, targets + at, load<f32>(mask + (<usize>n << 2)), O);
    }
    store<f64>(blockPartials() + (<usize>k << 3), loss);
  }
  return sumOfBlocks(blocks);
}

/** probs (N,O) = softmax(logits · invTemperature), row by row; probs may alias logits. */
export function softmax(probs: usize, logits: usize, N: i32, O: i32, invTemperature: real): void {
  assert(((probs | logits) & 3) == 0 && N >= 0 && O >= 1, "softmax: misaligned pointer or bad dimension");
  const row = <usize>O * REAL_BYTES;
  for (let n = 0; n < N; n++) {
    const z = logits + <usize>n * row, p = probs + <usize>n * row;
    const m = rowMax(z, O);
    const sum = expShifted(p, z, O, m, invTemperature);
    scale(p, O, <f32>(1 / sum));
  }
}
