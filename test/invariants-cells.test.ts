/**
 * Invariants of the gated cells through the model, on every backend: a sequence run in windows
 * with (h, c) carried equals it run whole; streaming step() equals forward(); truncated BPTT
 * carries (h, c) from window to window; T = B = H = 1 works; options that do not apply to a cell
 * are refused with a clear message; forgetBias and the per-gate-block initialisation; save/load;
 * generate.
 *
 * Tolerance as test/invariants.test.ts: computations that run the same kernels on the same numbers
 * are compared exactly (bit patterns); a window of T steps against T windows of 1 step may take other
 * SIMD/tail paths in the input-side products, so |a − b| ≤ 1e-5·|b| + 1e-6 there.
 */
import { describe, expect, it } from "vitest";
import { BpttError, Trainer, generate, type Batch, type RNN } from "../src/index.js";
import { loadModel, saveModel } from "../src/io.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { bits, modelOn, randomBatch } from "./helpers/models.js";

const RTOL = 1e-5, ATOL = 1e-6;
const cells = ["lstm", "gru"] as const;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const bound = RTOL * Math.abs(expected[i]) + ATOL;
    if (!(Math.abs(actual[i] - expected[i]) <= bound)) expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Steps [from, to) of every sequence of a batch (inputs and targets). */
function slice(batch: Batch, from: number, to: number, perIn: number, perOut: number): Batch {
  const { batchSize: B, seqLen: T } = batch;
  const cut = (values: ArrayLike<number>, per: number) => {
    const out: number[] = [];
    for (let b = 0; b < B; b++) for (let k = (b * T + from) * per; k < (b * T + to) * per; k++) out.push(values[k]);
    return out;
  };
  return { batchSize: B, seqLen: to - from, inputs: cut(batch.inputs, perIn), targets: batch.targets && cut(batch.targets, perOut) };
}

/** A batch with h0 and, for LSTM, c0. */
function withStates(model: RNN, spec: { batchSize: number; seqLen: number; noTargets?: boolean }, seed: number): Batch {
  const batch = randomBatch(model, { ...spec, withH0: true }, seed);
  if (model.config.cell === "lstm") batch.c0 = Float32Array.from(batch.h0!, (v) => 1.5 - 3 * Math.abs(v));
  return batch;
}

describe.each(backendKinds)("gated-cell invariants on %s", (kind) => {
  describe.each(cells)("%s", (cell) => {
    it.each([[1, "tokens"], [2, "tokens"], [1, "dense"], [2, "dense"]] as const)(
      "%i layer(s), %s: windows with (h, c) carried equal the whole sequence", (numLayers, input) => {
        const options = { cell, input, inputSize: 5, hiddenSize: 6, outputSize: 4, numLayers, seed: 3 };
        const whole = modelOn(kind, options), windowed = modelOn(kind, options);
        const T = 12, B = 3, O = 4, perIn = input === "tokens" ? 1 : 5;
        const batch = withStates(whole, { batchSize: B, seqLen: T }, 7);
        const loss = whole.forward(batch).loss;
        const outputs = whole.outputs(), h = whole.finalState();
        let state: Float32Array = Float32Array.from(batch.h0!);
        let cellState: Float32Array | undefined = batch.c0 ? Float32Array.from(batch.c0) : undefined;
        const got = new Float32Array(B * T * O);
        let sum = 0;
        for (const [from, to] of [[0, 5], [5, 9], [9, 12]]) {
          sum += windowed.forward({ ...slice(batch, from, to, perIn, 1), h0: state, ...(cellState ? { c0: cellState } : {}) }).loss;
          const out = windowed.outputs();
          for (let b = 0; b < B; b++) got.set(out.subarray(b * (to - from) * O, (b + 1) * (to - from) * O), (b * T + from) * O);
          state = windowed.finalState();
          if (cell === "lstm") cellState = windowed.finalCellState();
        }
        expectClose(got, outputs, "outputs");
        expectClose(state, h, "h_T");
        if (cell === "lstm") expectClose(cellState!, whole.finalCellState(), "c_T");
        expect(Math.abs(sum - loss)).toBeLessThanOrEqual(RTOL * loss);
        whole.dispose();
        windowed.dispose();
      });

    it.each(["tokens", "dense"] as const)("streaming resetState/step equals forward (%s), and carries (h, c)", (input) => {
      const model = modelOn(kind, { cell, input, inputSize: 5, hiddenSize: 7, outputSize: 3, numLayers: 2, seed: 6 });
      const B = 3, T = 6, O = 3, I = 5;
      const batch = withStates(model, { batchSize: B, seqLen: T, noTargets: true }, 6);
      model.forward(batch);
      const outputs = model.outputs();
      model.resetState(B, batch.h0, batch.c0);
      for (let t = 0; t < T; t++) {
        const x: number[] = [];
        for (let b = 0; b < B; b++) {
          if (input === "tokens") x.push(batch.inputs[b * T + t]);
          else for (let i = 0; i < I; i++) x.push(batch.inputs[(b * T + t) * I + i]);
        }
        const expected: number[] = [];
        for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) expected.push(outputs[(b * T + t) * O + o]);
        expectClose(model.step(x), expected, `step ${t}`);
      }
      expectClose(model.getState(), model.finalState(), "h after the last step");
      if (cell === "lstm") expectClose(model.getCellState(), model.finalCellState(), "c after the last step");
      else expect(() => model.getCellState()).toThrow(/getCellState\(\) is for LSTM models/);
      model.dispose();
    });

    it("Trainer.trainSequence carries (h, c) across windows exactly as steps given the previous window's final state", () => {
      const options = { cell, inputSize: 5, hiddenSize: 6, numLayers: 2, seed: 8 };
      const a = modelOn(kind, options), b = modelOn(kind, options);
      const batch = withStates(a, { batchSize: 2, seqLen: 8 }, 9);
      const trainerA = new Trainer(a, { learningRate: 0.1 });
      const results = trainerA.trainSequence(batch, { bpttSteps: 4 });
      const trainerB = new Trainer(b, { learningRate: 0.1 });
      const first = trainerB.step({ ...slice(batch, 0, 4, 1, 1), h0: batch.h0, ...(batch.c0 ? { c0: batch.c0 } : {}) });
      const state = () => ({ h0: b.finalState(), ...(cell === "lstm" ? { c0: b.finalCellState() } : {}) });
      const second = trainerB.step({ ...slice(batch, 4, 8, 1, 1), ...state() });
      expect([results[0].lossSum, results[1].lossSum]).toEqual([first.lossSum, second.lossSum]);
      for (const p of a.parameters()) expect(bits(p.data), p.name).toEqual(bits(b.getParameter(p.name)));
      // a carryState step continues from the state the sequence ended in
      const next = slice(batch, 0, 4, 1, 1);
      const carried = trainerA.step(next, { carryState: true });
      expect(carried.lossSum).toBe(trainerB.step({ ...next, ...state() }).lossSum);
      a.dispose();
      b.dispose();
    });

    it("a model whose memory grew gives a fresh model's results bit for bit; the stream's (h, c) survives the growth", () => {
      const options = { cell, inputSize: 6, hiddenSize: 9, numLayers: 2, seed: 12 };
      const grown = modelOn(kind, options), fresh = modelOn(kind, options), reference = modelOn(kind, options);
      grown.resetState(2);
      reference.resetState(2);
      expect(bits(grown.step([1, 4]))).toEqual(bits(reference.step([1, 4])));
      grown.forward(randomBatch(grown, { batchSize: 1, seqLen: 2 }, 1));
      const small = grown.memoryBytes;
      const large = withStates(fresh, { batchSize: 8, seqLen: 40 }, 2);
      const run = (m: RNN, batch: Batch) => {
        const r = m.forward(batch);
        m.zeroGrad();
        m.backward();
        return {
          loss: r.loss, outputs: bits(m.outputs()), h: bits(m.finalState()), dh0: bits(m.initialStateGradient()),
          c: cell === "lstm" ? bits(m.finalCellState()) : null, dc0: cell === "lstm" ? bits(m.initialCellStateGradient()) : null,
          grads: m.gradients().map((g) => bits(g.data)),
        };
      };
      expect(run(grown, large)).toEqual(run(fresh, large));
      expect(grown.memoryBytes).toBeGreaterThan(small);
      const smaller = withStates(fresh, { batchSize: 2, seqLen: 3 }, 3);
      const another = modelOn(kind, options);
      expect(run(grown, smaller)).toEqual(run(another, smaller));
      expect(bits(grown.getState())).toEqual(bits(reference.getState()));
      if (cell === "lstm") expect(bits(grown.getCellState())).toEqual(bits(reference.getCellState()));
      expect(bits(grown.step([0, 3]))).toEqual(bits(reference.step([0, 3])));
      for (const m of [grown, fresh, reference, another]) m.dispose();
    });

    it("T = 1, B = 1, H = 1 works end to end", () => {
      const model = modelOn(kind, { cell, input: "dense", inputSize: 3, hiddenSize: 1, outputSize: 2, seed: 5 });
      const batch: Batch = { batchSize: 1, seqLen: 1, inputs: [0.5, -1, 2], targets: [1] };
      const r = model.forward(batch);
      expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
      model.zeroGrad();
      model.backward();
      expect(model.gradients().some((g) => g.data.some((v) => v !== 0))).toBe(true);
      expect(model.finalState().length).toBe(1);
      expect(model.initialStateGradient().length).toBe(1);
      if (cell === "lstm") expect(model.initialCellStateGradient().length).toBe(1);
      const before = model.forward(batch).loss;
      new Trainer(model, { learningRate: 0.1 }).step(batch);
      expect(model.forward(batch).loss).toBeLessThan(before);
      model.dispose();
    });

    it("save/load keeps the cell, the weights and the outputs bit for bit", () => {
      const model = modelOn(kind, { cell, inputSize: 6, hiddenSize: 5, numLayers: 2, seed: 10, ...(cell === "lstm" ? { forgetBias: 1 } : {}) });
      const batch = withStates(model, { batchSize: 2, seqLen: 4 }, 10);
      const loss = model.forward(batch).loss;
      const { model: loaded } = loadModel(saveModel(model), { backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) });
      expect(loaded.config).toEqual(model.config);
      expect(loaded.forward(batch).loss).toBe(loss);
      expect(bits(loaded.outputs())).toEqual(bits(model.outputs()));
      model.dispose();
      loaded.dispose();
    });

    it("generate works unchanged and is reproducible", () => {
      const model = modelOn(kind, { cell, inputSize: 7, hiddenSize: 9, numLayers: 2, seed: 11 });
      const one = generate(model, { prompt: [1, 2], length: 20, temperature: 0.9, topK: 4, seed: 3 });
      const two = generate(model, { prompt: [1, 2], length: 20, temperature: 0.9, topK: 4, seed: 3 });
      expect(one).toEqual(two);
      expect(one.length).toBe(20);
      expect(one.every((id) => Number.isInteger(id) && id >= 0 && id < 7)).toBe(true);
      model.dispose();
    });
  });

  it("options and states that do not apply to a cell are refused with a clear message", () => {
    const base = { inputSize: 4, hiddenSize: 3 };
    const error = (f: () => unknown) => {
      try { f(); } catch (e) { return e as BpttError; }
      throw new Error("expected a throw");
    };
    for (const cell of cells) {
      const e = error(() => modelOn(kind, { ...base, cell, nonlinearity: "tanh" }));
      expect(e).toBeInstanceOf(BpttError);
      expect(e.message).toBe(`nonlinearity applies to the vanilla cell only; cell "${cell}" has fixed gate functions (σ and tanh, as PyTorch's nn.${cell.toUpperCase()}): leave nonlinearity out`);
    }
    expect(error(() => modelOn(kind, { ...base, cell: "gru", forgetBias: 1 })).message)
      .toBe('forgetBias initialises the LSTM forget gate; cell "gru" has none: leave forgetBias out');
    expect(error(() => modelOn(kind, { ...base, forgetBias: 1 })).message)
      .toBe('forgetBias initialises the LSTM forget gate; cell "rnn" has none: leave forgetBias out');
    expect(error(() => modelOn(kind, { ...base, cell: "lstm", forgetBias: Number.NaN })).message).toBe("forgetBias must be a finite number; got NaN");
    expect(error(() => modelOn(kind, { ...base, cell: "cnn" as "gru" })).code).toBe("INVALID_ARGUMENT");
    expect(error(() => modelOn(kind, { ...base, cell: "lstm", bias: false, forgetBias: 1 })).message)
      .toBe("forgetBias sets the LSTM forget-gate bias, but bias is false: the layers have no biases");
    expect(error(() => modelOn(kind, { ...base, bias: "no" as unknown as boolean })).message).toBe('bias must be true or false; got "no"');

    for (const cell of ["rnn", "gru"] as const) {
      const model = modelOn(kind, { ...base, cell });
      const batch = { batchSize: 1, seqLen: 2, inputs: [0, 1], targets: [1, 2], c0: [0, 0, 0] };
      const e = error(() => model.forward(batch));
      expect(e.code).toBe("INVALID_ARGUMENT");
      expect(e.message).toBe(`batch.c0 is the LSTM cell state; this model's cell is "${cell}", whose only state is h0: leave c0 out`);
      expect(error(() => new Trainer(model, { learningRate: 0.1 }).step(batch)).message).toBe(e.message);
      model.forward({ ...batch, c0: undefined });
      expect(error(() => model.finalCellState()).message)
        .toBe(`finalCellState() is for LSTM models, whose state is (h, c); this model's cell is "${cell}", whose only state is h`);
      expect(error(() => model.initialCellStateGradient()).code).toBe("INVALID_STATE");
      expect(error(() => model.resetState(1, undefined, [0, 0, 0])).message)
        .toBe(`cellState is the LSTM cell state; this model's cell is "${cell}", whose only state is h`);
      model.dispose();
    }
    const lstm = modelOn(kind, { ...base, cell: "lstm", numLayers: 2 });
    expect(error(() => lstm.forward({ batchSize: 1, seqLen: 1, inputs: [0], c0: [0, 0, 0] })).message)
      .toBe("batch.c0 has length 3; expected numLayers × batchSize × hiddenSize = 2 × 1 × 3 = 6");
    const trainer = new Trainer(lstm, { learningRate: 0.1 });
    const batch = { batchSize: 1, seqLen: 1, inputs: [0], targets: [1] };
    trainer.step(batch, { carryState: true });
    expect(error(() => trainer.step({ ...batch, c0: new Array(6).fill(0) }, { carryState: true })).message)
      .toBe("batch.c0 and carryState are exclusive: the carried state is the initial state");
    lstm.dispose();
  });

  it("bias: false (PyTorch's bias=False): no bias tensors, nothing bias-like trained, saved and loaded as such", () => {
    for (const cell of ["rnn", ...cells] as const) {
      const model = modelOn(kind, { cell, inputSize: 4, hiddenSize: 5, numLayers: 2, bias: false, seed: 4 });
      expect(model.parameters().map((p) => p.name)).toEqual(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "head.weight", "head.bias"]);
      const batch = { batchSize: 2, seqLen: 3, inputs: [0, 1, 2, 3, 0, 1], targets: [1, 2, 3, 0, 1, 2] };
      // with zero inputs and h0 = 0, a layer without biases keeps h = 0: only the head's bias reaches the output
      const zeroModel = modelOn(kind, { cell, input: "dense", inputSize: 2, hiddenSize: 3, bias: false, seed: 4 });
      zeroModel.forward({ batchSize: 1, seqLen: 2, inputs: [0, 0, 0, 0] });
      expect(Array.from(zeroModel.finalState())).toEqual([0, 0, 0]);
      zeroModel.dispose();
      const trainer = new Trainer(model, { optimizer: "adamw", learningRate: 0.01, weightDecay: 0.5, clipNorm: 0.5 });
      for (let i = 0; i < 5; i++) trainer.step(batch);
      const saved = saveModel(model);
      const { model: loaded } = loadModel(saved, { backend: model.backendName, wasmModule: wasmModuleFor(kind) });
      expect(loaded.config.bias).toBe(false);
      expect(loaded.forward(batch).loss).toBe(model.forward(batch).loss);
      loaded.dispose();
      // the same weights under a configuration with biases: the file lacks them, a FORMAT error
      expect(() => loadModel(saved, { config: { cell, inputSize: 4, hiddenSize: 5, numLayers: 2 }, backend: model.backendName, wasmModule: wasmModuleFor(kind) }))
        .toThrow(/bias_ih_l0/);
      model.dispose();
    }
  });

  it("the cell-state accessors of a disposed LSTM throw DISPOSED", () => {
    const model = modelOn(kind, { cell: "lstm", inputSize: 4, hiddenSize: 3, seed: 1 });
    model.forward({ batchSize: 1, seqLen: 2, inputs: [0, 1], targets: [1, 2] });
    model.resetState(1);
    model.dispose();
    for (const [name, call] of [
      ["finalCellState", () => model.finalCellState()],
      ["initialCellStateGradient", () => model.initialCellStateGradient()],
      ["getCellState", () => model.getCellState()],
      ["resetState with a cell state", () => model.resetState(1, [0, 0, 0], [0, 0, 0])],
    ] as const) {
      expect(call, name).toThrow(BpttError);
      try { call(); } catch (e) { expect((e as BpttError).code, name).toBe("DISPOSED"); }
    }
  });

  it("forgetBias sets b_if in bias_ih and zeroes b_hf in bias_hh, leaving the other gate blocks to the init scheme", () => {
    const H = 5;
    const options = { cell: "lstm" as const, inputSize: 4, hiddenSize: H, numLayers: 2, seed: 12 };
    const plain = modelOn(kind, options), biased = modelOn(kind, { ...options, forgetBias: 1 });
    for (let l = 0; l < 2; l++) {
      const ih = biased.getParameter(`rnn.bias_ih_l${l}`), hh = biased.getParameter(`rnn.bias_hh_l${l}`);
      const ih0 = plain.getParameter(`rnn.bias_ih_l${l}`), hh0 = plain.getParameter(`rnn.bias_hh_l${l}`);
      expect(Array.from(ih.subarray(H, 2 * H))).toEqual(new Array(H).fill(1));
      expect(Array.from(hh.subarray(H, 2 * H))).toEqual(new Array(H).fill(0));
      for (const [a, b] of [[ih, ih0], [hh, hh0]]) {
        expect(bits(a.subarray(0, H))).toEqual(bits(b.subarray(0, H)));
        expect(bits(a.subarray(2 * H))).toEqual(bits(b.subarray(2 * H)));
      }
    }
    biased.initialise("xavier", 3); // re-initialising applies it again
    expect(Array.from(biased.getParameter("rnn.bias_ih_l1").subarray(H, 2 * H))).toEqual(new Array(H).fill(1));
    plain.dispose();
    biased.dispose();
  });

  it.each(cells)('"orthogonal" makes every H×H gate block of W_hh orthogonal (%s)', (cell) => {
    const H = 6, G = cell === "lstm" ? 4 : 3;
    const model = modelOn(kind, { cell, inputSize: 3, hiddenSize: H, init: "orthogonal", seed: 2 });
    const w = model.getParameter("rnn.weight_hh_l0");
    expect(w.length).toBe(G * H * H);
    for (let g = 0; g < G; g++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) {
          let dot = 0;
          for (let k = 0; k < H; k++) dot += w[g * H * H + i * H + k] * w[g * H * H + j * H + k];
          expect(Math.abs(dot - (i === j ? 1 : 0)), `block ${g} (W·Wᵀ)[${i},${j}]`).toBeLessThan(1e-5);
        }
      }
    }
    // PyTorch's shapes under PyTorch's names
    expect(model.parameters().map((p) => [p.name, p.shape])).toEqual([
      ["rnn.weight_ih_l0", [G * H, 3]], ["rnn.weight_hh_l0", [G * H, H]], ["rnn.bias_ih_l0", [G * H]], ["rnn.bias_hh_l0", [G * H]],
      ["head.weight", [3, H]], ["head.bias", [3]],
    ]);
    model.dispose();
  });
});
