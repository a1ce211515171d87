/**
 * The data helpers of bptt/train on small cases worked out by hand: token streams cut into B
 * contiguous streams of T-step windows, examples padded, masked and shuffled into batches, and the
 * three kinds of targets. Then the property padding must have, against an independent oracle: a
 * padded batch's loss is the sum of its examples' losses, each run alone.
 */
import { describe, expect, test } from "vitest";
import { IGNORE_INDEX, RNN } from "../src/index.js";
import { ExampleBatches, TokenStreams, everyStepExample, lastStepExample, nextTokenExample, type Example } from "../src/train.js";
import { backendKinds } from "./helpers/backends.js";
import { expectError } from "./helpers/errors.js";
import { modelOn } from "./helpers/models.js";

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, k) => from + k);

describe("TokenStreams", () => {
  test("11 ids, B = 2, T = 3: S = ⌊10/2⌋ = 5 steps per stream, windows of 3 then 2 steps", () => {
    const s = new TokenStreams(ids(11, 10), { batchSize: 2, seqLen: 3 });
    expect([s.streamLength, s.batchesPerEpoch, s.stateful]).toEqual([5, 2, true]);
    // stream 0 reads 10..14 → 11..15; stream 1 reads 15..19 → 16..20
    const w0 = s.batch(0, 0);
    expect([w0.batchSize, w0.seqLen]).toEqual([2, 3]);
    expect(Array.from(w0.inputs)).toEqual([10, 11, 12, 15, 16, 17]);
    expect(Array.from(w0.targets!)).toEqual([11, 12, 13, 16, 17, 18]);
    const w1 = s.batch(1, 0);
    expect([w1.batchSize, w1.seqLen]).toEqual([2, 2]);
    expect(Array.from(w1.inputs)).toEqual([13, 14, 18, 19]);
    expect(Array.from(w1.targets!)).toEqual([14, 15, 19, 20]);
    // the next epoch reads the same windows
    expect(Array.from(s.batch(0, 3).inputs)).toEqual([10, 11, 12, 15, 16, 17]);
  });

  test("the ids left over after B·S + 1 are never a target; T ≥ S gives one window per epoch", () => {
    const s = new TokenStreams(ids(12), { batchSize: 3, seqLen: 8 }); // S = ⌊11/3⌋ = 3: ids 10, 11 unused
    expect([s.streamLength, s.batchesPerEpoch]).toEqual([3, 1]);
    const w = s.batch(0, 0);
    expect(w.seqLen).toBe(3);
    expect(Array.from(w.inputs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(w.targets!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("every target of the streams appears exactly once per epoch", () => {
    const s = new TokenStreams(ids(101), { batchSize: 4, seqLen: 7 });
    const seen: number[] = [];
    for (let k = 0; k < s.batchesPerEpoch; k++) seen.push(...Array.from(s.batch(k, 0).targets!));
    expect(seen.sort((a, b) => a - b)).toEqual(ids(100, 1));
  });

  test("bad input throws naming the argument", () => {
    expectError(() => new TokenStreams([0, 1], { batchSize: 2, seqLen: 3 }), "INVALID_ARGUMENT", "ids has length 2; expected at least batchSize + 1 = 3");
    expectError(() => new TokenStreams([0, 1.5, 2], { batchSize: 1, seqLen: 3 }), "INVALID_ARGUMENT", "ids[1] is 1.5; expected a token id");
    expectError(() => new TokenStreams([0, 1, 2], { batchSize: 1, seqLen: 0 }), "INVALID_ARGUMENT", "options.seqLen must be a positive integer; got 0");
    expectError(() => new TokenStreams(ids(5), { batchSize: 1, seqLen: 2 }).batch(2, 0), "INVALID_ARGUMENT", "k must be an integer in [0, 2); got 2");
  });
});

describe("targets of an example", () => {
  test("next token: inputs s[0..n−2], targets s[1..n−1]", () => {
    const e = nextTokenExample([5, 6, 7, 8]);
    expect([Array.from(e.inputs), Array.from(e.targets)]).toEqual([[5, 6, 7], [6, 7, 8]]);
    expectError(() => nextTokenExample([5]), "INVALID_ARGUMENT", "sequence has length 1; expected at least 2 ids");
  });

  test("last step, class id: −100 before the last step", () => {
    const e = lastStepExample([1, 2, 3], 4);
    expect(Array.from(e.targets)).toEqual([IGNORE_INDEX, IGNORE_INDEX, 4]);
    expect([e.steps, e.mask]).toEqual([3, undefined]);
  });

  test("last step, vector target of dense input (3 steps × 2 features, 2 outputs): zeros and mask 0 before the last step", () => {
    const e = lastStepExample([0.1, 1, 0.2, 0, 0.3, 1], [0.4, -1], { features: 2 });
    expect(e.steps).toBe(3);
    expect(Array.from(e.targets)).toEqual([0, 0, 0, 0, 0.4, -1]);
    expect(Array.from(e.mask!)).toEqual([0, 0, 1]);
    expectError(() => lastStepExample([0.1, 1, 0.2], [1], { features: 2 }), "INVALID_ARGUMENT", "inputs has length 3; expected steps × features, a positive multiple of features = 2");
    expectError(() => lastStepExample([1, 2], -1), "INVALID_ARGUMENT", "target is -1; expected a class id");
  });

  test("every step: targets of steps × outputs values", () => {
    expect(everyStepExample([1, 2], [3, 4]).steps).toBe(2);
    expect(everyStepExample([1, 2, 3, 4], [1, 2, 3, 4, 5, 6], { features: 2 }).steps).toBe(2);
    expectError(() => everyStepExample([1, 2, 3], [3, 4]), "INVALID_ARGUMENT", "targets has length 2; expected steps × outputs, a positive multiple of steps = 3");
  });
});

describe("ExampleBatches", () => {
  const three: Example[] = [nextTokenExample([1, 2, 3, 4]), nextTokenExample([5, 6]), nextTokenExample([7, 8, 9])];

  test("in order, B = 2: rows padded to the longest of their batch (input 0, target −100, mask 0); the last batch is smaller", () => {
    const batches = new ExampleBatches(three, { batchSize: 2, shuffle: false });
    expect([batches.batchesPerEpoch, batches.stateful, batches.inputWidth, batches.targetWidth]).toEqual([2, false, 1, 1]);
    const b0 = batches.batch(0, 0);
    expect([b0.batchSize, b0.seqLen]).toEqual([2, 3]);
    expect(Array.from(b0.inputs)).toEqual([1, 2, 3, 5, 0, 0]);
    expect(Array.from(b0.targets!)).toEqual([2, 3, 4, 6, IGNORE_INDEX, IGNORE_INDEX]);
    expect(Array.from(b0.mask!)).toEqual([1, 1, 1, 1, 0, 0]);
    const b1 = batches.batch(1, 0);
    expect([b1.batchSize, b1.seqLen]).toEqual([1, 2]);
    expect([Array.from(b1.inputs), Array.from(b1.targets!), Array.from(b1.mask!)]).toEqual([[7, 8], [8, 9], [1, 1]]);
    expect(new ExampleBatches(three, { batchSize: 2, dropLast: true }).batchesPerEpoch).toBe(1);
  });

  test("lengths: true gives each batch its examples' lengths; a bidirectional model then reads each padded row as the example alone", () => {
    const batches = new ExampleBatches(three, { batchSize: 2, shuffle: false, lengths: true });
    expect(Array.from(batches.batch(0, 0).lengths!)).toEqual([3, 1]);
    expect(Array.from(batches.batch(1, 0).lengths!)).toEqual([2]);
    expect(new ExampleBatches(three, { batchSize: 2, shuffle: false }).batch(0, 0).lengths).toBeUndefined();
    expectError(() => new ExampleBatches(three, { batchSize: 2, lengths: 1 as unknown as boolean }), "INVALID_ARGUMENT", "options.lengths must be a boolean; got 1");
    const model = new RNN({ cell: "gru", inputSize: 10, hiddenSize: 4, bidirectional: true, backend: "js", seed: 2 });
    const padded = model.forward(batches.batch(0, 0)).loss;
    const alone = model.forward(new ExampleBatches([three[1]], { batchSize: 1 }).batch(0, 0)).loss + model.forward(new ExampleBatches([three[0]], { batchSize: 1 }).batch(0, 0)).loss;
    expect(Math.abs(padded - alone)).toBeLessThan(1e-5 * alone);
    const unpacked = model.forward(new ExampleBatches(three, { batchSize: 2, shuffle: false }).batch(0, 0)).loss;
    expect(Math.abs(unpacked - alone)).toBeGreaterThan(1e-3); // without lengths the reverse direction starts in the padding
    model.dispose();
  });

  test("dense many-to-one examples keep their features and masks", () => {
    const examples = [lastStepExample([1, 2, 3, 4], [9], { features: 2 }), lastStepExample([5, 6], [8], { features: 2 })];
    const b = new ExampleBatches(examples, { batchSize: 2, shuffle: false }).batch(0, 0);
    expect([b.batchSize, b.seqLen]).toEqual([2, 2]);
    expect(Array.from(b.inputs)).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect(Array.from(b.targets!)).toEqual([0, 9, 8, IGNORE_INDEX]);
    expect(Array.from(b.mask!)).toEqual([0, 1, 1, 0]);
  });

  test("shuffled: each epoch a permutation, the same for the same seed, another for another epoch or seed", () => {
    const examples = ids(20).map((k) => everyStepExample([k], [k]));
    const orderOf = (b: ExampleBatches, epoch: number) => ids(b.batchesPerEpoch).flatMap((k) => Array.from(b.batch(k, epoch).inputs));
    const a = new ExampleBatches(examples, { batchSize: 3, seed: 7 });
    const e0 = orderOf(a, 0), e1 = orderOf(a, 1);
    expect([...e0].sort((x, y) => x - y)).toEqual(ids(20));
    expect([...e1].sort((x, y) => x - y)).toEqual(ids(20));
    expect(e0).not.toEqual(ids(20));
    expect(e1).not.toEqual(e0);
    expect(orderOf(new ExampleBatches(examples, { batchSize: 3, seed: 7 }), 1)).toEqual(e1);
    expect(orderOf(a, 0)).toEqual(e0); // back to an earlier epoch
    expect(orderOf(new ExampleBatches(examples, { batchSize: 3, seed: 8 }), 0)).not.toEqual(e0);
  });

  test("bad examples throw naming the example", () => {
    expectError(() => new ExampleBatches([], { batchSize: 2 }), "INVALID_ARGUMENT", "examples must be a non-empty array");
    expectError(() => new ExampleBatches([three[0], { inputs: [1, 2], targets: [1, 2, 3, 4] }], { batchSize: 2 }), "INVALID_ARGUMENT",
      "examples[1] has 2 target values per step; examples[0] has 1");
    expectError(() => new ExampleBatches([{ inputs: [1, 2, 3], targets: [1, 2], steps: 2 }], { batchSize: 1 }), "INVALID_ARGUMENT",
      "examples[0].inputs has length 3; expected a positive multiple of steps = 2");
    expectError(() => new ExampleBatches([{ inputs: [1], targets: [1], mask: [2] }], { batchSize: 1 }), "INVALID_ARGUMENT", "examples[0].mask[0] is 2; expected 0 or 1");
    expectError(() => new ExampleBatches(three, { batchSize: 4, dropLast: true }), "INVALID_ARGUMENT", "fewer than batchSize = 4, and dropLast leaves no batch");
  });
});

describe.each(backendKinds.filter((k) => k !== "wasm-debug"))("padding adds nothing to the loss (%s)", (kind) => {
  test("cross-entropy, next-token examples of lengths 5, 2, 4: padded batch = sum of the examples alone", () => {
    const model = modelOn(kind, { cell: "lstm", inputSize: 6, hiddenSize: 5, seed: 3 });
    const examples = [[0, 1, 2, 3, 4, 5], [5, 4, 3], [2, 2, 1, 0, 3]].map(nextTokenExample);
    const padded = model.forward(new ExampleBatches(examples, { batchSize: 3, shuffle: false }).batch(0, 0));
    const alone = examples.map((e) => model.forward({ batchSize: 1, seqLen: e.inputs.length, inputs: e.inputs, targets: e.targets }));
    expect(padded.count).toBe(5 + 2 + 4);
    expect(padded.loss).toBeCloseTo(alone.reduce((s, r) => s + r.loss, 0), 4);
    model.dispose();
  });

  test("MSE, many-to-one dense examples of 4, 1 and 3 steps: padded batch = sum of the examples alone", () => {
    const model = modelOn(kind, { cell: "gru", input: "dense", inputSize: 2, hiddenSize: 4, outputSize: 1, loss: "mse", seed: 5 });
    const examples = [
      lastStepExample([0.5, 1, -0.2, 0, 0.3, 0, 0.9, 1], [1.4], { features: 2 }),
      lastStepExample([0.1, 1], [0.1], { features: 2 }),
      lastStepExample([0.7, 0, 0.2, 1, 0.4, 1], [0.6], { features: 2 }),
    ];
    const padded = model.forward(new ExampleBatches(examples, { batchSize: 3, shuffle: false }).batch(0, 0));
    const alone = examples.map((e) => model.forward({ batchSize: 1, seqLen: e.steps!, inputs: e.inputs, targets: e.targets, mask: e.mask }));
    expect(padded.count).toBe(3);
    expect(padded.loss).toBeCloseTo(alone.reduce((s, r) => s + r.loss, 0), 5);
    model.dispose();
  });
});
