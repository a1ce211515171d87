/**
 * Dropout's contract besides the golden values (golden-dropout.test.ts):
 *   - the masks: Bernoulli(1 − p) scaled by 1/(1 − p) — over 2²⁰ draws per p the kept fraction lies
 *     within 5 standard deviations of 1 − p, every kept value is exactly float32(1/(1 − p)), adjacent
 *     draws are independent (the kept-pair fraction within 5σ of (1 − p)²), and the js and Wasm
 *     kernels draw the same masks and leave the same PRNG state, bit for bit;
 *   - p = 0 is identical to no dropout (training steps, bit for bit), and one layer has nothing to drop;
 *   - only training applies it: forward without `training`, evaluate and streaming give the
 *     dropout-free model's numbers bit for bit;
 *   - resume is bit-exact: N + M steps equal N steps, saveCheckpoint, loadCheckpoint, M steps;
 *   - bad options throw before anything changes.
 */
import { describe, expect, it } from "vitest";
import { BpttError, RNN, Trainer, type RNNOptions } from "../src/index.js";
import { evaluate } from "../src/evaluate.js";
import { loadCheckpoint, saveCheckpoint } from "../src/io.js";
import { backendKinds, makeBackend } from "./helpers/backends.js";
import { bits, modelOn, randomBatch } from "./helpers/models.js";

const N_DRAWS = 1 << 20;

describe.each(backendKinds)("dropout masks on %s", (kind) => {
  it.each([0.1, 0.25, 0.5, 0.9])("p = %s: Bernoulli(1 − p) scaled by 1/(1 − p), independent draws, the same as the js kernel", (p) => {
    const be = makeBackend(kind), ref = makeBackend("js");
    try {
      const threshold = Math.round(p * 2 ** 24), scale = Math.fround(1 / (1 - p));
      const masks: Float32Array[] = [], states: number[][] = [];
      for (const b of [be, ref]) {
        const base = Math.ceil(b.heapBase / 16) * 16, state = base, x = base + 16, mask = x + N_DRAWS * 4, y = mask + N_DRAWS * 4;
        b.reserve(y + N_DRAWS * 4);
        new Uint32Array(b.buffer, state, 4).set([0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321]);
        new Float32Array(b.buffer, x, N_DRAWS).fill(1);
        b.dropoutForward(y, mask, x, state, N_DRAWS, threshold, scale);
        masks.push(new Float32Array(b.buffer, mask, N_DRAWS).slice());
        states.push(Array.from(new Uint32Array(b.buffer, state, 4)));
        expect(Buffer.from(new Float32Array(b.buffer, y, N_DRAWS).buffer, y, N_DRAWS * 4).equals(Buffer.from(masks[masks.length - 1].buffer)), "y = 1 · mask").toBe(true);
      }
      expect(Buffer.from(masks[0].buffer).equals(Buffer.from(masks[1].buffer)), "js and this kernel draw the same masks").toBe(true);
      expect(states[0]).toEqual(states[1]);
      const m = masks[0];
      let kept = 0, pairs = 0, other = 0;
      for (let i = 0; i < N_DRAWS; i++) {
        if (m[i] !== 0 && m[i] !== scale) other++;
        if (m[i] !== 0) kept++;
        if (i > 0 && m[i] !== 0 && m[i - 1] !== 0) pairs++;
      }
      expect(other, "values other than 0 and float32(1/(1 − p))").toBe(0);
      const q = 1 - p, n = N_DRAWS;
      expect(Math.abs(kept / n - q)).toBeLessThan(5 * Math.sqrt((q * p) / n));
      expect(Math.abs(pairs / (n - 1) - q * q)).toBeLessThan(5 * Math.sqrt((q * q * (1 - q * q) * 3) / n));
      // E[mask] = 1: the expected activation is unchanged
      expect(Math.abs((kept * scale) / n - 1)).toBeLessThan(5 * scale * Math.sqrt((q * p) / n));
    } finally {
      be.dispose();
      ref.dispose();
    }
  });
});

const base: Omit<RNNOptions, "backend" | "wasmModule"> = { cell: "lstm", input: "tokens", inputSize: 6, embeddingSize: 4, hiddenSize: 5, numLayers: 3, seed: 7 };

function trainBits(model: RNN, steps: number, trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01, clipNorm: 1 })): { losses: number[]; weights: Uint32Array[] } {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(trainer.step(randomBatch(model, { batchSize: 3, seqLen: 4 }, 100 + trainer.stepCount)).lossSum);
  return { losses, weights: model.parameters().map((p) => bits(p.data)) };
}

describe.each(["js", "wasm-release"] as const)("dropout in the model on %s", (kind) => {
  it("p = 0 is identical to no dropout; one layer has nothing to drop", () => {
    for (const [a, b] of [[{ ...base }, { ...base, dropout: 0 }], [{ ...base, numLayers: 1 }, { ...base, numLayers: 1, dropout: 0.5 }]]) {
      const plain = modelOn(kind, a), dropped = modelOn(kind, b);
      expect(trainBits(dropped, 4)).toEqual(trainBits(plain, 4));
      plain.dispose();
      dropped.dispose();
    }
  });

  it("applies only in training: forward without training, evaluate and streaming equal the model without dropout, bit for bit", () => {
    const plain = modelOn(kind, base), dropped = modelOn(kind, { ...base, dropout: 0.5 });
    try {
      const batch = randomBatch(plain, { batchSize: 3, seqLen: 4 }, 1);
      const state = dropped.getDropoutState();
      expect(dropped.forward(batch).loss).toBe(plain.forward(batch).loss);
      expect(bits(dropped.outputs())).toEqual(bits(plain.outputs()));
      expect(evaluate(dropped, batch).loss).toBe(evaluate(plain, batch).loss);
      plain.resetState(1);
      dropped.resetState(1);
      expect(bits(dropped.step(2))).toEqual(bits(plain.step(2)));
      expect(dropped.getDropoutState(), "no draws outside training").toEqual(state);
      const training = dropped.forward(batch, { training: true }).loss;
      expect(training).not.toBe(plain.forward(batch).loss);
      expect(dropped.getDropoutState()).not.toEqual(state);
      // the same state draws the same masks
      dropped.setDropoutState(state);
      expect(dropped.forward(batch, { training: true }).loss).toBe(training);
    } finally {
      plain.dispose();
      dropped.dispose();
    }
  });

  it("resume is bit-exact: 5 + 4 steps = 5 steps, checkpoint, load, 4 steps", () => {
    const options = { ...base, dropout: 0.4 };
    const whole = modelOn(kind, options);
    const expected = trainBits(whole, 9);
    whole.dispose();
    const first = modelOn(kind, options);
    const trainer = new Trainer(first, { optimizer: "adam", learningRate: 0.01, clipNorm: 1 });
    const head = trainBits(first, 5, trainer);
    expect(head.losses).toEqual(expected.losses.slice(0, 5));
    const bytes = saveCheckpoint(trainer);
    first.dispose();
    const loaded = loadCheckpoint(bytes, { backend: kind === "js" ? "js" : "wasm" });
    try {
      expect(loaded.model.config.dropout).toBe(0.4);
      const tail = trainBits(loaded.model, 4, loaded.trainer);
      expect(tail.losses).toEqual(expected.losses.slice(5));
      expect(tail.weights).toEqual(expected.weights);
    } finally {
      loaded.model.dispose();
    }
  });
});

describe("dropout: bad input", () => {
  it.each([[1, "[0, 1)"], [-0.1, "[0, 1)"], [Number.NaN, "[0, 1)"], ["0.5", "[0, 1)"]])("dropout %s is refused", (p, text) => {
    expect(() => new RNN({ ...base, backend: "js", dropout: p as number })).toThrow(`dropout must be a number in ${text}`);
  });
  it("the PRNG state: 4 words, not all 0, only for a model with dropout; a refused state changes nothing", () => {
    const model = new RNN({ ...base, backend: "js", dropout: 0.2 });
    const state = model.getDropoutState();
    for (const bad of [[1, 2, 3], [0, 0, 0, 0], [1, 2, 3, 2 ** 32], [1, 2, 3, -1]]) {
      expect(() => model.setDropoutState(bad)).toThrow(BpttError);
    }
    expect(model.getDropoutState()).toEqual(state);
    expect(() => new RNN({ ...base, backend: "js" }).getDropoutState()).toThrow("getDropoutState() is for models with dropout > 0");
    expect(() => model.forward(randomBatch(model, { batchSize: 1, seqLen: 2 }, 1), { training: 1 as unknown as boolean })).toThrow("options.training must be true or false");
  });
});
