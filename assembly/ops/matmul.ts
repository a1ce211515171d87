// Row-major f32 matrix products over byte pointers, f32x4 SIMD with scalar tails.
//
// Rows of odd length start at addresses that are only 4-byte aligned, so every v128 access
// here is an unaligned load/store (legal in Wasm; the alignment immediate is only a hint).
// Sizes need not be multiples of 4: the last K % 4 products of a dot product, the last
// N % 4 columns of C and the last M % 4 rows of C take scalar paths.
//
//   matmulNT  C (M,N) = A (M,K) · B (N,K)ᵀ   dot products of contiguous rows: one row of A
//             against 4 rows of B at a time, 4 f32x4 accumulators over K, one 4×4 lane
//             transpose-and-add at the end, and one v128 store of 4 elements of C.
//   matmulNN  C (M,N) = A (M,K) · B (K,N)    axpy form: a 4×8 block of C stays in 8 f32x4
//   matmulTN  C (M,N) = A (K,M)ᵀ · B (K,N)   registers while k runs over K, each step adding
//             A[i,k] (broadcast) times 8 contiguous elements of row k of B.
//             NN and TN differ only in the strides that address A[i,k].
import { REAL_BYTES } from "../precision";
import { hsum, hsum4 } from "./math";

// ---- matmulNT ----

/** Σ_k a[k]·b[k] over K contiguous elements. */
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, K: i32): f32 {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let k = 0;
  let off: usize = 0;
  for (; k + 8 <= K; k += 8, off += 32) {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + off), v128.load(b + off)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + off, 16), v128.load(b + off, 16)));
  }
  if (k + 4 <= K) {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + off), v128.load(b + off)));
    k += 4;
    off += 16;
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; k < K; k++, off += 4) s += load<f32>(a + off) * load<f32>(b + off);
  return s;
}

/** (a·b0, a·b1, a·b2, a·b3) for one row a and four rows b0 = b, b1 = b + rowB, ... (K elements each). */
// @ts-ignore: decorator
@inline function dot4(a: usize, b: usize, rowB: usize, K: i32): v128 {
  const b1 = b + rowB, b2 = b1 + rowB, b3 = b2 + rowB;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let k = 0;
  let off: usize = 0;
  for (; k + 4 <= K; k += 4, off += 16) {
    const av = v128.load(a + off);
    s0 = f32x4.add(s0, f32x4.mul(av, v128.load(b + off)));
    s1 = f32x4.add(s1, f32x4.mul(av, v128.load(b1 + off)));
    s2 = f32x4.add(s2, f32x4.mul(av, v128.load(b2 + off)));
    s3 = f32x4.add(s3, f32x4.mul(av, v128.load(b3 + off)));
  }
  let r = hsum4(s0, s1, s2, s3);
  if (k < K) {
    let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
    for (; k < K; k++, off += 4) {
      const av = load<f32>(a + off);
      t0 += av * load<f32>(b + off);
      t1 += av * load<f32>(b1 + off);
      t2 += av * load<f32>(b2 + off);
      t3 += av * load<f32>(b3 + off);
    }
    let t = f32x4.splat(t0);
    t = f32x4.replace_lane(t, 1, t1);
    t = f32x4.replace_lane(t, 2, t2);
    t = f32x4.replace_lane(t, 3, t3);
    r = f32x4.add(r, t);
  }
  return r;
}

/** C (M,N) = A (M,K) · B (N,K)ᵀ, plus C when accumulate = 1. */
export function matmulNT(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0, "matmulNT: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulNT: negative dimension");
  const rowA = <usize>K * REAL_BYTES; // bytes per row of A and of B
  const rowC = <usize>N * REAL_BYTES;
  for (let i = 0; i < M; i++) {
    const a = A + <usize>i * rowA; // a: (K) row i of A
    const c = C + <usize>i * rowC; // c: (N) row i of C
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const cj = c + (<usize>j << 2);
      let r = dot4(a, B + <usize>j * rowA, rowA, K);
      if (accumulate) r = f32x4.add(v128.load(cj), r);
      v128.store(cj, r);
    }
    for (; j < N; j++) {
      const cj = c + (<usize>j << 2);
      let s = dot(a, B + <usize>j * rowA, K);
      if (accumulate) s = load<f32>(cj) + s;
      store<f32>(cj, s);
    }
  }
}

// ---- matmulNN and matmulTN: C (M,N) = Σ_k A[i,k] · B[k,:], A[i,k] at A + i·sAi + k·sAk ----

/** Rows c .. c + 3·rowC, columns 0..7 of C += Σ_k A[i,k] · B[k, 0..7]. */
// @ts-ignore: decorator
@inline function block4x8(c: usize, a: usize, b: usize, K: i32, rowC: usize, rowB: usize, sAi: usize, sAk: usize, accumulate: i32): void {
  const c1 = c + rowC, c2 = c1 + rowC, c3 = c2 + rowC;
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  if (accumulate) {
    x00 = v128.load(c); x01 = v128.load(c, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
  }
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    const b0 = v128.load(bk), b1 = v128.load(bk, 16);
    const a0 = f32x4.splat(load<f32>(ak));
    const a1 = f32x4.splat(load<f32>(ak + sAi));
    const a2 = f32x4.splat(load<f32>(ak + 2 * sAi));
    const a3 = f32x4.splat(load<f32>(ak + 3 * sAi));
    x00 = f32x4.add(x00, f32x4.mul(a0, b0)); x01 = f32x4.add(x01, f32x4.mul(a0, b1));
    x10 = f32x4.add(x10, f32x4.mul(a1, b0)); x11 = f32x4.add(x11, f32x4.mul(a1, b1));
    x20 = f32x4.add(x20, f32x4.mul(a2, b0)); x21 = f32x4.add(x21, f32x4.mul(a2, b1));
    x30 = f32x4.add(x30, f32x4.mul(a3, b0)); x31 = f32x4.add(x31, f32x4.mul(a3, b1));
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** Rows c .. c + 3·rowC, columns 0..3 of C. */
// @ts-ignore: decorator
@inline function block4x4(c: usize, a: usize, b: usize, K: i32, rowC: usize, rowB: usize, sAi: usize, sAk: usize, accumulate: i32): void {
  const c1 = c + rowC, c2 = c1 + rowC, c3 = c2 + rowC;
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  if (accumulate) {
    x0 = v128.load(c); x1 = v128.load(c1); x2 = v128.load(c2); x3 = v128.load(c3);
  }
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    const b0 = v128.load(bk);
    x0 = f32x4.add(x0, f32x4.mul(f32x4.splat(load<f32>(ak)), b0));
    x1 = f32x4.add(x1, f32x4.mul(f32x4.splat(load<f32>(ak + sAi)), b0));
    x2 = f32x4.add(x2, f32x4.mul(f32x4.splat(load<f32>(ak + 2 * sAi)), b0));
    x3 = f32x4.add(x3, f32x4.mul(f32x4.splat(load<f32>(ak + 3 * sAi)), b0));
  }
  v128.store(c, x0); v128.store(c1, x1); v128.store(c2, x2); v128.store(c3, x3);
}

/** Rows c .. c + 3·rowC, column 0 of C (scalar). */
// @ts-ignore: decorator
@inline function block4x1(c: usize, a: usize, b: usize, K: i32, rowC: usize, rowB: usize, sAi: usize, sAk: usize, accumulate: i32): void {
  const c1 = c + rowC, c2 = c1 + rowC, c3 = c2 + rowC;
  let x0: f32 = 0, x1: f32 = 0, x2: f32 = 0, x3: f32 = 0;
  if (accumulate) {
    x0 = load<f32>(c); x1 = load<f32>(c1); x2 = load<f32>(c2); x3 = load<f32>(c3);
  }
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    const b0 = load<f32>(bk);
    x0 += load<f32>(ak) * b0;
    x1 += load<f32>(ak + sAi) * b0;
    x2 += load<f32>(ak + 2 * sAi) * b0;
    x3 += load<f32>(ak + 3 * sAi) * b0;
  }
  store<f32>(c, x0); store<f32>(c1, x1); store<f32>(c2, x2); store<f32>(c3, x3);
}

/** One row of C, columns 0..7. */
// @ts-ignore: decorator
@inline function block1x8(c: usize, a: usize, b: usize, K: i32, rowB: usize, sAk: usize, accumulate: i32): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
  if (accumulate) {
    x0 = v128.load(c); x1 = v128.load(c, 16);
  }
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    const a0 = f32x4.splat(load<f32>(ak));
    x0 = f32x4.add(x0, f32x4.mul(a0, v128.load(bk)));
    x1 = f32x4.add(x1, f32x4.mul(a0, v128.load(bk, 16)));
  }
  v128.store(c, x0); v128.store(c, x1, 16);
}

/** One row of C, columns 0..3. */
// @ts-ignore: decorator
@inline function block1x4(c: usize, a: usize, b: usize, K: i32, rowB: usize, sAk: usize, accumulate: i32): void {
  let x0 = accumulate ? v128.load(c) : f32x4.splat(0);
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    x0 = f32x4.add(x0, f32x4.mul(f32x4.splat(load<f32>(ak)), v128.load(bk)));
  }
  v128.store(c, x0);
}

/** One element of C. */
// @ts-ignore: decorator
@inline function block1x1(c: usize, a: usize, b: usize, K: i32, rowB: usize, sAk: usize, accumulate: i32): void {
  let x0: f32 = accumulate ? load<f32>(c) : 0;
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) x0 += load<f32>(ak) * load<f32>(bk);
  store<f32>(c, x0);
}

/** C (M,N) = Σ_k A[i,k] · B (K,N)[k,:] (+ C), where A[i,k] is at A + i·sAi + k·sAk (bytes). */
function gemmRowsOfB(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, sAi: usize, sAk: usize): void {
  const rowB = <usize>N * REAL_BYTES, rowC = rowB;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const c = C + <usize>i * rowC, a = A + <usize>i * sAi;
    let j = 0;
    for (; j + 8 <= N; j += 8) block4x8(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowC, rowB, sAi, sAk, accumulate);
    for (; j + 4 <= N; j += 4) block4x4(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowC, rowB, sAi, sAk, accumulate);
    for (; j < N; j++) block4x1(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowC, rowB, sAi, sAk, accumulate);
  }
  for (; i < M; i++) {
    const c = C + <usize>i * rowC, a = A + <usize>i * sAi;
    let j = 0;
    for (; j + 8 <= N; j += 8) block1x8(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowB, sAk, accumulate);
    for (; j + 4 <= N; j += 4) block1x4(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowB, sAk, accumulate);
    for (; j < N; j++) block1x1(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowB, sAk, accumulate);
  }
}

/** C (M,N) = A (M,K) · B (K,N), plus C when accumulate = 1. */
export function matmulNN(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0, "matmulNN: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulNN: negative dimension");
  // A[i,k] = A + (i·K + k)·4
  gemmRowsOfB(C, A, B, M, N, K, accumulate, <usize>K * REAL_BYTES, REAL_BYTES);
}

/** C (M,N) = A (K,M)ᵀ · B (K,N), plus C when accumulate = 1. */
export function matmulTN(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0, "matmulTN: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulTN: negative dimension");
  // A[i,k] = A + (k·M + i)·4
  gemmRowsOfB(C, A, B, M, N, K, accumulate, REAL_BYTES, <usize>M * REAL_BYTES);
}
