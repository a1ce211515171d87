/**
 * Invalid input, on every backend: each bad call throws a BpttError with the right `code` and a
 * message naming the argument, what was expected and what came — and leaves the model as it was:
 * parameters bit-identical, the last pass's outputs unchanged, and a valid forward afterwards gives
 * exactly the result it gave before (same code on the same numbers: compared bit for bit).
 */
import { describe, expect, it } from "vitest";
import { BpttError, RNN, Trainer, type Batch, type BpttErrorCode, type RNNOptions } from "../src/index.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { bits, modelOn, randomBatch, snapshot } from "./helpers/models.js";

type Case = [what: string, call: (model: RNN) => unknown, code: BpttErrorCode, message: RegExp];

const B = 2, T = 3, I = 5, H = 7, O = 3, L = 2;

/** The error a call throws (failing the test when it does not throw). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return expect.fail("expected the call to throw");
}

function expectBpttError(error: unknown, code: BpttErrorCode, message: RegExp): void {
  expect(error).toBeInstanceOf(BpttError);
  expect((error as BpttError).code).toBe(code);
  expect((error as BpttError).message).toMatch(message);
}

/** Run every case against one model that has a valid pass behind it, checking that nothing changed. */
function checkCases(make: () => RNN, valid: (model: RNN) => Batch, cases: Case[]): void {
  it.each(cases)("%s", (_, call, code, message) => {
    const model = make();
    const batch = valid(model);
    const loss = model.forward(batch).loss;
    const outputs = model.outputs(), state = model.finalState();
    const params = snapshot(model);

    expectBpttError(thrown(() => call(model)), code, message);

    for (const [name, p] of params) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
    expect(bits(model.outputs())).toEqual(bits(outputs)); // the last pass is still there
    expect(bits(model.finalState())).toEqual(bits(state));
    model.zeroGrad();
    model.backward(); // and backward still works on it
    expect(model.forward(batch).loss).toBe(loss);
    expect(bits(model.outputs())).toEqual(bits(outputs));
    model.dispose();
  });
}

describe.each(backendKinds)("bad input on %s", (kind) => {
  const tokensModel = () => modelOn(kind, { inputSize: I, hiddenSize: H, outputSize: O, numLayers: L, seed: 1 });
  const denseModel = () => modelOn(kind, { input: "dense", inputSize: I, hiddenSize: H, outputSize: O, numLayers: L, loss: "mse", seed: 2 });
  const tokens = (m: RNN) => randomBatch(m, { batchSize: B, seqLen: T, withH0: true }, 3);
  const dense = (m: RNN) => randomBatch(m, { batchSize: B, seqLen: T, withH0: true }, 4);
  /** The valid token batch with some fields replaced. */
  const withTokens = (m: RNN, change: Partial<Batch>): Batch => ({ ...tokens(m), ...change });
  const withDense = (m: RNN, change: Partial<Batch>): Batch => ({ ...dense(m), ...change });
  const replaced = (values: ArrayLike<number>, k: number, v: number) => Object.assign(Array.from(values), { [k]: v });

  describe("batches of a token, cross-entropy model", () => {
    checkCases(tokensModel, tokens, [
      ["wrong input length", (m) => m.forward(withTokens(m, { inputs: [0, 1, 2, 3, 4] })), "INVALID_ARGUMENT",
        /^batch\.inputs has length 5; expected batchSize × seqLen = 2 × 3 = 6$/],
      ["wrong targets length", (m) => m.forward(withTokens(m, { targets: [0, 1, 2, 0, 1, 2, 0] })), "INVALID_ARGUMENT",
        /^batch\.targets has length 7; expected batchSize × seqLen = 2 × 3 = 6$/],
      ["inputs not an array", (m) => m.forward(withTokens(m, { inputs: 7 as unknown as number[] })), "INVALID_ARGUMENT",
        /^batch\.inputs must be an array or typed array of 6 numbers \(batchSize × seqLen = 2 × 3\); got 7$/],
      ["a negative token id", (m) => m.forward(withTokens(m, { inputs: replaced(tokens(m).inputs, 4, -1) })), "INVALID_ARGUMENT",
        /^batch\.inputs\[4\] \(sequence 1, step 1\) is -1; expected a token id, an integer in \[0, 5\)$/],
      ["a token id = vocabulary size", (m) => m.forward(withTokens(m, { inputs: replaced(tokens(m).inputs, 0, 5) })), "INVALID_ARGUMENT",
        /^batch\.inputs\[0\] \(sequence 0, step 0\) is 5; expected a token id, an integer in \[0, 5\)$/],
      ["a non-integer token id", (m) => m.forward(withTokens(m, { inputs: replaced(tokens(m).inputs, 2, 1.5) })), "INVALID_ARGUMENT",
        /^batch\.inputs\[2\] \(sequence 0, step 2\) is 1\.5; expected a token id, an integer in \[0, 5\)$/],
      ["a target class = outputSize", (m) => m.forward(withTokens(m, { targets: replaced(tokens(m).targets!, 5, 3) })), "INVALID_ARGUMENT",
        /^batch\.targets\[5\] \(sequence 1, step 2\) is 3; expected a class id, an integer in \[0, 3\), or -100 for no target$/],
      ["a negative target class other than -100", (m) => m.forward(withTokens(m, { targets: replaced(tokens(m).targets!, 1, -1) })), "INVALID_ARGUMENT",
        /^batch\.targets\[1\] \(sequence 0, step 1\) is -1; expected a class id, an integer in \[0, 3\), or -100 for no target$/],
      ["NaN in h0", (m) => m.forward(withTokens(m, { h0: replaced(tokens(m).h0!, 9, NaN) })), "INVALID_ARGUMENT",
        /^batch\.h0\[9\] is NaN; expected a finite number$/],
      ["Infinity in h0", (m) => m.forward(withTokens(m, { h0: replaced(tokens(m).h0!, 0, -Infinity) })), "INVALID_ARGUMENT",
        /^batch\.h0\[0\] is -Infinity; expected a finite number$/],
      ["wrong h0 length", (m) => m.forward(withTokens(m, { h0: new Float32Array(B * H) })), "INVALID_ARGUMENT",
        /^batch\.h0 has length 14; expected numLayers × batchSize × hiddenSize = 2 × 2 × 7 = 28$/],
      ["a mask value of 0.5", (m) => m.forward(withTokens(m, { mask: [1, 1, 0.5, 1, 1, 1] })), "INVALID_ARGUMENT",
        /^batch\.mask\[2\] is 0\.5; expected 0 or 1$/],
      ["a mask value of 2", (m) => m.forward(withTokens(m, { mask: [1, 1, 1, 1, 2, 0] })), "INVALID_ARGUMENT",
        /^batch\.mask\[4\] is 2; expected 0 or 1$/],
      ["a batchSize of 0", (m) => m.forward(withTokens(m, { batchSize: 0 })), "INVALID_ARGUMENT",
        /^batch\.batchSize must be a positive integer; got 0$/],
      ["a trainer step on a bad batch", (m) => new Trainer(m, { learningRate: 0.1 }).step(withTokens(m, { inputs: replaced(tokens(m).inputs, 3, 9) })), "INVALID_ARGUMENT",
        /^batch\.inputs\[3\] \(sequence 1, step 0\) is 9; expected a token id, an integer in \[0, 5\)$/],
      ["a trainer step without targets", (m) => new Trainer(m, { learningRate: 0.1 }).step(withTokens(m, { targets: undefined })), "INVALID_ARGUMENT",
        /^batch\.targets is missing; training needs targets$/],
      ["unknown parameter name in setParameter", (m) => m.setParameter("rnn.weight_hh_l2", new Float32Array(49)), "INVALID_ARGUMENT",
        /^no parameter named "rnn\.weight_hh_l2"; the parameters are rnn\.weight_ih_l0, rnn\.weight_hh_l0, .*, head\.weight, head\.bias$/],
      ["unknown parameter name in getParameter", (m) => m.getParameter("weight"), "INVALID_ARGUMENT",
        /^no parameter named "weight"; the parameters are rnn\.weight_ih_l0, .*head\.bias$/],
      ["wrong length in setParameter", (m) => m.setParameter("rnn.weight_hh_l0", new Float32Array(48)), "INVALID_ARGUMENT",
        /^values for rnn\.weight_hh_l0 has length 48; expected \[7, 7\] = 49$/],
      ["NaN in setParameter", (m) => m.setParameter("head.bias", [0, NaN, 0]), "INVALID_ARGUMENT",
        /^values for head\.bias\[1\] is NaN; expected a finite number$/],
    ]);
    it("-100 targets are accepted (no target at that step)", () => {
      const model = tokensModel();
      const batch = withTokens(model, { targets: replaced(tokens(model).targets!, 2, -100) });
      expect(model.forward(batch).count).toBe(B * T - 1);
      model.dispose();
    });
  });

  describe("batches of a dense, MSE model", () => {
    checkCases(denseModel, dense, [
      ["wrong input length", (m) => m.forward(withDense(m, { inputs: new Float32Array(B * T * I - 1) })), "INVALID_ARGUMENT",
        /^batch\.inputs has length 29; expected batchSize × seqLen × inputSize = 2 × 3 × 5 = 30$/],
      ["wrong targets length", (m) => m.forward(withDense(m, { targets: new Float32Array(B * T) })), "INVALID_ARGUMENT",
        /^batch\.targets has length 6; expected batchSize × seqLen × outputSize = 2 × 3 × 3 = 18$/],
      ["NaN in dense inputs", (m) => m.forward(withDense(m, { inputs: replaced(dense(m).inputs, 17, NaN) })), "INVALID_ARGUMENT",
        /^batch\.inputs\[17\] is NaN; expected a finite number$/],
      ["Infinity in targets", (m) => m.forward(withDense(m, { targets: replaced(dense(m).targets!, 3, Infinity) })), "INVALID_ARGUMENT",
        /^batch\.targets\[3\] is Infinity; expected a finite number$/],
      ["Infinity in h0", (m) => m.forward(withDense(m, { h0: replaced(dense(m).h0!, 27, Infinity) })), "INVALID_ARGUMENT",
        /^batch\.h0\[27\] is Infinity; expected a finite number$/],
      ["a mask value of -1", (m) => m.forward(withDense(m, { mask: [1, 0, 1, -1, 1, 1] })), "INVALID_ARGUMENT",
        /^batch\.mask\[3\] is -1; expected 0 or 1$/],
    ]);
  });

  describe("call order", () => {
    it("backward before forward", () => {
      const model = tokensModel();
      const params = snapshot(model);
      expectBpttError(thrown(() => model.backward()), "INVALID_STATE", /^backward\(\) needs a forward\(\) first$/);
      for (const [name, p] of params) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
      expectBpttError(thrown(() => model.outputs()), "INVALID_STATE", /^outputs\(\) needs a forward\(\) first$/);
      model.dispose();
    });

    it("backward after a forward without targets", () => {
      const model = tokensModel();
      const batch = withTokens(model, { targets: undefined });
      const r = model.forward(batch);
      expect(r).toEqual({ loss: 0, count: 0, meanLoss: 0 });
      const outputs = model.outputs();
      const params = snapshot(model);
      expectBpttError(thrown(() => model.backward()), "INVALID_STATE", /^backward\(\) needs a forward\(\) with targets; the last forward\(\) had none$/);
      for (const [name, p] of params) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
      expect(bits(model.outputs())).toEqual(bits(outputs));
      model.dispose();
    });

    it("a trainer step on a non-object batch while a state is carried", () => {
      const model = tokensModel();
      const trainer = new Trainer(model, { learningRate: 0.1 });
      trainer.step(tokens(model), { carryState: true });
      const params = snapshot(model);
      for (const bad of [null, undefined, 42]) {
        expectBpttError(thrown(() => trainer.step(bad as unknown as Batch, { carryState: true })), "INVALID_ARGUMENT", /^batch\.targets is missing; training needs targets$/);
      }
      for (const [name, p] of params) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
      expect(trainer.stepCount).toBe(1);
      model.dispose();
    });

    it("a carried state of another batch size, and a bad batch never reaching the schedule", () => {
      const model = tokensModel();
      const calls: number[] = [];
      const trainer = new Trainer(model, { learningRate: 0.1, schedule: (step, lr) => (calls.push(step), lr) });
      trainer.step(tokens(model), { carryState: true });
      const params = snapshot(model);
      const wider = randomBatch(model, { batchSize: 3, seqLen: 2 }, 5);
      expectBpttError(thrown(() => trainer.step(wider, { carryState: true })), "INVALID_ARGUMENT",
        /^batch\.batchSize is 3 but the carried state holds \d+ sequences; call trainer\.resetState\(\) to start new sequences$/);
      const badToken = { ...tokens(model), inputs: Array.from(tokens(model).inputs as ArrayLike<number>, () => 999) };
      expectBpttError(thrown(() => trainer.step(badToken)), "INVALID_ARGUMENT", /^batch\.inputs\[0\] \(sequence 0, step 0\) is 999; expected a token id/);
      expect(calls).toEqual([1]);
      for (const [name, p] of params) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
      trainer.resetState();
      expect(trainer.step(wider, { carryState: true }).tokens).toBe(6);
      model.dispose();
    });

    it("step() before resetState()", () => {
      const model = tokensModel();
      expectBpttError(thrown(() => model.step([0, 1])), "INVALID_STATE", /^step\(\) needs resetState\(batchSize\) first$/);
      model.resetState(2);
      expect(model.step([0, 1]).length).toBe(2 * O);
      model.dispose();
    });
  });

  describe("constructor options", () => {
    const base = { inputSize: I, hiddenSize: H, backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) };
    it.each([
      ["hiddenSize 0", { hiddenSize: 0 }, /^hiddenSize must be a positive integer; got 0$/],
      ["hiddenSize 2.5", { hiddenSize: 2.5 }, /^hiddenSize must be a positive integer; got 2\.5$/],
      ['hiddenSize "7"', { hiddenSize: "7" }, /^hiddenSize must be a positive integer; got "7"$/],
      ["inputSize missing", { inputSize: undefined }, /^inputSize must be a positive integer; got undefined$/],
      ["numLayers 0", { numLayers: 0 }, /^numLayers must be a positive integer; got 0$/],
      ["outputSize -3", { outputSize: -3 }, /^outputSize must be a positive integer; got -3$/],
      ["nonlinearity sigmoid", { nonlinearity: "sigmoid" }, /^nonlinearity must be one of "tanh", "relu"; got "sigmoid"$/],
      ["loss nll", { loss: "nll" }, /^loss must be one of "cross-entropy", "mse"; got "nll"$/],
      ["init he", { init: "he" }, /^init must be one of "pytorch", "xavier", "orthogonal", "identity"; got "he"$/],
      ["backend gpu", { backend: "gpu" }, /^backend must be one of "wasm", "js"; got "gpu"$/],
      ["input onehot", { input: "onehot" }, /^input must be one of "tokens", "dense"; got "onehot"$/],
      ["seed -1", { seed: -1 }, /^seed must be an integer in \[0, 2\^32\); got -1$/],
    ] as const)("%s", (_, change, message) => {
      expectBpttError(thrown(() => new RNN({ ...base, ...change } as RNNOptions)), "INVALID_ARGUMENT", message);
    });
  });

  describe("trainer options", () => {
    it.each([
      ["learningRate 0", { learningRate: 0 }, /^learningRate must be a finite number in \(0, ∞\); got 0$/],
      ["learningRate -0.1", { learningRate: -0.1 }, /^learningRate must be a finite number in \(0, ∞\); got -0\.1$/],
      ["learningRate NaN", { learningRate: NaN }, /^learningRate must be a finite number in \(0, ∞\); got NaN$/],
      ["learningRate missing", {}, /^learningRate must be a finite number in \(0, ∞\); got undefined$/],
      ["clipNorm -1", { learningRate: 0.1, clipNorm: -1 }, /^clipNorm must be a finite number in \(0, ∞\); got -1$/],
      ["clipValue 0", { learningRate: 0.1, clipValue: 0 }, /^clipValue must be a finite number in \(0, ∞\); got 0$/],
      ["momentum 1.5", { learningRate: 0.1, momentum: 1.5 }, /^momentum must be a finite number in \[0, 1\]; got 1\.5$/],
    ] as const)("%s", (_, options, message) => {
      const model = tokensModel();
      const params = snapshot(model), bytes = model.memoryBytes;
      expectBpttError(thrown(() => new Trainer(model, options as never)), "INVALID_ARGUMENT", message);
      for (const [name, p] of params) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
      expect(model.memoryBytes).toBe(bytes);
      model.dispose();
    });
  });
});
