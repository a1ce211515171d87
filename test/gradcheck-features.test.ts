/**
 * Gradients of the layer features against central finite differences of the summed loss, through
 * the public gradientCheck, on every backend, every entry of every parameter and of h0 (and c0):
 *   - embeddingSize: nn.Embedding before each cell (embedding.weight's rows gathered and scattered),
 *     with repeated tokens, 1 and 2 layers;
 *   - projSize: nn.LSTM(proj_size) with 1 and 2 layers (weight_hr_l{k}, h0 of P units, c0 of H), and
 *     with an embedding and dropout together;
 *   - bidirectional: every cell with 2 layers (the _reverse weights, h0 and c0 of 2·L slices), and with
 *     projSize, an embedding and dropout;
 *   - lengths (variable-length batches), with one and two directions and projSize: the parameters and
 *     h0/c0 of sequences that end early get gradient from their own steps only;
 *   - dropout (p = 0.3, 0.6) in a training pass (`training: true`): every forward of the check
 *     draws the same masks, so the numeric derivative is of the same function the analytic one is.
 * Tolerance and floor: gradcheck-cells.test.ts's (|a − n| / max(|a| + |n|, floor) < 2e-2 per tensor,
 * floor 100·u·|L|/ε, ε = 1e-2). GRADCHECK_ERRORS=<file> writes the worst error per backend and case.
 */
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { Batch, RNN, RNNOptions } from "../src/index.js";
import { gradientCheck } from "../src/gradcheck.js";
import { backendKinds } from "./helpers/backends.js";
import { modelOn, randomBatch } from "./helpers/models.js";

const EPSILON = 1e-2, TOLERANCE = 2e-2, U32 = 2 ** -24, FLOOR_FACTOR = 100;

type Options = Omit<RNNOptions, "backend" | "wasmModule">;
/** name, options, and batch.lengths (B = 3, T = 4) for a variable-length batch */
const cases: [string, Options, number[]?][] = [];
for (const cell of ["rnn", "lstm", "gru"] as const) {
  for (const numLayers of [1, 2]) {
    cases.push([`embedding, ${cell}, ${numLayers} layer(s)`, { cell, input: "tokens", inputSize: 4, embeddingSize: 3, hiddenSize: 5, outputSize: 3, numLayers, seed: 3 }]);
  }
  cases.push([`dropout 0.3, ${cell}, 3 layers, dense`, { cell, input: "dense", inputSize: 3, hiddenSize: 5, outputSize: 2, numLayers: 3, dropout: 0.3, loss: "mse", seed: 4 }]);
  cases.push([`dropout 0.6 + embedding, ${cell}, 2 layers`, { cell, input: "tokens", inputSize: 5, embeddingSize: 3, hiddenSize: 6, numLayers: 2, dropout: 0.6, seed: 5 }]);
}

for (const numLayers of [1, 2]) {
  cases.push([`projSize 3, lstm, ${numLayers} layer(s), dense`, { cell: "lstm", input: "dense", inputSize: 3, hiddenSize: 5, projSize: 3, outputSize: 2, numLayers, loss: "mse", seed: 6 }]);
}
cases.push(["projSize 2 + embedding + dropout 0.5, lstm, 3 layers", { cell: "lstm", input: "tokens", inputSize: 5, embeddingSize: 3, hiddenSize: 6, projSize: 2, numLayers: 3, dropout: 0.5, seed: 8 }]);
for (const cell of ["rnn", "lstm", "gru"] as const) {
  cases.push([`bidirectional, ${cell}, 2 layers, dense`, { cell, input: "dense", inputSize: 3, hiddenSize: 4, outputSize: 2, numLayers: 2, bidirectional: true, loss: "mse", seed: 9 }]);
}
cases.push(["bidirectional + projSize 2 + embedding, lstm, 2 layers", { cell: "lstm", input: "tokens", inputSize: 5, embeddingSize: 3, hiddenSize: 5, projSize: 2, numLayers: 2, bidirectional: true, seed: 10 }]);
cases.push(["bidirectional + embedding + dropout 0.4, gru, 2 layers", { cell: "gru", input: "tokens", inputSize: 5, embeddingSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.4, bidirectional: true, seed: 12 }]);
cases.push(["lengths [4, 1, 3], lstm, 2 layers, dense", { cell: "lstm", input: "dense", inputSize: 3, hiddenSize: 4, outputSize: 2, numLayers: 2, loss: "mse", seed: 13 }, [4, 1, 3]]);
cases.push(["lengths [2, 4, 1] + bidirectional, rnn, 2 layers", { cell: "rnn", inputSize: 5, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 14 }, [2, 4, 1]]);
cases.push(["lengths [3, 1, 4] + bidirectional + projSize 2, lstm, 2 layers", { cell: "lstm", inputSize: 5, hiddenSize: 5, projSize: 2, numLayers: 2, bidirectional: true, seed: 15 }, [3, 1, 4]]);

const measured: Record<string, Record<string, number>> = {};
afterAll(() => {
  if (process.env.GRADCHECK_ERRORS) writeFileSync(process.env.GRADCHECK_ERRORS, JSON.stringify(measured, null, 2));
});

function batchFor(model: RNN): Batch {
  const batch = randomBatch(model, { batchSize: 3, seqLen: 4, withH0: true }, 11);
  if (model.config.cell === "lstm") {
    const { numLayers, hiddenSize: H } = model.config, L = model.config.bidirectional ? 2 * numLayers : numLayers;
    batch.c0 = Float32Array.from({ length: L * 3 * H }, (_, k) => 2 * Math.sin(k + 1) * (k % 2 === 0 ? 1 : -1) * 0.4 + 0.1);
  }
  return batch;
}

describe.each(backendKinds)("gradient check of embedding and dropout on %s", (kind) => {
  it.each(cases)("%s", (name, options, lengths) => {
    const model = modelOn(kind, options);
    try {
      const batch = batchFor(model);
      if (lengths !== undefined) batch.lengths = lengths;
      const training = (options.dropout ?? 0) > 0;
      if (training) {
        // the check is of a pass with dropout: the masks change the loss
        const state = model.getDropoutState();
        const plain = model.forward(batch).loss;
        model.setDropoutState(state);
        expect(model.forward(batch, { training: true }).loss).not.toBe(plain);
        model.setDropoutState(state);
      }
      const floor = Math.max(1e-3, (FLOOR_FACTOR * U32 * Math.abs(model.forward(batch, { training }).loss)) / EPSILON);
      const results = gradientCheck(model, batch, { epsilon: EPSILON, floor, training });
      const states = model.config.cell === "lstm" ? ["h0", "c0"] : ["h0"];
      expect(results.map((r) => r.name)).toEqual([...model.parameters().map((p) => p.name), ...states]);
      for (const r of results) {
        expect(r.checked, r.name).toBeGreaterThan(0);
        expect(r.maxRelativeError, `${name}: ${r.name}, worst at ${JSON.stringify(r.worst)}`).toBeLessThan(TOLERANCE);
      }
      if (options.embeddingSize) expect(results[0].name).toBe("embedding.weight");
      if (options.bidirectional) expect(results.filter((r) => r.name.endsWith("_reverse")).length).toBeGreaterThanOrEqual(4 * 2);
      (measured[kind] ??= {})[name] = Math.max(...results.map((r) => r.maxRelativeError));
    } finally {
      model.dispose();
    }
  });
});
