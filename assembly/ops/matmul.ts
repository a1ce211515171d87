// Row-major f32 matrix products over byte pointers, f32x4 SIMD with scalar tails.
//
// Rows of odd length start at addresses that are only 4-byte aligned, so every v128 access
// here is an unaligned load/store (legal in Wasm; the alignment immediate is only a hint).
// Sizes need not be multiples of 4: the last K % 4 products of a dot product, the last
// N % 4 columns of C and the last M % 4 rows of C take narrower or scalar paths.
//
// Blocks of 4 rows of C (the batched products: B > 1 recurrences, whole-window weight
// gradients, the output layer over a window) go to the packed product of ops/gemm.ts, for all
// three layouts. The rows left over (M % 4, and every row of the B = 1 matrix–vector products)
// take the row paths below, which read the operands in place:
//
//   matmulNT  C (M,N) = A (M,K) · B (N,K)ᵀ   one row a of A against 4 rows of B at a time, 4
//             accumulators sharing one load of a. It streams the whole of B once per row at
//             0.5 FLOP per byte, so it is bound by the cache bandwidth, not by the accumulators
//             (8 accumulators measured no faster than 4). The 4 lane-sums of each dot product
//             are reduced with one 4×4 transpose-and-add.
//   matmulNN  C (M,N) = A (M,K) · B (K,N)    one row c (+)= Σ_k A[i,k] · B[k,:], an axpy over
//   matmulTN  C (M,N) = A (K,M)ᵀ · B (K,N)   4 rows of B per pass, reading B in address order
//             (the B = 1 carry δ_t W_hh of BPTT). NN and TN differ only in the strides of A[i,k].
import { REAL_BYTES } from "../precision";
import { hsum, hsum4, madd } from "./math";
import { fill } from "./vector";
import { gemmPacked } from "./gemm";
import { GEMM_MR } from "./scratch";
import { myThread, shareStart, threads } from "./threads";

// ---- matmulNT ----

/** Σ_k a[k]·b[k] over K contiguous elements (column tails of C). */
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, K: i32): f32 {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let k = 0;
  let off: usize = 0;
  for (; k + 8 <= K; k += 8, off += 32) {
    acc0 = madd(v128.load(a + off), v128.load(b + off), acc0);
    acc1 = madd(v128.load(a + off, 16), v128.load(b + off, 16), acc1);
  }
  if (k + 4 <= K) {
    acc0 = madd(v128.load(a + off), v128.load(b + off), acc0);
    k += 4;
    off += 16;
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; k < K; k++, off += 4) s += load<f32>(a + off) * load<f32>(b + off);
  return s;
}

/** The scalar K tail k0 … K−1 of (a·b0, a·b1, a·b2, a·b3), rows b_r = b + r·rowB, as one vector. */
// @ts-ignore: decorator
@inline function tail4(a: usize, b: usize, rowB: usize, k0: i32, K: i32): v128 {
  const b1 = b + rowB, b2 = b1 + rowB, b3 = b2 + rowB;
  let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
  let off = <usize>k0 << 2;
  for (let k = k0; k < K; k++, off += 4) {
    const av = load<f32>(a + off);
    t0 += av * load<f32>(b + off);
    t1 += av * load<f32>(b1 + off);
    t2 += av * load<f32>(b2 + off);
    t3 += av * load<f32>(b3 + off);
  }
  let t = f32x4.splat(t0);
  t = f32x4.replace_lane(t, 1, t1);
  t = f32x4.replace_lane(t, 2, t2);
  return f32x4.replace_lane(t, 3, t3);
}

/** (a·b0, a·b1, a·b2, a·b3) for one row a and four rows b0 = b, b1 = b + rowB, ... (K elements each). */
// @ts-ignore: decorator
@inline function dot4(a: usize, b: usize, rowB: usize, K: i32): v128 {
  const b1 = b + rowB, b2 = b1 + rowB, b3 = b2 + rowB;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  const k = K & ~3, end = <usize>k << 2; // the loop runs on the byte offset alone, no counter
  for (let off: usize = 0; off < end; off += 16) {
    const av = v128.load(a + off);
    s0 = madd(av, v128.load(b + off), s0);
    s1 = madd(av, v128.load(b1 + off), s1);
    s2 = madd(av, v128.load(b2 + off), s2);
    s3 = madd(av, v128.load(b3 + off), s3);
  }
  const r = hsum4(s0, s1, s2, s3);
  return k < K ? f32x4.add(r, tail4(a, b, rowB, k, K)) : r;
}

/** Columns j ≥ j0 of one row c of C (+)= row a · rows of B, by 4 rows of B and then 1. */
// @ts-ignore: decorator
@inline function ntRow(c: usize, a: usize, B: usize, rowB: usize, j0: i32, N: i32, K: i32, accumulate: i32): void {
  let j = j0;
  for (; j + 4 <= N; j += 4) {
    const cj = c + (<usize>j << 2);
    let r = dot4(a, B + <usize>j * rowB, rowB, K);
    if (accumulate) r = f32x4.add(v128.load(cj), r);
    v128.store(cj, r);
  }
  for (; j < N; j++) {
    const cj = c + (<usize>j << 2);
    let s = dot(a, B + <usize>j * rowB, K);
    if (accumulate) s = load<f32>(cj) + s;
    store<f32>(cj, s);
  }
}

/**
 * C (M,N) = A (M,K) · B (N,K)ᵀ, plus C when accumulate = 1. prepackedB: packWholeB(Bp, B, K, N, 4, 4K)
 * (ops/gemm.ts), for a B that many calls reuse (a recurrence's W_hh over a window), or 0.
 */
export function matmulNT(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, prepackedB: usize = 0): void {
  assert(((C | A | B) & 3) == 0, "matmulNT: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulNT: negative dimension");
  const rowA = <usize>K * REAL_BYTES; // bytes per row of A and of B
  const rowC = <usize>N * REAL_BYTES;
  const M4 = M & ~(GEMM_MR - 1);
  // A[i,k] = A + (i·K + k)·4,  Bᵀ[k,j] = B + (j·K + k)·4
  if (M4 > 0) gemmPacked(C, A, B, M4, N, K, accumulate, rowA, REAL_BYTES, REAL_BYTES, rowA, prepackedB);
  for (let i = M4; i < M; i++) ntRowAt(C + <usize>i * rowC, A + <usize>i * rowA, B, N, K, accumulate);
}

/**
 * One row of C: the B = 1 matrix–vector product and the last M % 4 rows. A function of its own, so
 * that V8 keeps the dot-product loop's pointers in registers (inlined under the row loop, it
 * reloaded two of them from the stack on every iteration: 10 % slower).
 */
function ntRowAt(c: usize, a: usize, B: usize, N: i32, K: i32, accumulate: i32): void {
  ntRow(c, a, B, <usize>K * REAL_BYTES, 0, N, K, accumulate);
}

// ---- matmulNN and matmulTN: C (M,N) = Σ_k A[i,k] · B[k,:], A[i,k] at A + i·sAi + k·sAk ----

/**
 * One row c (N) of C (+)= Σ_k A[i,k] · B[k,:], four rows of B per pass: c += a0·B_k + a1·B_{k+1}
 * + a2·B_{k+2} + a3·B_{k+3}, one load and one store of c per 4 multiply–adds, B read row by row
 * in address order. For B = 1 this is the carry δ_t W_hh of BPTT, a matrix–vector product with
 * the transposed access pattern: reading W_hh in column stripes (C held in registers) ran at
 * 13–15 GFLOP/s, these sequential rows at the cache-bandwidth limit of the NT matrix–vector product.
 */
// @ts-ignore: decorator
@inline function rowAxpy(c: usize, a: usize, b: usize, N: i32, K: i32, rowB: usize, sAk: usize, accumulate: i32): void {
  if (!accumulate) fill(c, N, 0);
  let k = 0;
  let ak = a, bk = b;
  const sA2 = 2 * sAk, sA3 = 3 * sAk;
  const rowB2 = 2 * rowB, rowB3 = 3 * rowB, rowB4 = 4 * rowB;
  const N4 = N & ~3, end4 = <usize>N4 << 2; // bytes of c in whole vectors
  for (; k + 4 <= K; k += 4, ak += 4 * sAk, bk += rowB4) {
    const s0 = load<f32>(ak), s1 = load<f32>(ak + sAk), s2 = load<f32>(ak + sA2), s3 = load<f32>(ak + sA3);
    const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1), a2 = f32x4.splat(s2), a3 = f32x4.splat(s3);
    const b1 = bk + rowB, b2 = bk + rowB2, b3 = bk + rowB3;
    let off: usize = 0;
    for (; off < end4; off += 16) { // on the byte offset alone, no counter
      const p = madd(a1, v128.load(b1 + off), f32x4.mul(a0, v128.load(bk + off)));
      const q = madd(a3, v128.load(b3 + off), f32x4.mul(a2, v128.load(b2 + off)));
      v128.store(c + off, f32x4.add(v128.load(c + off), f32x4.add(p, q)));
    }
    for (let j = N4; j < N; j++, off += 4) {
      store<f32>(c + off, load<f32>(c + off) + ((s0 * load<f32>(bk + off) + s1 * load<f32>(b1 + off)) + (s2 * load<f32>(b2 + off) + s3 * load<f32>(b3 + off))));
    }
  }
  for (; k < K; k++, ak += sAk, bk += rowB) {
    const s0 = load<f32>(ak);
    const a0 = f32x4.splat(s0);
    let off: usize = 0;
    for (; off < end4; off += 16) v128.store(c + off, madd(a0, v128.load(bk + off), v128.load(c + off)));
    for (let j = N4; j < N; j++, off += 4) store<f32>(c + off, load<f32>(c + off) + s0 * load<f32>(bk + off));
  }
}

/** Rows M4 … M−1 of C (+)= Σ_k A[i,k] · B (K,N)[k,:], one row at a time, A[i,k] at A + i·sAi + k·sAk. */
// @ts-ignore: decorator
@inline function axpyRows(C: usize, A: usize, B: usize, M4: i32, M: i32, N: i32, K: i32, accumulate: i32, sAi: usize, sAk: usize): void {
  const rowB = <usize>N * REAL_BYTES;
  for (let i = M4; i < M; i++) rowAxpy(C + <usize>i * rowB, A + <usize>i * sAi, B, N, K, rowB, sAk, accumulate);
}

/** C (M,N) = A (M,K) · B (K,N), plus C when accumulate = 1. prepackedB: packWholeB(Bp, B, K, N, 4N, 4), or 0. */
export function matmulNN(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, prepackedB: usize = 0): void {
  assert(((C | A | B) & 3) == 0, "matmulNN: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulNN: negative dimension");
  const M4 = M & ~(GEMM_MR - 1), rowA = <usize>K * REAL_BYTES;
  // A[i,k] = A + (i·K + k)·4,  B[k,j] = B + (k·N + j)·4
  if (M4 > 0) gemmPacked(C, A, B, M4, N, K, accumulate, rowA, REAL_BYTES, <usize>N * REAL_BYTES, REAL_BYTES, prepackedB);
  axpyRows(C, A, B, M4, M, N, K, accumulate, rowA, REAL_BYTES);
}

/** C (M,N) = A (K,M)ᵀ · B (K,N), plus C when accumulate = 1. */
export function matmulTN(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0, "matmulTN: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulTN: negative dimension");
  tnColumns(C, A, B, M, N, K, accumulate, <usize>M * REAL_BYTES);
}

/** C (M,N) (+)= A (K,·)ᵀ · B (K,N) for the M columns of A starting at A, columns colA bytes apart. */
function tnColumns(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, colA: usize): void {
  const M4 = M & ~(GEMM_MR - 1);
  // A[i,k] = A + k·colA + i·4,  B[k,j] = B + (k·N + j)·4
  if (M4 > 0) gemmPacked(C, A, B, M4, N, K, accumulate, REAL_BYTES, colA, <usize>N * REAL_BYTES, REAL_BYTES, 0);
  axpyRows(C, A, B, M4, M, N, K, accumulate, REAL_BYTES, colA);
}

// ---- shares: the rows of C that thread myThread() of nt computes (ops/threads.ts) ----
// Rows are cut in blocks of GEMM_MR, so a row takes the same path (packed block or row tail) at
// every thread count. With nt = 1 a share is the whole product.

/** This thread's rows of matmulNT. */
export function matmulNTShare(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, nt: i32): void {
  const t = myThread(), i0 = shareStart(M, GEMM_MR, nt, t), i1 = shareStart(M, GEMM_MR, nt, t + 1);
  if (i1 > i0) matmulNT(C + <usize>i0 * N * REAL_BYTES, A + <usize>i0 * K * REAL_BYTES, B, i1 - i0, N, K, accumulate);
}

/** This thread's rows of matmulNN. */
export function matmulNNShare(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, nt: i32): void {
  const t = myThread(), i0 = shareStart(M, GEMM_MR, nt, t), i1 = shareStart(M, GEMM_MR, nt, t + 1);
  if (i1 > i0) matmulNN(C + <usize>i0 * N * REAL_BYTES, A + <usize>i0 * K * REAL_BYTES, B, i1 - i0, N, K, accumulate);
}

/** This thread's rows of matmulTN (columns of A). */
export function matmulTNShare(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, nt: i32): void {
  const t = myThread(), i0 = shareStart(M, GEMM_MR, nt, t), i1 = shareStart(M, GEMM_MR, nt, t + 1);
  if (i1 > i0) tnColumns(C + <usize>i0 * N * REAL_BYTES, A + <usize>i0 * REAL_BYTES, B, i1 - i0, N, K, accumulate, <usize>M * REAL_BYTES);
}

// ---- the exported kernels: every thread of the call computes its share ----

/** C (M,N) = A (M,K) · B (N,K)ᵀ (+ C): the exported kernel. */
export function matmulNTKernel(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0 && M >= 0 && N >= 0 && K >= 0, "matmulNT: misaligned pointer or negative dimension");
  if (ASC_FEATURE_THREADS) matmulNTShare(C, A, B, M, N, K, accumulate, threads());
  else matmulNT(C, A, B, M, N, K, accumulate);
}

/** C (M,N) = A (M,K) · B (K,N) (+ C): the exported kernel. */
export function matmulNNKernel(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0 && M >= 0 && N >= 0 && K >= 0, "matmulNN: misaligned pointer or negative dimension");
  if (ASC_FEATURE_THREADS) matmulNNShare(C, A, B, M, N, K, accumulate, threads());
  else matmulNN(C, A, B, M, N, K, accumulate);
}

/** C (M,N) = A (K,M)ᵀ · B (K,N) (+ C): the exported kernel. */
export function matmulTNKernel(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0 && M >= 0 && N >= 0 && K >= 0, "matmulTN: misaligned pointer or negative dimension");
  if (ASC_FEATURE_THREADS) matmulTNShare(C, A, B, M, N, K, accumulate, threads());
  else matmulTN(C, A, B, M, N, K, accumulate);
}
