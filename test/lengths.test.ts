/**
 * Variable-length batches (`batch.lengths`) beyond the PyTorch golden suite (golden-lengths.test.ts):
 *   - each sequence of a padded batch gives what it gives alone, unpadded (loss, outputs, final states;
 *     gradients and ‖∂E/∂h_t‖² add up over the sequences), for every cell, one and two directions, on every backend;
 *   - truncated BPTT over full-length streams: lengths all equal to seqLen change nothing, bit for bit,
 *     in trainSequence and in carried-state steps; shorter ones are refused there;
 *   - bad lengths throw a BpttError naming batch.lengths before anything changes.
 */
import { describe, expect, it } from "vitest";
import { BpttError, RNN, Trainer, type Batch, type RNNOptions } from "../src/index.js";
import { backendKinds } from "./helpers/backends.js";
import { bits, modelOn, randomBatch } from "./helpers/models.js";

const TOL = 2e-6; // the same float32 operations in another order of rows: |a − b| ≤ TOL · (1 + |b|)

function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= TOL * (1 + Math.abs(expected[i])))) expect.fail(`${what}[${i}] is ${actual[i]}; alone it is ${expected[i]}`);
  }
}

/** Sequence b of a batch-first batch, cut to its first n steps, with its slice of h0/c0. */
function single(model: RNN, batch: Batch, b: number, n: number): Batch {
  const { seqLen: T, batchSize: B } = batch, c = model.config;
  const I = c.input === "tokens" ? 1 : c.inputSize, O = c.loss === "cross-entropy" ? 1 : c.outputSize;
  const S = c.numLayers * (c.bidirectional ? 2 : 1), R = c.projSize > 0 ? c.projSize : c.hiddenSize;
  const rows = (src: ArrayLike<number>, w: number) => Array.from(src).slice(b * T * w, (b * T + n) * w);
  const state = (src: ArrayLike<number> | undefined, w: number) => src === undefined ? undefined : Array.from({ length: S * w }, (_, k) => src[(Math.floor(k / w) * B + b) * w + (k % w)]);
  return { batchSize: 1, seqLen: n, inputs: rows(batch.inputs, I), targets: rows(batch.targets!, O), h0: state(batch.h0, R), c0: state(batch.c0, c.hiddenSize) };
}

const shapes: [string, Omit<RNNOptions, "backend" | "wasmModule">][] = [];
for (const cell of ["rnn", "lstm", "gru"] as const) {
  shapes.push([`${cell}, 2 layers`, { cell, inputSize: 6, hiddenSize: 5, numLayers: 2, seed: 3 }]);
  shapes.push([`${cell}, bidirectional, 2 layers, dense`, { cell, input: "dense", inputSize: 3, hiddenSize: 5, outputSize: 2, loss: "mse", numLayers: 2, bidirectional: true, seed: 4 }]);
}
shapes.push(["lstm, bidirectional + projSize + embedding", { cell: "lstm", inputSize: 7, embeddingSize: 3, hiddenSize: 6, projSize: 2, numLayers: 2, bidirectional: true, seed: 5 }]);

/** Sequence b's (S, 1, w) slice of an (S, B, w) state. */
function stateOf(all: ArrayLike<number>, B: number, b: number, w: number): number[] {
  const S = all.length / (B * w);
  return Array.from({ length: S * w }, (_, k) => all[(Math.floor(k / w) * B + b) * w + (k % w)]);
}

describe.each(backendKinds)("lengths on %s", (kind) => {
  it.each(shapes)("%s: each padded sequence gives what it gives alone", (_name, options) => {
    const model = modelOn(kind, options);
    try {
      const B = 4, T = 5, lengths = [5, 2, 1, 4];
      const c = model.config, S = c.numLayers * (c.bidirectional ? 2 : 1), R = c.projSize > 0 ? c.projSize : c.hiddenSize, O = c.outputSize;
      const batch: Batch = { ...randomBatch(model, { batchSize: B, seqLen: T, withH0: true }, 8), lengths };
      if (model.hasCellState) batch.c0 = Float32Array.from({ length: S * B * c.hiddenSize }, (_, k) => 0.5 * Math.sin(k));
      const whole = model.forward(batch);
      model.zeroGrad();
      model.backward();
      const outputs = model.outputs(), hN = model.finalState(), cN = model.hasCellState ? model.finalCellState() : null;
      const gradients = model.gradients().map((g) => ({ name: g.name, data: g.data.slice() }));
      const norms = model.stepGradientNorms(), squares = new Float64Array(c.numLayers * T);
      model.zeroGrad(); // the sequences alone accumulate their gradients: their sum is the padded batch's
      let loss = 0, count = 0;
      for (let b = 0; b < B; b++) {
        const alone = model.forward(single(model, batch, b, lengths[b]));
        model.backward();
        const own = model.stepGradientNorms();
        for (let l = 0; l < c.numLayers; l++) for (let t = 0; t < lengths[b]; t++) squares[l * T + t] += own[l * lengths[b] + t] ** 2;
        loss += alone.loss;
        count += alone.count;
        expectNear(outputs.subarray(b * T * O, (b * T + lengths[b]) * O), model.outputs(), `outputs of sequence ${b}`);
        expect(outputs.subarray((b * T + lengths[b]) * O, (b + 1) * T * O).every((v) => v === 0), `padding outputs of sequence ${b} are 0`).toBe(true);
        expectNear(stateOf(hN, B, b, R), model.finalState(), `h_n of sequence ${b}`);
        if (cN !== null) expectNear(stateOf(cN, B, b, c.hiddenSize), model.finalCellState(), `c_n of sequence ${b}`);
      }
      expect(whole.count).toBe(count);
      expectNear([whole.loss], [loss], "loss");
      for (const g of gradients) expectNear(g.data, model.getGradient(g.name), `gradient of ${g.name}`);
      expectNear(norms, Array.from(squares, Math.sqrt), "stepGradientNorms");
    } finally {
      model.dispose();
    }
  });
});

describe.each(["js", "wasm"] as const)("lengths and truncated BPTT on %s", (backend) => {
  const options: RNNOptions = { cell: "lstm", inputSize: 6, hiddenSize: 5, numLayers: 2, bidirectional: true, backend, seed: 6 };
  const weights = (t: Trainer) => t.model.parameters().map((p) => bits(p.data));

  it("full lengths change nothing, bit for bit: trainSequence, and carried-state steps", () => {
    const plain = new Trainer(new RNN(options), { learningRate: 0.1 });
    const full = new Trainer(new RNN(options), { learningRate: 0.1 });
    const long = randomBatch(plain.model, { batchSize: 3, seqLen: 12 }, 9);
    const a = plain.trainSequence(long, { bpttSteps: 5 }).map((r) => r.lossSum);
    const b = full.trainSequence({ ...long, lengths: [12, 12, 12] }, { bpttSteps: 5 }).map((r) => r.lossSum);
    expect(b).toEqual(a);
    expect(weights(full)).toEqual(weights(plain));
    for (let s = 0; s < 3; s++) {
      const window = randomBatch(plain.model, { batchSize: 3, seqLen: 4 }, 20 + s);
      expect(full.step({ ...window, lengths: [4, 4, 4] }, { carryState: true }).lossSum).toBe(plain.step(window, { carryState: true }).lossSum);
    }
    expect(weights(full)).toEqual(weights(plain));
    expect(full.carriedState()!.state).toEqual(plain.carriedState()!.state);
  });

  it("a carried-state step with lengths carries each sequence's state at its own end", () => {
    const trainer = new Trainer(new RNN(options), { learningRate: 0.1 });
    trainer.step({ ...randomBatch(trainer.model, { batchSize: 3, seqLen: 4 }, 30), lengths: [4, 1, 3] }, { carryState: true });
    expect(trainer.carriedState()!.state).toEqual(trainer.model.finalState());
  });

  it("trainSequence refuses lengths shorter than the stream", () => {
    const trainer = new Trainer(new RNN(options), { learningRate: 0.1 });
    const long = randomBatch(trainer.model, { batchSize: 3, seqLen: 12 }, 9);
    expect(() => trainer.trainSequence({ ...long, lengths: [12, 7, 12] }, { bpttSteps: 5 })).toThrow("every length must be seqLen = 12");
  });
});

describe("lengths: bad input", () => {
  it.each([
    ["too few", [3, 3], "batch.lengths has length 2; expected batchSize = 3, one length per sequence = 3"],
    ["0", [3, 0, 2], "batch.lengths[1] is 0; expected an integer in [1, seqLen] = [1, 3]"],
    ["longer than seqLen", [3, 4, 2], "batch.lengths[1] is 4; expected an integer in [1, seqLen] = [1, 3]"],
    ["not an integer", [3, 1.5, 2], "batch.lengths[1] is 1.5; expected an integer in [1, seqLen] = [1, 3]"],
    ["NaN", [NaN, 1, 2], "batch.lengths[0] is NaN; expected an integer in [1, seqLen] = [1, 3]"],
    ["not an array", 3, "batch.lengths must be an array or typed array of 3 numbers"],
  ] as const)("%s: a BpttError naming batch.lengths, and nothing changes", (_what, lengths, message) => {
    const model = modelOn("js", { cell: "gru", inputSize: 4, hiddenSize: 3, bidirectional: true, seed: 1 });
    const batch = randomBatch(model, { batchSize: 3, seqLen: 3 }, 2);
    model.forward(batch);
    const before = { outputs: model.outputs(), state: model.finalState(), weights: model.parameters().map((p) => bits(p.data)) };
    const trainer = new Trainer(model, { learningRate: 0.1 });
    for (const call of [() => model.forward({ ...batch, lengths: lengths as unknown as number[] }), () => trainer.step({ ...batch, lengths: lengths as unknown as number[] })]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BpttError);
      expect((error as BpttError).code).toBe("INVALID_ARGUMENT");
      expect((error as BpttError).message).toContain(message);
    }
    expect(model.outputs()).toEqual(before.outputs);
    expect(model.finalState()).toEqual(before.state);
    expect(model.parameters().map((p) => bits(p.data))).toEqual(before.weights);
    expect(trainer.stepCount).toBe(0);
  });
});
