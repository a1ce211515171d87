import type { Random } from "./random.js";

/**
 * Weight initialisation, identical in both backends (it runs in TypeScript on the shared PRNG).
 * Gated cells stack G gate blocks of H rows (LSTM i, f, g, o; GRU r, z, n); every scheme applies per block.
 *   pytorch:    every recurrent weight and bias U(−1/√H, 1/√H) (the default of nn.RNN, nn.LSTM and nn.GRU);
 *               head as nn.Linear: U(−1/√H, 1/√H)
 *   xavier:     weights U(−a, a), a = √(6 / (fan_in + fan_out)) per gate block (fan_out H); biases 0
 *               (Glorot & Bengio 2010)
 *   orthogonal: W_ih Xavier, each H×H gate block of W_hh a random orthogonal matrix (Saxe et al. 2014); biases 0
 *   identity:   W_ih Xavier, each H×H gate block of W_hh = I, biases 0 (IRNN, Le et al. 2015, for ReLU recurrences)
 * The LSTM's `forgetBias` option is applied after the scheme (see RNNOptions).
 */
export type InitScheme = "pytorch" | "xavier" | "orthogonal" | "identity";
export const initSchemes: readonly InitScheme[] = ["pytorch", "xavier", "orthogonal", "identity"];

export function uniformFill(out: Float32Array, rng: Random, bound: number): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
}

export function xavierFill(out: Float32Array, rng: Random, fanIn: number, fanOut: number): void {
  uniformFill(out, rng, Math.sqrt(6 / (fanIn + fanOut)));
}

/** Fill an (n, n) row-major block at `offset` with a random orthogonal matrix: modified Gram–Schmidt on Gaussian rows. */
export function orthogonalFill(out: Float32Array, rng: Random, n: number, offset = 0): void {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) q[i] = rng.normal();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += q[i * n + k] * q[j * n + k];
      for (let k = 0; k < n; k++) q[i * n + k] -= dot * q[j * n + k];
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[i * n + k] * q[i * n + k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < n; k++) q[i * n + k] /= norm;
  }
  for (let i = 0; i < n * n; i++) out[offset + i] = q[i];
}

export function identityFill(out: Float32Array, n: number, offset = 0): void {
  out.fill(0, offset, offset + n * n);
  for (let i = 0; i < n; i++) out[offset + i * n + i] = 1;
}
