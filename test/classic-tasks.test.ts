/**
 * Classic recurrent-network tasks, learned end to end on the release Wasm backend (the other backends
 * follow the same trajectories: training*.test.ts, golden*.test.ts):
 *
 * - The adding problem (Hochreiter & Schmidhuber 1997): T steps of (value in [0, 1), marker); the
 *   target, read at the last step only (a mask), is the sum of the two marked values, one in each
 *   half. Always predicting the mean sum, 1, scores an MSE of 1/6 ≈ 0.167. LSTM, GRU and the IRNN
 *   (ReLU recurrence from the identity, Le et al. 2015) get below 0.02 in 800 steps; a tanh RNN
 *   from PyTorch's initialisation stays at the baseline — the vanishing gradient the gated cells and
 *   the identity initialisation are there for.
 * - First-token recall: classify, at the last of T = 15 steps, the token seen at the first (a
 *   many-to-one task: every other target is ignore_index). Measured as accuracy on fresh sequences
 *   through the streaming API. An LSTM needs its forget gate open (forgetBias 1) to start learning
 *   within the budget, as in PyTorch (from its default initialisation PyTorch's LSTM, too, is still at
 *   chance, 1.79 nats, after 1,200 steps of this set-up).
 *
 * All runs: Adam with clipping by global norm 1, mean loss, batch 32, fixed seeds. Measured: adding
 * MSE GRU 0.0003, IRNN 0.009, tanh 0.163; recall accuracy 1.00 for GRU, tanh RNN and LSTM.
 */
import { describe, expect, it } from "vitest";
import { RNN, Random, Trainer, type RNNOptions } from "../src/index.js";
import { wasmModuleFor } from "./helpers/backends.js";

const wasm = { backend: "wasm" as const, wasmModule: wasmModuleFor("wasm-release") };

/** Trains the adding problem; returns the MSE averaged over the last 50 steps. */
function addingProblem(options: Partial<RNNOptions>, learningRate: number, T = 20, steps = 800): number {
  const B = 32, rng = new Random(1);
  const model = new RNN({ input: "dense", inputSize: 2, hiddenSize: 16, outputSize: 1, loss: "mse", seed: 3, ...options, ...wasm });
  const trainer = new Trainer(model, { optimizer: "adam", learningRate, clipNorm: 1, reduction: "mean" });
  const inputs = new Float32Array(B * T * 2), targets = new Float32Array(B * T), mask = new Uint8Array(B * T);
  let tail = 0;
  for (let step = 1; step <= steps; step++) {
    inputs.fill(0);
    targets.fill(0);
    mask.fill(0);
    for (let b = 0; b < B; b++) {
      const first = rng.int(T / 2), second = T / 2 + rng.int(T / 2);
      for (let t = 0; t < T; t++) {
        const value = rng.next();
        inputs[(b * T + t) * 2] = value;
        if (t === first || t === second) {
          inputs[(b * T + t) * 2 + 1] = 1;
          targets[b * T + T - 1] += value;
        }
      }
      mask[b * T + T - 1] = 1;
    }
    const r = trainer.step({ batchSize: B, seqLen: T, inputs, targets, mask });
    if (step > steps - 50) tail += r.loss / 50;
  }
  model.dispose();
  return tail;
}

/** Trains first-token recall; returns the accuracy on 200 fresh sequences, read through step(). */
function firstTokenRecall(options: Partial<RNNOptions>, steps = 600): number {
  const V = 6, B = 32, T = 10, rng = new Random(2);
  const model = new RNN({ inputSize: V, hiddenSize: 24, seed: 5, ...options, ...wasm });
  const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1, reduction: "mean" });
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T).fill(RNN.ignoreIndex);
  for (let step = 0; step < steps; step++) {
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) inputs[b * T + t] = rng.int(V);
      targets[b * T + T - 1] = inputs[b * T];
    }
    trainer.step({ batchSize: B, seqLen: T, inputs, targets });
  }
  let right = 0;
  for (let n = 0; n < 200; n++) {
    const sequence = Array.from({ length: T }, () => rng.int(V));
    model.resetState(1);
    let logits: Float32Array<ArrayBufferLike> = new Float32Array(V);
    for (const token of sequence) logits = model.step(token);
    const guess = logits.indexOf(Math.max(...logits));
    if (guess === sequence[0]) right++;
  }
  model.dispose();
  return right / 200;
}

describe("classic tasks (wasm-release)", () => {
  it("the adding problem, T = 20: LSTM, GRU and the IRNN learn it (MSE < 0.02 against 0.167); a tanh RNN stays at the baseline", () => {
    expect(addingProblem({ cell: "lstm" }, 0.01)).toBeLessThan(0.02);
    expect(addingProblem({ cell: "gru" }, 0.01)).toBeLessThan(0.02);
    expect(addingProblem({ cell: "rnn", nonlinearity: "relu", init: "identity" }, 0.003)).toBeLessThan(0.02);
    expect(addingProblem({ cell: "rnn", nonlinearity: "tanh" }, 0.003)).toBeGreaterThan(0.12);
  });

  it("first-token recall over 10 steps (many-to-one through ignore_index): GRU, tanh RNN and LSTM (forget bias 1) ≥ 95 % on fresh sequences; chance is 1/6", () => {
    expect(firstTokenRecall({ cell: "gru" })).toBeGreaterThanOrEqual(0.95);
    expect(firstTokenRecall({ cell: "rnn" })).toBeGreaterThanOrEqual(0.95);
    expect(firstTokenRecall({ cell: "lstm", forgetBias: 1 })).toBeGreaterThanOrEqual(0.95);
  });
});
