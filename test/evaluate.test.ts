/**
 * evaluate(model, data): over token streams cut into windows, with every state (h, and c for an
 * LSTM) carried, the loss equals one forward pass over each whole stream (the oracle: the stream run
 * whole, no windows, no carrying); bits per token are the mean loss / ln 2; MSE has none.
 */
import { describe, expect, test } from "vitest";
import { Random, type RNNOptions } from "../src/index.js";
import { TokenStreams, evaluate } from "../src/train.js";
import { backendKinds } from "./helpers/backends.js";
import { expectError } from "./helpers/errors.js";
import { modelOn } from "./helpers/models.js";

const V = 7;
const cells: [string, Omit<RNNOptions, "inputSize" | "hiddenSize">][] = [
  ["tanh RNN, 2 layers", { cell: "rnn", numLayers: 2 }],
  ["LSTM, 2 layers", { cell: "lstm", numLayers: 2 }],
  ["GRU", { cell: "gru" }],
];

describe.each(backendKinds)("evaluate (%s)", (kind) => {
  test.each(cells)("%s: windows of a stream with the state carried = each stream read whole", (_, options) => {
    const model = modelOn(kind, { ...options, inputSize: V, hiddenSize: 6, seed: 11, init: "orthogonal" });
    const rng = new Random(4);
    const ids = Array.from({ length: 3 * 23 + 2 }, () => rng.int(V)); // B = 3, S = 23, the last id unused
    const streams = new TokenStreams(ids, { batchSize: 3, seqLen: 5 }); // windows of 5, 5, 5, 5, 3
    const result = evaluate(model, streams);

    let loss = 0, count = 0;
    for (let b = 0; b < 3; b++) {
      const s = ids.slice(b * 23, b * 23 + 24);
      const whole = model.forward({ batchSize: 1, seqLen: 23, inputs: s.slice(0, 23), targets: s.slice(1) });
      loss += whole.loss;
      count += whole.count;
    }
    expect(result.count).toBe(count);
    expect(Math.abs(result.loss - loss) / loss).toBeLessThan(2e-6);
    expect(result.meanLoss).toBe(result.loss / result.count);
    expect(result.bitsPerToken).toBe(result.meanLoss / Math.LN2);

    // the same windows without carrying score differently: the carried state matters here
    const windows = Array.from({ length: streams.batchesPerEpoch }, (_, k) => {
      const w = streams.batch(k, 0);
      return { ...w, inputs: Array.from(w.inputs), targets: Array.from(w.targets!) };
    });
    expect(Math.abs(evaluate(model, windows).loss - loss) / loss).toBeGreaterThan(1e-4);
    model.dispose();
  });
});

test("MSE: loss, count and meanLoss of a batch with a mask; bitsPerToken is null", () => {
  const model = modelOn("js", { input: "dense", inputSize: 2, hiddenSize: 3, outputSize: 1, loss: "mse", seed: 2 });
  const batch = { batchSize: 2, seqLen: 2, inputs: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], targets: [1, 2, 3, 4], mask: [0, 1, 1, 1] };
  const expected = model.forward(batch);
  const r = evaluate(model, batch);
  expect(r).toEqual({ loss: expected.loss, count: 3, meanLoss: expected.loss / 3, bitsPerToken: null });
  model.dispose();
});

test("bad input: no targets, streams that change in number, not a model", () => {
  const model = modelOn("js", { inputSize: 3, hiddenSize: 2 });
  expectError(() => evaluate(model, { batchSize: 1, seqLen: 1, inputs: [0] }), "INVALID_ARGUMENT", "batch 0 has no targets");
  const shifting = { batchesPerEpoch: 2, stateful: true, batch: (k: number) => ({ batchSize: k + 1, seqLen: 1, inputs: Array(k + 1).fill(0), targets: Array(k + 1).fill(1) }) };
  expectError(() => evaluate(model, shifting), "INVALID_ARGUMENT", "batch 1 has batchSize 2 but batch 0 of this stateful source had 1");
  expectError(() => evaluate(null as never, []), "INVALID_ARGUMENT", "model must be an RNN");
  expectError(() => evaluate(model, []), "INVALID_ARGUMENT", "data is an empty array");
  model.dispose();
});
