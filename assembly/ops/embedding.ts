// nn.Embedding: a row gather forward, a scatter-add backward.
//   N rows (T·B flattened, time-major), E features, V vocabulary rows of the table.
//   tokens: (N) int32 ids in [0,V)  W, dW: (V,E)  X, dX: (N,E)
// Both run on one thread: backward adds into the rows of repeated tokens in the order of n, the
// same order at every thread count (and in the js twin).
import { REAL_BYTES } from "../precision";
import { addInto } from "./vector";

/** X[n] = W[tokens[n]] for every row n < N. */
export function embeddingForward(X: usize, tokens: usize, W: usize, N: i32, E: i32): void {
  assert(((X | tokens | W) & 3) == 0 && N >= 0 && E >= 0, "embeddingForward: misaligned pointer or negative size");
  const row = <usize>E * REAL_BYTES;
  for (let n = 0; n < N; n++) memory.copy(X + <usize>n * row, W + <usize>load<i32>(tokens + (<usize>n << 2)) * row, row);
}

/** dW[tokens[n]] += dX[n] for n = 0 … N−1, in that order (accumulated). */
export function embeddingBackward(dW: usize, dX: usize, tokens: usize, N: i32, E: i32): void {
  assert(((dW | dX | tokens) & 3) == 0 && N >= 0 && E >= 0, "embeddingBackward: misaligned pointer or negative size");
  const row = <usize>E * REAL_BYTES;
  for (let n = 0; n < N; n++) addInto(dW + <usize>load<i32>(tokens + (<usize>n << 2)) * row, dX + <usize>n * row, E);
}
