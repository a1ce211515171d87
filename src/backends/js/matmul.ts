import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

// Row-major matrix products over byte offsets into one Float32Array (index = ptr >> 2).
// Each keeps the innermost loop contiguous in memory and hoists row offsets out of it.

/** C (M,N) = A (M,K) · B (N,K)ᵀ (+ C): a dot product of two contiguous rows per element. */
export function matmulNT(m: JsMemory, C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void {
  const f = m.f32;
  const c0 = C >> 2, a0 = A >> 2, b0 = B >> 2;
  for (let i = 0; i < M; i++) {
    const ai = a0 + i * K, ci = c0 + i * N;
    for (let j = 0; j < N; j++) {
      const bj = b0 + j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += f[ai + k] * f[bj + k];
      f[ci + j] = accumulate ? f[ci + j] + s : s;
    }
  }
}

/** C (M,N) = A (M,K) · B (K,N) (+ C): row i of C gathers A[i,k] times row k of B. */
export function matmulNN(m: JsMemory, C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void {
  const f = m.f32;
  const c0 = C >> 2, a0 = A >> 2, b0 = B >> 2;
  for (let i = 0; i < M; i++) {
    const ci = c0 + i * N, ai = a0 + i * K;
    if (!accumulate) f.fill(0, ci, ci + N);
    for (let k = 0; k < K; k++) {
      const a = f[ai + k];
      if (a === 0) continue;
      const bk = b0 + k * N;
      for (let j = 0; j < N; j++) f[ci + j] += a * f[bk + j];
    }
  }
}

/** C (M,N) = A (K,M)ᵀ · B (K,N) (+ C): a sum of K outer products, row k of A with row k of B. */
export function matmulTN(m: JsMemory, C: Ptr, A: Ptr, B: Ptr, M: number, N: number, K: number, accumulate: number): void {
  const f = m.f32;
  const c0 = C >> 2, a0 = A >> 2, b0 = B >> 2;
  if (!accumulate) f.fill(0, c0, c0 + M * N);
  for (let k = 0; k < K; k++) {
    const ak = a0 + k * M, bk = b0 + k * N;
    for (let i = 0; i < M; i++) {
      const a = f[ak + i];
      if (a === 0) continue;
      const ci = c0 + i * N;
      for (let j = 0; j < N; j++) f[ci + j] += a * f[bk + j];
    }
  }
}
