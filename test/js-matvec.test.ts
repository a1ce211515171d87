// The pure-TS backend's recurrent products (src/backends/js/matvec.ts, matvecRows) against a
// float64 triple loop written here: shapes that are and are not multiples of its blocks (4 rows
// of W, 2 rows of X), with and without accumulation, and the memory around Y left untouched.
import { describe, expect, test } from "vitest";
import { matvecRows } from "../src/backends/js/matvec.js";
import { Random } from "../src/random.js";

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 17];

/** Y (M,R) = X (M,K) · W (R,K)ᵀ (+ Y0) in float64. */
function naive(X: Float32Array, W: Float32Array, Y0: Float32Array | null, M: number, R: number, K: number): Float64Array {
  const out = new Float64Array(M * R);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < R; j++) {
      let s = Y0 === null ? 0 : Y0[i * R + j];
      for (let k = 0; k < K; k++) s += X[i * K + k] * W[j * K + k];
      out[i * R + j] = s;
    }
  }
  return out;
}

describe("js matvecRows", () => {
  const rng = new Random(11);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  for (const accumulate of [0, 1]) {
    test(`every M ∈ {1, 2, 3, 4, 5}, R and K ∈ {${SIZES.join(", ")}}, accumulate = ${accumulate}`, () => {
      let worst = 0;
      for (const M of [1, 2, 3, 4, 5]) {
        for (const R of SIZES) {
          for (const K of SIZES) {
            const X = fill(M * K), W = fill(R * K), Y0 = fill(M * R);
            // layout in one Float32Array: [guard 4][X][guard 4][W][guard 4][Y][guard 4]
            const x = 4, w = x + M * K + 4, y = w + R * K + 4, end = y + M * R;
            const f = new Float32Array(end + 4).fill(7);
            f.set(X, x);
            f.set(W, w);
            f.set(Y0, y);
            matvecRows({ f32: f, i32: new Int32Array(f.buffer) }, y * 4, x * 4, w * 4, M, R, K, accumulate);
            const want = naive(X, W, accumulate ? Y0 : null, M, R, K);
            for (let i = 0; i < M * R; i++) worst = Math.max(worst, Math.abs(f[y + i] - want[i]) / (1 + Math.abs(want[i])));
            // inputs unchanged, guards untouched
            expect(f.subarray(x, x + M * K)).toEqual(X);
            expect(f.subarray(w, w + R * K)).toEqual(W);
            for (const g of [0, x + M * K, w + R * K, end]) expect(Array.from(f.subarray(g, g + 4))).toEqual([7, 7, 7, 7]);
          }
        }
      }
      // float64 sums rounded once to float32: within one float32 rounding of the exact value
      expect(worst).toBeLessThan(2 ** -23);
    });
  }
});
