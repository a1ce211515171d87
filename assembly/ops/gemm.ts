// Packed matrix product for C blocks of several rows (the batched products: B > 1 recurrences,
// whole-window weight gradients, the output layer):
//
//   C (M,N) = Σ_k A[i,k] · B[k,j]  (+ C),   A[i,k] at A + i·sAi + k·sAk,  B[k,j] at B + k·sBk + j·sBj
//
// K is cut into panels of at most GEMM_KC rows and N into chunks of GEMM_NC columns. Each panel of
// B is copied into scratch as 8-column strips, k-major (32 contiguous bytes per k), and each
// block of GEMM_MR rows of A as k-major groups of GEMM_MR values, padded with zeros at the edges.
// The micro-kernel then reads both in address order from one pointer each, whatever the strides
// of the operands: no cache-set conflicts between rows 1 KiB apart (an unpacked strip of B at
// H = 256 overflowed the 8 ways of its L1 sets) and no address arithmetic per load.
// Each element of C is summed in blocks: a panel's kc products from zero, k ascending, then added
// to C (or to the previous panels' sum), so rounding grows with kc + K/kc rather than with K.
import { REAL_BYTES } from "../precision";
import { fill } from "./vector";
import { madd } from "./math";
import { GEMM_KC, GEMM_MR, GEMM_NC, packedA, packedB, tile } from "./scratch";

/** C block (4 rows × 8 columns, rows rowC bytes apart) (+)= Σ_k a_k ⊗ b_k over kk packed k: 8 accumulators. */
// @ts-ignore: decorator
@inline function kernel4x8(c: usize, rowC: usize, ap: usize, bp: usize, kk: i32, accumulate: i32): void {
  const c1 = c + rowC, c2 = c1 + rowC, c3 = c2 + rowC;
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  for (const bEnd = bp + (<usize>kk << 5); bp < bEnd; ap += 16, bp += 32) { // kk steps, no counter
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    x00 = madd(a0, b0, x00); x01 = madd(a0, b1, x01);
    const a1 = v128.load32_splat(ap, 4);
    x10 = madd(a1, b0, x10); x11 = madd(a1, b1, x11);
    const a2 = v128.load32_splat(ap, 8);
    x20 = madd(a2, b0, x20); x21 = madd(a2, b1, x21);
    const a3 = v128.load32_splat(ap, 12);
    x30 = madd(a3, b0, x30); x31 = madd(a3, b1, x31);
  }
  if (accumulate) { // C + this panel's sum, each summed from zero (blocked summation: error ∝ kc + K/kc, not K)
    x00 = f32x4.add(v128.load(c), x00); x01 = f32x4.add(v128.load(c, 16), x01);
    x10 = f32x4.add(v128.load(c1), x10); x11 = f32x4.add(v128.load(c1, 16), x11);
    x20 = f32x4.add(v128.load(c2), x20); x21 = f32x4.add(v128.load(c2, 16), x21);
    x30 = f32x4.add(v128.load(c3), x30); x31 = f32x4.add(v128.load(c3, 16), x31);
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

/**
 * Four rows r0..r3 (4 floats each) stored as four columns: out + q·step holds (r0[q], r1[q], r2[q], r3[q])
 * for q = 0..3 — a 4×4 transpose in 8 shuffles.
 */
// @ts-ignore: decorator
@inline function storeTransposed4x4(out: usize, step: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(out + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(out + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(out + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** packed[s][k][0..7] = B[k, 8s .. 8s+7] for k < kk, j < nn (zeros past nn). */
function packPanelB(packed: usize, B: usize, kk: i32, nn: i32, sBk: usize, sBj: usize): void {
  const strips = (nn + 7) >> 3;
  const stripBytes = <usize>kk << 5;
  for (let s = 0; s < strips; s++) {
    const dst = packed + <usize>s * stripBytes;
    const j0 = s << 3;
    const cols = min(8, nn - j0);
    const src = B + <usize>j0 * sBj;
    if (cols == 8 && sBj == REAL_BYTES) {
      for (let k = 0; k < kk; k++) {
        const row = src + <usize>k * sBk, out = dst + (<usize>k << 5);
        v128.store(out, v128.load(row));
        v128.store(out, v128.load(row, 16), 16);
      }
    } else if (cols == 8 && sBk == REAL_BYTES) {
      // B stored transposed (matmulNT): column j of the strip is a contiguous row of B
      const r1 = src + sBj, r2 = r1 + sBj, r3 = r2 + sBj, r4 = r3 + sBj, r5 = r4 + sBj, r6 = r5 + sBj, r7 = r6 + sBj;
      let k = 0;
      let off: usize = 0;
      for (; k + 4 <= kk; k += 4, off += 16) {
        const out = dst + (<usize>k << 5);
        storeTransposed4x4(out, 32, v128.load(src + off), v128.load(r1 + off), v128.load(r2 + off), v128.load(r3 + off));
        storeTransposed4x4(out + 16, 32, v128.load(r4 + off), v128.load(r5 + off), v128.load(r6 + off), v128.load(r7 + off));
      }
      for (; k < kk; k++, off += 4) {
        const out = dst + (<usize>k << 5);
        for (let j = 0; j < 8; j++) store<f32>(out + (<usize>j << 2), load<f32>(src + <usize>j * sBj + off));
      }
    } else {
      for (let k = 0; k < kk; k++) {
        const row = src + <usize>k * sBk, out = dst + (<usize>k << 5);
        let j = 0;
        for (; j < cols; j++) store<f32>(out + (<usize>j << 2), load<f32>(row + <usize>j * sBj));
        for (; j < 8; j++) store<f32>(out + (<usize>j << 2), 0);
      }
    }
  }
}

/** packed[k][0..3] = A[i, k] for the block's 4 rows i and k < kk; A's rows or its columns are contiguous. */
function packBlockA(packed: usize, A: usize, kk: i32, sAi: usize, sAk: usize): void {
  const group = <usize>GEMM_MR * REAL_BYTES;
  if (sAi == REAL_BYTES) { // matmulTN: the 4 values of a k are contiguous
    for (let k = 0; k < kk; k++) v128.store(packed + <usize>k * group, v128.load(A + <usize>k * sAk));
    return;
  }
  // rows of A contiguous in k (matmulNN, matmulNT): 4×4 transposes
  const a1 = A + sAi, a2 = a1 + sAi, a3 = a2 + sAi;
  let k = 0;
  let off: usize = 0;
  for (; k + 4 <= kk; k += 4, off += 16) {
    storeTransposed4x4(packed + <usize>k * group, group, v128.load(A + off), v128.load(a1 + off), v128.load(a2 + off), v128.load(a3 + off));
  }
  for (; k < kk; k++, off += 4) {
    const out = packed + <usize>k * group;
    store<f32>(out, load<f32>(A + off)); store<f32>(out, load<f32>(a1 + off), 4);
    store<f32>(out, load<f32>(a2 + off), 8); store<f32>(out, load<f32>(a3 + off), 12);
  }
}

/** Rows of k per panel: equal panels of at most GEMM_KC (K = 100 is 50 + 50, not 80 + 20). */
// @ts-ignore: decorator
@inline function panelRows(K: i32): i32 {
  const panels = (K + GEMM_KC - 1) / GEMM_KC;
  return (K + panels - 1) / panels;
}

/** Floats of B (K,N) packed whole by packWholeB: K · 8⌈N/8⌉. */
// @ts-ignore: decorator
@inline export function wholePackedFloats(K: i32, N: i32): i32 {
  return K * ((N + 7) & ~7);
}

/**
 * Bp = every panel of B (K,N) as gemmPacked packs it, back to back in the order it reads them
 * (panels of k, then chunks of GEMM_NC columns): for a B that many products reuse, as a
 * recurrence's W_hh over the T steps of a window (the per-step copy was 8 % of a 32×256×256 step).
 */
export function packWholeB(Bp: usize, B: usize, K: i32, N: i32, sBk: usize, sBj: usize): void {
  if (K == 0) return;
  const kc = panelRows(K);
  let out = Bp;
  for (let k0 = 0; k0 < K; k0 += kc) {
    const kk = min(kc, K - k0);
    for (let j0 = 0; j0 < N; j0 += GEMM_NC) {
      const nn = min(GEMM_NC, N - j0);
      packPanelB(out, B + <usize>k0 * sBk + <usize>j0 * sBj, kk, nn, sBk, sBj);
      out += <usize>kk * (<usize>((nn + 7) >> 3) << 5);
    }
  }
}

/**
 * C (M,N) = Σ_k A[i,k] · B[k,j], plus C when accumulate = 1 (strides in bytes, see the top); M a
 * multiple of 4, sAi or sAk = 4. prepackedB: packWholeB of this B, or 0 to pack each panel here.
 */
export function gemmPacked(C: usize, A: usize, B: usize, M: i32, N: i32, K: i32, accumulate: i32,
  sAi: usize, sAk: usize, sBk: usize, sBj: usize, prepackedB: usize): void {
  assert(M % GEMM_MR == 0 && (sAi == REAL_BYTES || sAk == REAL_BYTES), "gemmPacked: M must be a multiple of 4, A rows or columns contiguous");
  const rowC = <usize>N * REAL_BYTES;
  if (K == 0) { // an empty sum
    if (!accumulate) for (let i = 0; i < M; i++) fill(C + <usize>i * rowC, N, 0);
    return;
  }
  const pa = packedA(), t = tile();
  const kc = panelRows(K);
  let pb = prepackedB != 0 ? prepackedB : packedB();
  for (let k0 = 0; k0 < K; k0 += kc) {
    const kk = min(kc, K - k0);
    // the first panel writes or accumulates as asked; later panels accumulate onto it
    const acc = k0 == 0 ? accumulate : 1;
    for (let j0 = 0; j0 < N; j0 += GEMM_NC) {
      const nn = min(GEMM_NC, N - j0);
      if (prepackedB == 0) packPanelB(pb, B + <usize>k0 * sBk + <usize>j0 * sBj, kk, nn, sBk, sBj);
      for (let i0 = 0; i0 < M; i0 += GEMM_MR) {
        packBlockA(pa, A + <usize>i0 * sAi + <usize>k0 * sAk, kk, sAi, sAk);
        const cRow = C + <usize>i0 * rowC + (<usize>j0 << 2);
        for (let s = 0; s << 3 < nn; s++) {
          const c = cRow + (<usize>s << 5);
          const bp = pb + <usize>s * (<usize>kk << 5);
          const cols = min(8, nn - (s << 3));
          if (cols == 8) {
            kernel4x8(c, rowC, pa, bp, kk, acc);
          } else {
            // the last N % 8 columns: through a full 4×8 tile, copying in and out only the valid part
            for (let i = 0; i < GEMM_MR; i++) for (let j = 0; j < cols; j++) {
              store<f32>(t + (<usize>(i * 8 + j) << 2), acc ? load<f32>(c + <usize>i * rowC + (<usize>j << 2)) : 0);
            }
            kernel4x8(t, 32, pa, bp, kk, acc);
            for (let i = 0; i < GEMM_MR; i++) for (let j = 0; j < cols; j++) {
              store<f32>(c + <usize>i * rowC + (<usize>j << 2), load<f32>(t + (<usize>(i * 8 + j) << 2)));
            }
          }
        }
      }
      if (prepackedB != 0) pb += <usize>kk * (<usize>((nn + 7) >> 3) << 5); // the next chunk of the whole packing
    }
  }
}
