// Elementwise kernels and reductions over n contiguous f32 values (x: (n)), f32x4 with scalar tails.
import { real } from "../precision";
import { addSquaresF64, hsumF64 } from "./math";
import { myThread, shareStart, threads } from "./threads";

/** x[i] = value for i < n. */
export function fill(x: usize, n: i32, value: real): void {
  assert((x & 3) == 0 && n >= 0, "fill: misaligned pointer or negative n");
  const v = f32x4.splat(value);
  let i = 0;
  let p = x;
  // 4 stores per iteration: V8 puts a stack check on every loop back edge
  for (; i + 16 <= n; i += 16, p += 64) {
    v128.store(p, v);
    v128.store(p, v, 16);
    v128.store(p, v, 32);
    v128.store(p, v, 48);
  }
  for (; i + 4 <= n; i += 4, p += 16) v128.store(p, v);
  for (; i < n; i++, p += 4) store<f32>(p, value);
}

/**
 * The exported fill: on several threads each sets its share of x, cut as the optimizer steps cut the
 * parameters (optim.ts), so that zeroing the gradients leaves each thread's share in its own cache.
 */
export function fillKernel(x: usize, n: i32, value: real): void {
  const i0 = shareStart(n, 16, threads(), myThread()), i1 = shareStart(n, 16, threads(), myThread() + 1);
  fill(x + (<usize>i0 << 2), i1 - i0, value);
}

/** y[i] = x[i] for i < n (the regions must not overlap). */
export function copy(y: usize, x: usize, n: i32): void {
  assert(((y | x) & 3) == 0 && n >= 0, "copy: misaligned pointer or negative n");
  memory.copy(y, x, <usize>n << 2);
}

/** x[i] *= s. */
export function scale(x: usize, n: i32, s: real): void {
  assert((x & 3) == 0 && n >= 0, "scale: misaligned pointer or negative n");
  const v = f32x4.splat(s);
  let i = 0;
  let p = x;
  for (; i + 4 <= n; i += 4, p += 16) v128.store(p, f32x4.mul(v128.load(p), v));
  for (; i < n; i++, p += 4) store<f32>(p, load<f32>(p) * s);
}

/** x[i] = min(max(x[i], −c), c); NaN stays NaN. */
export function clipByValue(x: usize, n: i32, c: real): void {
  assert((x & 3) == 0 && n >= 0, "clipByValue: misaligned pointer or negative n");
  const hi = f32x4.splat(c), lo = f32x4.splat(-c);
  let i = 0;
  let p = x;
  for (; i + 4 <= n; i += 4, p += 16) v128.store(p, f32x4.min(f32x4.max(v128.load(p), lo), hi));
  for (; i < n; i++, p += 4) store<f32>(p, min(max(load<f32>(p), -c), c));
}

/** Σ x[i]², accumulated in f64 (each square of an f32 is exact in f64); NaN/∞ propagate. */
export function sumSquares(x: usize, n: i32): f64 {
  assert((x & 3) == 0 && n >= 0, "sumSquares: misaligned pointer or negative n");
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let i = 0;
  let p = x;
  // 16 floats per iteration, in the same order as 8 (acc0, acc1, acc0, acc1): the same sum, bit for bit
  for (; i + 16 <= n; i += 16, p += 64) {
    acc0 = addSquaresF64(acc0, v128.load(p));
    acc1 = addSquaresF64(acc1, v128.load(p, 16));
    acc0 = addSquaresF64(acc0, v128.load(p, 32));
    acc1 = addSquaresF64(acc1, v128.load(p, 48));
  }
  for (; i + 8 <= n; i += 8, p += 32) {
    acc0 = addSquaresF64(acc0, v128.load(p));
    acc1 = addSquaresF64(acc1, v128.load(p, 16));
  }
  if (i + 4 <= n) {
    acc0 = addSquaresF64(acc0, v128.load(p));
    i += 4;
    p += 16;
  }
  let s = hsumF64(f64x2.add(acc0, acc1));
  for (; i < n; i++, p += 4) {
    const v = <f64>load<f32>(p);
    s += v * v;
  }
  return s;
}

// ---- row helpers shared by the losses and the cells (not exported from the module) ----

/**
 * Whether all n values are ±0 (a NaN is not zero, so it still reaches the products it would
 * poison). The products with h0 are skipped when it is zero: exact, since they add only zeros
 * for finite weights, and the parameters are finite (setParameter and every training step check).
 */
// @ts-ignore: decorator
@inline export function allZero(x: usize, n: i32): bool {
  let any = i32x4.splat(0);
  let i = 0;
  let off: usize = 0;
  for (; i + 4 <= n; i += 4, off += 16) any = v128.or(any, f32x4.ne(v128.load(x + off), f32x4.splat(0)));
  let zero = !v128.any_true(any);
  for (; i < n; i++, off += 4) zero = zero && load<f32>(x + off) == 0;
  return zero;
}

/** y[i] += x[i] for i < n. */
// @ts-ignore: decorator
@inline export function addInto(y: usize, x: usize, n: i32): void {
  let i = 0;
  let off: usize = 0;
  for (; i + 4 <= n; i += 4, off += 16) v128.store(y + off, f32x4.add(v128.load(y + off), v128.load(x + off)));
  for (; i < n; i++, off += 4) store<f32>(y + off, load<f32>(y + off) + load<f32>(x + off));
}

/** max_i x[i] over n ≥ 1 values (−∞ for n = 0); a NaN among them gives NaN. */
// @ts-ignore: decorator
@inline export function rowMax(x: usize, n: i32): real {
  let m: real = -Infinity;
  let i = 0;
  let off: usize = 0;
  if (n >= 4) {
    let v = v128.load(x);
    for (i = 4, off = 16; i + 4 <= n; i += 4, off += 16) v = f32x4.max(v, v128.load(x + off));
    m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (; i < n; i++, off += 4) m = max(m, load<f32>(x + off));
  return m;
}

/** out[j] = col[j·stride] for j < n: one column of a row-major matrix (the one-hot input's W_ih column), 4 per iteration. */
// @ts-ignore: decorator
@inline export function gatherColumn(out: usize, col: usize, stride: usize, n: i32): void {
  let j = 0;
  let w = col;
  for (; j + 4 <= n; j += 4, w += stride << 2) {
    let v = f32x4.splat(load<f32>(w));
    v = f32x4.replace_lane(v, 1, load<f32>(w + stride));
    v = f32x4.replace_lane(v, 2, load<f32>(w + 2 * stride));
    v = f32x4.replace_lane(v, 3, load<f32>(w + 3 * stride));
    v128.store(out + (<usize>j << 2), v);
  }
  for (; j < n; j++, w += stride) store<f32>(out + (<usize>j << 2), load<f32>(w));
}

/** col[j·stride] += x[j] for j < n (the one-hot input's dW_ih column), 4 per iteration, each the same f32 add. */
// @ts-ignore: decorator
@inline export function scatterAddColumn(col: usize, stride: usize, x: usize, n: i32): void {
  let j = 0;
  let w = col;
  for (; j + 4 <= n; j += 4, w += stride << 2) {
    const v = v128.load(x + (<usize>j << 2));
    store<f32>(w, load<f32>(w) + f32x4.extract_lane(v, 0));
    store<f32>(w + stride, load<f32>(w + stride) + f32x4.extract_lane(v, 1));
    store<f32>(w + 2 * stride, load<f32>(w + 2 * stride) + f32x4.extract_lane(v, 2));
    store<f32>(w + 3 * stride, load<f32>(w + 3 * stride) + f32x4.extract_lane(v, 3));
  }
  for (; j < n; j++, w += stride) store<f32>(w, load<f32>(w) + load<f32>(x + (<usize>j << 2)));
}

/**
 * a[j] += Σ_r x[r][j] and b[j] += Σ_r x[r][j] over `rows` rows of n (rows `stride` bytes apart, 4n by default): the two bias
 * gradients of a cell. Each 4-column block is summed in registers row after row, in the same order
 * as adding row by row into a and b (bit for bit), reading x once and a, b once.
 */
// @ts-ignore: decorator
@inline export function addRowsInto2(a: usize, b: usize, x: usize, rows: i32, n: i32, stride: usize = <usize>n << 2): void {
  let j = 0;
  let off: usize = 0;
  for (; j + 4 <= n; j += 4, off += 16) {
    let va = v128.load(a + off), vb = v128.load(b + off);
    let p = x + off;
    for (let r = 0; r < rows; r++, p += stride) {
      const v = v128.load(p);
      va = f32x4.add(va, v);
      vb = f32x4.add(vb, v);
    }
    v128.store(a + off, va);
    v128.store(b + off, vb);
  }
  for (; j < n; j++, off += 4) {
    let sa = load<f32>(a + off), sb = load<f32>(b + off);
    let p = x + off;
    for (let r = 0; r < rows; r++, p += stride) {
      const s = load<f32>(p);
      sa += s;
      sb += s;
    }
    store<f32>(a + off, sa);
    store<f32>(b + off, sb);
  }
}
