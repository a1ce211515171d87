import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

// Row-major matrix products over byte offsets into one Float32Array (index = ptr >> 2).
//
// Written the way a careful engineer writes plain typed-array JavaScript: the array and every
// row offset in locals (no property lookups in inner loops), contiguous innermost loops, and
// enough independent work per iteration for the CPU to overlap:
//   matmulNT  dot products with 4 independent accumulators (k unrolled by 4);
//   matmulNN  one row of C gathers 4 rows of B per pass (c += a0·B_k + a1·B_k+1 + a2·B_k+2 + a3·B_k+3):
//   matmulTN  one load and store of c per 4 multiply–adds instead of per 1.
// Arithmetic is in float64 (JavaScript numbers), rounded to float32 when stored.

/** C (M,N) = A (M,K) · B (N,K)ᵀ (+ C): a dot product of two contiguous rows per element. */
export function matmulNT(m: JsMemory, C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void {
  const f = m.f32;
  const c0 = C >> 2, a0 = A >> 2, b0 = B >> 2;
  for (let i = 0; i < M; i++) {
    const ai = a0 + i * K, ci = c0 + i * N;
    const end = ai + K, end4 = end - 3;
    for (let j = 0; j < N; j++) {
      // p walks row i of A, q row j of B
      let p = ai, q = b0 + j * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (; p < end4; p += 4, q += 4) {
        s0 += f[p] * f[q];
        s1 += f[p + 1] * f[q + 1];
        s2 += f[p + 2] * f[q + 2];
        s3 += f[p + 3] * f[q + 3];
      }
      for (; p < end; p++, q++) s0 += f[p] * f[q];
      const s = (s0 + s1) + (s2 + s3);
      f[ci + j] = accumulate ? f[ci + j] + s : s;
    }
  }
}

/** c[j] += Σ_{r<4} a_r · f[b_r + j] for j < N: one pass over a row of C with 4 rows of B. */
function axpy4(f: Float32Array, ci: number, N: number, x0: number, b0: number, x1: number, b1: number, x2: number, b2: number, x3: number, b3: number): void {
  for (let j = 0; j < N; j++) f[ci + j] += x0 * f[b0 + j] + x1 * f[b1 + j] + x2 * f[b2 + j] + x3 * f[b3 + j];
}

/** c[j] += x · f[b + j] for j < N. */
function axpy1(f: Float32Array, ci: number, N: number, x: number, b: number): void {
  for (let j = 0; j < N; j++) f[ci + j] += x * f[b + j];
}

/** C (M,N) = A (M,K) · B (K,N) (+ C): row i of C gathers A[i,k] times row k of B, 4 values of k per pass. */
export function matmulNN(m: JsMemory, C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void {
  const f = m.f32;
  const c0 = C >> 2, a0 = A >> 2, b0 = B >> 2;
  const K4 = K - (K % 4);
  for (let i = 0; i < M; i++) {
    const ci = c0 + i * N, ai = a0 + i * K;
    if (!accumulate) f.fill(0, ci, ci + N);
    let k = 0;
    for (; k < K4; k += 4) {
      const bk = b0 + k * N;
      axpy4(f, ci, N, f[ai + k], bk, f[ai + k + 1], bk + N, f[ai + k + 2], bk + 2 * N, f[ai + k + 3], bk + 3 * N);
    }
    for (; k < K; k++) axpy1(f, ci, N, f[ai + k], b0 + k * N);
  }
}

/** C (M,N) = A (K,M)ᵀ · B (K,N) (+ C): a sum of K outer products, row k of A with row k of B, 4 values of k per pass. */
export function matmulTN(m: JsMemory, C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void {
  const f = m.f32;
  const c0 = C >> 2, a0 = A >> 2, b0 = B >> 2;
  if (!accumulate) f.fill(0, c0, c0 + M * N);
  const K4 = K - (K % 4);
  let k = 0;
  for (; k < K4; k += 4) {
    const ak = a0 + k * M, bk = b0 + k * N;
    for (let i = 0; i < M; i++) {
      axpy4(f, c0 + i * N, N, f[ak + i], bk, f[ak + M + i], bk + N, f[ak + 2 * M + i], bk + 2 * N, f[ak + 3 * M + i], bk + 3 * N);
    }
  }
  for (; k < K; k++) {
    const ak = a0 + k * M, bk = b0 + k * N;
    for (let i = 0; i < M; i++) axpy1(f, c0 + i * N, N, f[ak + i], bk);
  }
}
