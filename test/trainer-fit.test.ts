/**
 * trainer.fit(data, options) from the main entry alone: it loads bptt/train on first use and is
 * fit(trainer, data, options), the same history bit for bit.
 */
import { expect, test } from "vitest";
import { RNN, Trainer, type Batch } from "../src/index.js";

const batches: Batch[] = [0, 1, 2].map((k) => ({
  batchSize: 2, seqLen: 6,
  inputs: Array.from({ length: 12 }, (_, i) => (i * 3 + k) % 7), targets: Array.from({ length: 12 }, (_, i) => (i * 5 + k + 1) % 7),
}));
const model = () => new RNN({ cell: "gru", inputSize: 7, hiddenSize: 9, seed: 4 });

test("trainer.fit loads bptt/train by itself and gives fit()'s history", async () => {
  const a = model();
  const viaMethod = await new Trainer(a, { optimizer: "adam", learningRate: 0.02 }).fit(batches, { steps: 8, validation: batches[0], evaluateEvery: 4 });
  const { fit } = await import("../src/train.js");
  const b = model();
  const viaFunction = await fit(new Trainer(b, { optimizer: "adam", learningRate: 0.02 }), batches, { steps: 8, validation: batches[0], evaluateEvery: 4 });
  const { seconds: _s1, ...h1 } = viaMethod, { seconds: _s2, ...h2 } = viaFunction;
  expect(h1.steps).toBe(8);
  expect(h1.evaluations.map((e) => e.step)).toEqual([4, 8]);
  expect(h1).toEqual(h2);
  expect(a.parameters().map((p) => [...p.data])).toEqual(b.parameters().map((p) => [...p.data]));
  a.dispose();
  b.dispose();
});
