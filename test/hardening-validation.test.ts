/**
 * Issue 10, item 10 (the library's part): arguments that were accepted or failed with a plain Error
 * now throw a BpttError INVALID_ARGUMENT naming the argument and what was expected, before any
 * state changes: a tokenizer whose size is not the model's, a PRNG state that is not 4 words or is
 * all zeros (xoshiro128** then yields 0 forever), generate's stopToken and seed, unknown RNN
 * options, and ranges open at infinity written as such.
 */
import { describe, expect, it } from "vitest";
import { CharTokenizer, generate, Random, RNN, Trainer, type RNNOptions } from "../src/index.js";
import { loadModel, saveCheckpoint, saveModel } from "../src/io.js";
import { expectError } from "./helpers/errors.js";
import { withMetadata } from "./helpers/files.js";

describe("a tokenizer whose size is not the model's is refused when saving", () => {
  const model = new RNN({ inputSize: 4, hiddenSize: 3, backend: "js", seed: 1 });
  const three = new CharTokenizer(["a", "b", "c"]);
  const four = new CharTokenizer(["a", "b", "c", "d"]);

  it("saveModel throws INVALID_ARGUMENT (and writes nothing); the right size saves and loads", () => {
    expectError(() => saveModel(model, { tokenizer: three }), "INVALID_ARGUMENT", "tokenizer has 3 characters but the model's inputSize is 4");
    const { model: loaded, tokenizer } = loadModel(saveModel(model, { tokenizer: four }), { backend: "js" });
    expect(tokenizer?.chars).toEqual(["a", "b", "c", "d"]);
    loaded.dispose();
  });

  it("saveCheckpoint throws the same", () => {
    const trainer = new Trainer(model, { learningRate: 0.1 });
    expectError(() => saveCheckpoint(trainer, { tokenizer: three }), "INVALID_ARGUMENT", "tokenizer has 3 characters but the model's inputSize is 4");
  });

  it("a dense-input model's tokenizer is its output classes", () => {
    const dense = new RNN({ input: "dense", inputSize: 2, outputSize: 3, hiddenSize: 2, backend: "js" });
    expectError(() => saveModel(dense, { tokenizer: four }), "INVALID_ARGUMENT", "tokenizer has 4 characters but the model's outputSize is 3");
    expect(saveModel(dense, { tokenizer: three }).length).toBeGreaterThan(0);
    dense.dispose();
  });
});

describe("Random.setState", () => {
  it.each([
    ["two words", [1, 2], /^state must be 4 integers in \[0, 2\^32\), not all 0; got \[1,2\]$/],
    ["all zeros (the generator would yield 0 forever)", [0, 0, 0, 0], /not all 0; got \[0,0,0,0\]$/],
    ["a negative word", [1, -2, 3, 4], /got \[1,-2,3,4\]$/],
    ["a fraction", [1, 2.5, 3, 4], /got \[1,2\.5,3,4\]$/],
    ["a word ≥ 2^32", [1, 2 ** 32, 3, 4], /got \[1,4294967296,3,4\]$/],
    ["not an array", "1,2,3,4", /got "1,2,3,4"$/],
  ])("refuses %s with INVALID_ARGUMENT and keeps its state", (_, state, message) => {
    const rng = new Random(7);
    const before = rng.getState();
    expectError(() => rng.setState(state as number[]), "INVALID_ARGUMENT", message);
    expect(rng.getState()).toEqual(before);
  });

  it("accepts a state it gave and then draws what the original draws", () => {
    const a = new Random(7);
    a.next();
    const b = new Random(0);
    b.setState(a.getState());
    expect([b.nextUint32(), b.nextUint32()]).toEqual([a.nextUint32(), a.nextUint32()]);
  });
});

describe("generate validates stopToken and seed", () => {
  const model = new RNN({ inputSize: 5, hiddenSize: 3, backend: "js", seed: 2 });
  it.each([
    ["stopToken 5 (outputSize 5)", { stopToken: 5 }, /^stopToken is 5; expected a token id in \[0, 5\)$/],
    ["stopToken -1", { stopToken: -1 }, /^stopToken is -1; expected a token id in \[0, 5\)$/],
    ["stopToken 1.5", { stopToken: 1.5 }, /^stopToken is 1\.5; expected a token id in \[0, 5\)$/],
    ["seed -1", { seed: -1 }, /^seed must be an integer in \[0, 2\^32\); got -1$/],
    ["seed 2^32", { seed: 2 ** 32 }, /^seed must be an integer in \[0, 2\^32\); got 4294967296$/],
    ["seed 0.5", { seed: 0.5 }, /^seed must be an integer in \[0, 2\^32\); got 0\.5$/],
  ])("%s is INVALID_ARGUMENT", (_, extra, message) => {
    expectError(() => generate(model, { prompt: [1], length: 3, ...extra }), "INVALID_ARGUMENT", message);
  });

  it("a valid stopToken still stops, and a Random still serves as the seed", () => {
    const out = generate(model, { prompt: [1], length: 200, stopToken: 2, seed: 4 });
    expect(out.indexOf(2)).toBe(out.length - 1);
    expect(generate(model, { prompt: [1], length: 5, seed: new Random(9) })).toHaveLength(5);
  });
});

describe("unknown RNN options are refused at run time", () => {
  it.each(["proj_size", "hidden_size", "batchFirst"])("%s", (key) => {
    const options = { inputSize: 3, hiddenSize: 2, backend: "js", [key]: 0.2 } as unknown as RNNOptions;
    expectError(() => new RNN(options), "INVALID_ARGUMENT", new RegExp(`^unknown RNN option "${key}"; the options are cell, bias, forgetBias, input, inputSize, embeddingSize, dropout, projSize, bidirectional, hiddenSize, outputSize, numLayers, nonlinearity, loss, init, seed, backend, wasmModule$`));
  });

  it("every documented option is accepted", () => {
    const model = new RNN({
      cell: "lstm", input: "tokens", inputSize: 3, hiddenSize: 2, outputSize: 3, numLayers: 1, bias: true, forgetBias: 1,
      loss: "cross-entropy", init: "xavier", seed: 1, backend: "js", wasmModule: undefined, nonlinearity: undefined,
      embeddingSize: 2, dropout: 0.1, projSize: 1, bidirectional: true,
    });
    expect(model.parameterCount).toBeGreaterThan(0);
    model.dispose();
  });

  it("a model file's configuration with an unknown key is a FORMAT error", () => {
    const model = new RNN({ inputSize: 3, hiddenSize: 2, backend: "js" });
    const bytes = withMetadata(saveModel(model), (meta) => (meta.config = JSON.stringify({ ...JSON.parse(meta.config), proj_size: 1 })));
    expectError(() => loadModel(bytes, { backend: "js" }), "FORMAT", /__metadata__\.config is invalid: unknown RNN option "proj_size"/);
  });
});

describe("ranges open at infinity read as open", () => {
  it("learningRate Infinity: (0, ∞), not (0, Infinity]", () => {
    const model = new RNN({ inputSize: 3, hiddenSize: 2, backend: "js" });
    expectError(() => new Trainer(model, { learningRate: Infinity }), "INVALID_ARGUMENT", /^learningRate must be a finite number in \(0, ∞\); got Infinity$/);
    expectError(() => new Trainer(model, { learningRate: 0.1, weightDecay: -1 }), "INVALID_ARGUMENT", /^weightDecay must be a finite number in \[0, ∞\); got -1$/);
  });

  it("no bounds at all: any finite number", async () => {
    const { LearningRateSchedule } = await import("../src/schedules.js");
    expectError(() => new LearningRateSchedule("constant", 0.1).observe(NaN), "INVALID_ARGUMENT", /^metric must be a finite number; got NaN$/);
  });
});
