import type { Ptr } from "../../backend.js";
import type { JsMemory } from "./memory.js";

/**
 * Wp = W (R,K) in row groups, the layout the Wasm B = 1 recurrences read (assembly/ops/matvec.ts):
 *   Wp[((g·Q + q)·8 + r)·4 + c] = W[8g + r, 4q + c],  Q = ⌈K/4⌉,  zeros past row R and column K.
 */
export function packRowGroups(m: JsMemory, Wp: Ptr, W: Ptr, R: number, K: number): void {
  const f = m.f32, out = Wp >> 2, w = W >> 2;
  const G = Math.ceil(R / 8), Q = Math.ceil(K / 4);
  for (let g = 0; g < G; g++) {
    for (let q = 0; q < Q; q++) {
      for (let r = 0; r < 8; r++) {
        const j = 8 * g + r;
        for (let c = 0; c < 4; c++) {
          const k = 4 * q + c;
          f[out + ((g * Q + q) * 8 + r) * 4 + c] = j < R && k < K ? f[w + j * K + k] : 0;
        }
      }
    }
  }
}

/**
 * Y (M,R) = X (M,K) · W (R,K)ᵀ (+ Y when accumulate): one matrix–vector product W x per row x of X,
 * the recurrent products of the cells (M = B; B = 1 is the common case of training one sequence and
 * of sampling). Rows of W go 4 per pass and rows of X 2 per pass, so each load of x feeds 4
 * multiply–adds and each load of W feeds 2 (one at M = 1): per row of W, plain loops over K with
 * one accumulator per output, 8 accumulators in flight (4 at M = 1). Measured alone on one core
 * (GFLOP/s): M = 1, H = 128: 3.1, against 2.2 for matmulNT's dot products (one row of W at a
 * time, 4 accumulators) and 2.0 for a plain one-accumulator loop; M = 1, H = 256: 2.1 against 1.6;
 * M = 32, H = 256: 3.1 against 1.65. Arithmetic in float64, rounded to float32 when stored.
 */
export function matvecRows(m: JsMemory, Y: Ptr, X: Ptr, W: Ptr, M: number, R: number, K: number, accumulate: number): void {
  const f = m.f32, y0 = Y >> 2, w0 = W >> 2, x0 = X >> 2;
  let i = 0;
  for (; i + 1 < M; i += 2) matvec2(f, y0 + i * R, y0 + (i + 1) * R, w0, x0 + i * K, x0 + (i + 1) * K, R, K, accumulate);
  if (i < M) matvec1(f, y0 + i * R, w0, x0 + i * K, R, K, accumulate);
}

/** y (R) = W (R,K) · x (K) (+ y), offsets in floats: 4 rows of W per pass share each load of x. */
function matvec1(f: Float32Array, y: number, w: number, x: number, R: number, K: number, accumulate: number): void {
  let j = 0;
  for (; j + 3 < R; j += 4) {
    const r0 = w + j * K, r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K; k++) {
      const v = f[x + k];
      s0 += f[r0 + k] * v;
      s1 += f[r1 + k] * v;
      s2 += f[r2 + k] * v;
      s3 += f[r3 + k] * v;
    }
    store4(f, y + j, s0, s1, s2, s3, accumulate);
  }
  for (; j < R; j++) {
    const r = w + j * K;
    let s = 0;
    for (let k = 0; k < K; k++) s += f[r + k] * f[x + k];
    f[y + j] = accumulate ? f[y + j] + s : s;
  }
}

/** y (R) = W x, z (R) = W u (+ y, z): 4 rows of W × 2 vectors per pass, 8 accumulators. */
function matvec2(f: Float32Array, y: number, z: number, w: number, x: number, u: number, R: number, K: number, accumulate: number): void {
  let j = 0;
  for (; j + 3 < R; j += 4) {
    const r0 = w + j * K, r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let k = 0; k < K; k++) {
      const v = f[x + k], q = f[u + k];
      const a0 = f[r0 + k], a1 = f[r1 + k], a2 = f[r2 + k], a3 = f[r3 + k];
      s0 += a0 * v; s1 += a1 * v; s2 += a2 * v; s3 += a3 * v;
      t0 += a0 * q; t1 += a1 * q; t2 += a2 * q; t3 += a3 * q;
    }
    store4(f, y + j, s0, s1, s2, s3, accumulate);
    store4(f, z + j, t0, t1, t2, t3, accumulate);
  }
  for (; j < R; j++) {
    const r = w + j * K;
    let s = 0, t = 0;
    for (let k = 0; k < K; k++) {
      s += f[r + k] * f[x + k];
      t += f[r + k] * f[u + k];
    }
    f[y + j] = accumulate ? f[y + j] + s : s;
    f[z + j] = accumulate ? f[z + j] + t : t;
  }
}

function store4(f: Float32Array, y: number, s0: number, s1: number, s2: number, s3: number, accumulate: number): void {
  if (accumulate) {
    f[y] += s0; f[y + 1] += s1; f[y + 2] += s2; f[y + 3] += s3;
  } else {
    f[y] = s0; f[y + 1] = s1; f[y + 2] = s2; f[y + 3] = s3;
  }
}
