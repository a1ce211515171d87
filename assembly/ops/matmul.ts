// Row-major f32 matrix products over byte pointers, f32x4 SIMD with scalar tails.
//
// Rows of odd length start at addresses that are only 4-byte aligned, so every v128 access
// here is an unaligned load/store (legal in Wasm; the alignment immediate is only a hint).
// Sizes need not be multiples of 4: the last K % 4 products of a dot product, the last
// N % 4 columns of C and the last M % 4 rows of C take narrower or scalar paths.
//
// Register blocking. An f32x4 add has a latency of several cycles and x64 retires two SIMD
// multiplies and two adds per cycle, so a loop needs about 8–12 independent accumulators to
// keep the units busy (a probe with 4 reached a third of the peak, 12 the peak; TOOLCHAIN.md).
// Every micro-kernel below keeps 8 f32x4 accumulators in registers (16 xmm registers leave
// room for the operands), and loads each operand once per use:
//
//   matmulNT  C (M,N) = A (M,K) · B (N,K)ᵀ   dot products of contiguous rows.
//             2×4 block: 2 rows of A against 4 rows of B, 6 loads per 8 multiply–adds;
//             1×4 block for a single row of A (the B = 1 matrix–vector product of the
//             recurrence and of the head): 1 load of A shared by 4 rows of B. It streams
//             the whole of B once per call at 0.5 FLOP per byte, so it is bound by the cache
//             bandwidth, not by the accumulators (8 accumulators measured no faster than 4).
//             The 4 lane-sums of each row are reduced with one 4×4 transpose-and-add.
//   matmulNN  C (M,N) = A (M,K) · B (K,N)    axpy form: a block of C stays in registers while
//   matmulTN  C (M,N) = A (K,M)ᵀ · B (K,N)   k runs over K, each step adding A[i,k]
//             (broadcast from memory) times contiguous elements of row k of B.
//             4×8 block: 4 rows × 8 columns. A single row of C (the B = 1 carry δ_t W_hh of
//             BPTT) is an axpy over 4 rows of B at a time, reading B in address order.
//             Long K is split into panels of KC rows that stay in cache (see KC).
//             NN and TN differ only in the strides that address A[i,k].
import { REAL_BYTES } from "../precision";
import { hsum, hsum4 } from "./math";
import { fill } from "./vector";

// ---- matmulNT ----

/** Σ_k a[k]·b[k] over K contiguous elements (column tails of C). */
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
  let k = 0;
  let off: usize = 0;
  for (; k + 4 <= K; k += 4, off += 16) {
    const av = v128.load(a + off);
    s0 = f32x4.add(s0, f32x4.mul(av, v128.load(b + off)));
    s1 = f32x4.add(s1, f32x4.mul(av, v128.load(b1 + off)));
    s2 = f32x4.add(s2, f32x4.mul(av, v128.load(b2 + off)));
    s3 = f32x4.add(s3, f32x4.mul(av, v128.load(b3 + off)));
  }
  const r = hsum4(s0, s1, s2, s3);
  return k < K ? f32x4.add(r, tail4(a, b, rowB, k, K)) : r;
}

/** Rows c and c + rowC, columns 0..3: two rows a, a + rowA against four rows of b — 8 accumulators. */
// @ts-ignore: decorator
@inline function nt2x4(c: usize, rowC: usize, a: usize, rowA: usize, b: usize, rowB: usize, K: i32, accumulate: i32): void {
  const a1 = a + rowA, b1 = b + rowB, b2 = b1 + rowB, b3 = b2 + rowB;
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  let k = 0;
  let off: usize = 0;
  for (; k + 4 <= K; k += 4, off += 16) {
    const x0 = v128.load(a + off), x1 = v128.load(a1 + off);
    const y0 = v128.load(b + off), y1 = v128.load(b1 + off), y2 = v128.load(b2 + off), y3 = v128.load(b3 + off);
    s00 = f32x4.add(s00, f32x4.mul(x0, y0)); s01 = f32x4.add(s01, f32x4.mul(x0, y1));
    s02 = f32x4.add(s02, f32x4.mul(x0, y2)); s03 = f32x4.add(s03, f32x4.mul(x0, y3));
    s10 = f32x4.add(s10, f32x4.mul(x1, y0)); s11 = f32x4.add(s11, f32x4.mul(x1, y1));
    s12 = f32x4.add(s12, f32x4.mul(x1, y2)); s13 = f32x4.add(s13, f32x4.mul(x1, y3));
  }
  let r0 = hsum4(s00, s01, s02, s03), r1 = hsum4(s10, s11, s12, s13);
  if (k < K) {
    r0 = f32x4.add(r0, tail4(a, b, rowB, k, K));
    r1 = f32x4.add(r1, tail4(a1, b, rowB, k, K));
  }
  const c1 = c + rowC;
  if (accumulate) {
    r0 = f32x4.add(v128.load(c), r0);
    r1 = f32x4.add(v128.load(c1), r1);
  }
  v128.store(c, r0);
  v128.store(c1, r1);
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

/** C (M,N) = A (M,K) · B (N,K)ᵀ, plus C when accumulate = 1. */
export function matmulNT(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  assert(((C | A | B) & 3) == 0, "matmulNT: pointers must be 4-byte aligned");
  assert(M >= 0 && N >= 0 && K >= 0, "matmulNT: negative dimension");
  const rowA = <usize>K * REAL_BYTES; // bytes per row of A and of B
  const rowC = <usize>N * REAL_BYTES;
  const i = M >= 2 ? ntRowPairs(C, A, B, M, N, K, accumulate) : 0;
  if (i < M) ntRow(C + <usize>i * rowC, A + <usize>i * rowA, B, rowA, 0, N, K, accumulate);
}

/**
 * Rows of C two at a time (2×4 blocks); returns the number of rows done. A function of its own:
 * compiled apart from the single-row (B = 1) loop above, which V8 then runs 5–10 % faster.
 */
function ntRowPairs(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32): i32 {
  const rowA = <usize>K * REAL_BYTES;
  const rowC = <usize>N * REAL_BYTES;
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const a = A + <usize>i * rowA; // a: (2,K) rows i, i+1 of A
    const c = C + <usize>i * rowC; // c: (2,N) rows i, i+1 of C
    let j = 0;
    for (; j + 4 <= N; j += 4) nt2x4(c + (<usize>j << 2), rowC, a, rowA, B + <usize>j * rowA, rowA, K, accumulate);
    if (j < N) {
      ntRow(c, a, B, rowA, j, N, K, accumulate);
      ntRow(c + rowC, a + rowA, B, rowA, j, N, K, accumulate);
    }
  }
  return i;
}

// ---- matmulNN and matmulTN: C (M,N) = Σ_k A[i,k] · B[k,:], A[i,k] at A + i·sAi + k·sAk ----

/** Rows c .. c + 3·rowC, columns 0..7 of C (+)= Σ_k A[i,k] · B[k, 0..7]: 8 accumulators. */
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
  const sA2 = 2 * sAi, sA3 = 3 * sAi;
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    const b0 = v128.load(bk), b1 = v128.load(bk, 16);
    const a0 = v128.load32_splat(ak);
    x00 = f32x4.add(x00, f32x4.mul(a0, b0)); x01 = f32x4.add(x01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(ak + sAi);
    x10 = f32x4.add(x10, f32x4.mul(a1, b0)); x11 = f32x4.add(x11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(ak + sA2);
    x20 = f32x4.add(x20, f32x4.mul(a2, b0)); x21 = f32x4.add(x21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(ak + sA3);
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
  const sA2 = 2 * sAi, sA3 = 3 * sAi;
  let ak = a, bk = b;
  for (let k = 0; k < K; k++, ak += sAk, bk += rowB) {
    const b0 = v128.load(bk);
    x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(ak), b0));
    x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(ak + sAi), b0));
    x2 = f32x4.add(x2, f32x4.mul(v128.load32_splat(ak + sA2), b0));
    x3 = f32x4.add(x3, f32x4.mul(v128.load32_splat(ak + sA3), b0));
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
  for (; k + 4 <= K; k += 4, ak += 4 * sAk, bk += rowB4) {
    const s0 = load<f32>(ak), s1 = load<f32>(ak + sAk), s2 = load<f32>(ak + sA2), s3 = load<f32>(ak + sA3);
    const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1), a2 = f32x4.splat(s2), a3 = f32x4.splat(s3);
    const b1 = bk + rowB, b2 = bk + rowB2, b3 = bk + rowB3;
    let j = 0;
    let off: usize = 0;
    for (; j + 4 <= N; j += 4, off += 16) {
      const p = f32x4.add(f32x4.mul(a0, v128.load(bk + off)), f32x4.mul(a1, v128.load(b1 + off)));
      const q = f32x4.add(f32x4.mul(a2, v128.load(b2 + off)), f32x4.mul(a3, v128.load(b3 + off)));
      v128.store(c + off, f32x4.add(v128.load(c + off), f32x4.add(p, q)));
    }
    for (; j < N; j++, off += 4) {
      store<f32>(c + off, load<f32>(c + off) + ((s0 * load<f32>(bk + off) + s1 * load<f32>(b1 + off)) + (s2 * load<f32>(b2 + off) + s3 * load<f32>(b3 + off))));
    }
  }
  for (; k < K; k++, ak += sAk, bk += rowB) {
    const s0 = load<f32>(ak);
    const a0 = f32x4.splat(s0);
    let j = 0;
    let off: usize = 0;
    for (; j + 4 <= N; j += 4, off += 16) v128.store(c + off, f32x4.add(v128.load(c + off), f32x4.mul(a0, v128.load(bk + off))));
    for (; j < N; j++, off += 4) store<f32>(c + off, load<f32>(c + off) + s0 * load<f32>(bk + off));
  }
}

/**
 * Rows of k per pass when K is long (dW = δᵀ h over a whole window of T·B rows, the carry
 * δ W_hh of a batch). A block of C reads one line of A and one of B per k, KC·2 lines that
 * neighbouring blocks reuse from L1 — but rows H = 256 floats apart are 1 KiB apart, so they
 * all fall into 4 of the 64 sets of a 32 KiB 8-way L1 (32 lines). Panels of 64 rows keep the
 * reuse in cache: W3's dW_hh (256×256, K = 992) went from 16 to 25 GFLOP/s (KC 128 → 64).
 */
const KC: i32 = 64;

/** C (M,N) = Σ_k A[i,k] · B (K,N)[k,:] (+ C), where A[i,k] is at A + i·sAi + k·sAk (bytes). */
function gemmRowsOfB(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, sAi: usize, sAk: usize): void {
  if (K <= KC) {
    gemmPanel(C, A, B, M, N, K, accumulate, sAi, sAk);
    return;
  }
  const rowB = <usize>N * REAL_BYTES;
  // equal panels of at most KC rows (K = 65 is 33 + 32, not 64 + 1)
  const panels = (K + KC - 1) / KC;
  const kc = (K + panels - 1) / panels;
  for (let k0 = 0; k0 < K; k0 += kc) {
    // the first panel writes or accumulates as asked; later panels accumulate onto it
    gemmPanel(C, A + <usize>k0 * sAk, B + <usize>k0 * rowB, M, N, min(kc, K - k0), k0 == 0 ? accumulate : 1, sAi, sAk);
  }
}

/** gemmRowsOfB over one panel of K rows. */
function gemmPanel(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32, sAi: usize, sAk: usize): void {
  const rowB = <usize>N * REAL_BYTES, rowC = rowB;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const c = C + <usize>i * rowC, a = A + <usize>i * sAi;
    let j = 0;
    for (; j + 8 <= N; j += 8) block4x8(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowC, rowB, sAi, sAk, accumulate);
    for (; j + 4 <= N; j += 4) block4x4(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowC, rowB, sAi, sAk, accumulate);
    for (; j < N; j++) block4x1(c + (<usize>j << 2), a, B + (<usize>j << 2), K, rowC, rowB, sAi, sAk, accumulate);
  }
  for (; i < M; i++) rowAxpy(C + <usize>i * rowC, A + <usize>i * sAi, B, N, K, rowB, sAk, accumulate);
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
