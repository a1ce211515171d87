/**
 * A many-to-one task through the data helpers and fit: the adding problem (Hochreiter & Schmidhuber
 * 1997). Each step is (value in [0, 1), marker); two steps are marked, one in each half; the target,
 * at the last step only, is the sum of the two marked values. Always answering 1 scores an MSE of
 * 1/6 ≈ 0.167. Kept short (T = 10, 300 steps); the README's run is T = 100.
 */
import { expect, test } from "vitest";
import { Random, Trainer } from "../src/index.js";
import { ExampleBatches, fit, lastStepExample } from "../src/train.js";
import { modelOn } from "./helpers/models.js";

function addingExamples(count: number, T: number, rng: Random) {
  return Array.from({ length: count }, () => {
    const inputs = new Float32Array(T * 2);
    const a = rng.int(T / 2), b = T / 2 + rng.int(T / 2);
    for (let t = 0; t < T; t++) inputs[2 * t] = rng.next();
    inputs[2 * a + 1] = inputs[2 * b + 1] = 1;
    return lastStepExample(inputs, [inputs[2 * a] + inputs[2 * b]], { features: 2 });
  });
}

test.each(["js", "wasm-release"] as const)("adding problem, T = 10: a GRU (H = 16) gets the validation MSE below 0.01 within 300 steps (%s)", async (kind) => {
  const rng = new Random(1);
  const train = new ExampleBatches(addingExamples(2000, 10, rng), { batchSize: 20, seed: 1 });
  const validation = new ExampleBatches(addingExamples(200, 10, rng), { batchSize: 200, shuffle: false });
  const model = modelOn(kind, { cell: "gru", input: "dense", inputSize: 2, hiddenSize: 16, outputSize: 1, loss: "mse", seed: 1 });
  const history = await fit(new Trainer(model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1, reduction: "mean" }), train, {
    steps: 300, validation, evaluateEvery: 50,
  });
  expect(history.evaluations[0].meanLoss).toBeGreaterThan(0.1); // it starts near the 0.167 of a constant answer
  expect(history.bestLoss).toBeLessThan(0.01);
  expect(history.evaluations.every((e) => e.count === 200)).toBe(true); // one target per example: the last step
  model.dispose();
});
