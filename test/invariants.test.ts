/**
 * Invariants of the model, on every backend: windows with the state carried equal the whole
 * sequence; degenerate sizes work; models never share state; parameter views are live; streaming
 * equals the window forward; dispose is final and frees memory; arena growth changes no result;
 * initialisation schemes have their stated properties and are the same on every backend.
 *
 * Tolerances. Comparisons between two computations that run the same kernels on the same numbers
 * in the same order (same backend) are exact (`toEqual` on bit patterns). Where the kernel calls are
 * shaped differently — a window of T steps against T windows of 1 step, whose input-side matrix
 * products have other row counts and so may take other SIMD/tail paths — results may differ by
 * float32 roundings: |a − b| ≤ 1e-5·|b| + 1e-6 (a few hundred roundoffs of u ≈ 6e-8 relative, with
 * an absolute term for values near 0).
 */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { BpttError, RNN, Random, Trainer, type Batch } from "../src/index.js";
import { backendKinds } from "./helpers/backends.js";
import { bits, modelOn, randomBatch, snapshot } from "./helpers/models.js";

const RTOL = 1e-5, ATOL = 1e-6;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (RTOL * Math.abs(expected[i]) + ATOL);
    if (!(excess <= worst)) { worst = excess; at = i; }
  }
  expect(at, at < 0 ? what : `${what}: element ${at} is ${actual[at]}, expected ${expected[at]}`).toBe(-1);
}

/** The sub-batch of steps [from, to) of every sequence of a batch (inputs, targets; no h0). */
function slice(batch: Batch, from: number, to: number, featuresIn: number, featuresOut: number): Batch {
  const { batchSize: B, seqLen: T } = batch;
  const cut = (values: ArrayLike<number>, per: number) => {
    const out: number[] = [];
    for (let b = 0; b < B; b++) for (let k = (b * T + from) * per; k < (b * T + to) * per; k++) out.push(values[k]);
    return out;
  };
  return { batchSize: B, seqLen: to - from, inputs: cut(batch.inputs, featuresIn), targets: batch.targets && cut(batch.targets, featuresOut) };
}

/** The garbage collector: Node's global.gc when run with --expose-gc, else obtained through V8's flag. */
function collector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe.each(backendKinds)("invariants on %s", (kind) => {
  describe.each([1, 2])("%i layer(s): a sequence run in windows with the state carried equals it run whole", (numLayers) => {
    it.each(["tokens", "dense"] as const)("%s input", (input) => {
      const options = { input, inputSize: 5, hiddenSize: 6, outputSize: 4, numLayers, seed: 3 };
      const model = modelOn(kind, options);
      const T = 12, B = 3, H = 6, O = 4, perIn = input === "tokens" ? 1 : 5;
      const whole = randomBatch(model, { batchSize: B, seqLen: T, withH0: true }, 7);
      const result = model.forward(whole);
      const wholeOutputs = model.outputs(), wholeFinal = model.finalState();

      const windowed = modelOn(kind, options);
      let state: Float32Array = Float32Array.from(whole.h0!);
      const outputs = new Float32Array(B * T * O);
      let loss = 0;
      for (const [from, to] of [[0, 5], [5, 9], [9, 12]]) {
        const win = { ...slice(whole, from, to, perIn, 1), h0: state };
        loss += windowed.forward(win).loss;
        const out = windowed.outputs(); // (B, to − from, O)
        for (let b = 0; b < B; b++) outputs.set(out.subarray(b * (to - from) * O, (b + 1) * (to - from) * O), (b * T + from) * O);
        state = windowed.finalState();
      }
      expectClose(outputs, wholeOutputs, "outputs");
      expectClose(state, wholeFinal, "final state");
      expect(state.length).toBe(numLayers * B * H);
      expect(Math.abs(loss - result.loss)).toBeLessThanOrEqual(RTOL * result.loss);
      model.dispose();
      windowed.dispose();
    });
  });

  it("T = 1, B = 1, H = 1 works end to end: forward, backward, a trainer step", () => {
    for (const input of ["tokens", "dense"] as const) {
      const model = modelOn(kind, { input, inputSize: 3, hiddenSize: 1, outputSize: 2, seed: 5 });
      const batch: Batch = { batchSize: 1, seqLen: 1, inputs: input === "tokens" ? [2] : [0.5, -1, 2], targets: [1] };
      const r = model.forward(batch);
      expect(r.count).toBe(1);
      expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
      expect(model.outputs().length).toBe(2);
      expect(model.finalState().length).toBe(1);
      model.zeroGrad();
      model.backward();
      const grads = model.gradients();
      for (const g of grads) for (const v of g.data) expect(Number.isFinite(v), g.name).toBe(true);
      expect(grads.some((g) => g.data.some((v) => v !== 0))).toBe(true);
      expect(model.initialStateGradient().length).toBe(1);
      expect(model.stepGradientNorms().length).toBe(1);

      const before = snapshot(model);
      const gradient = new Map(grads.map((g) => [g.name, g.data.slice()]));
      const step = new Trainer(model, { learningRate: 0.1 }).step(batch);
      expect(step.loss).toBe(r.loss);
      // plain SGD: θ ← θ − η·g, one float32 rounding per element
      for (const [name, p] of before) expectClose(model.getParameter(name), p.map((v, i) => v - 0.1 * gradient.get(name)![i]), name);
      expect(model.forward(batch).loss).toBeLessThan(r.loss);
      model.dispose();
    }
  });

  it("W_hh is packed for the B = 1 recurrences only on a backend whose kernels read the copy (Wasm), never on js", () => {
    for (const cell of ["rnn", "lstm"] as const) {
      const model = modelOn(kind, { cell, inputSize: 5, hiddenSize: 6, seed: 2 });
      model.forward({ batchSize: 1, seqLen: 3, inputs: [0, 1, 2], targets: [1, 2, 3] });
      const { backend, arena } = model.internals();
      expect(backend.readsPackedWeights).toBe(kind !== "js");
      expect(arena.has("packedWhh"), cell).toBe(kind !== "js");
      model.dispose();
    }
  });

  it("two models never share state", () => {
    const options = { inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 9 };
    const a = modelOn(kind, options), b = modelOn(kind, options);
    const batchA = randomBatch(a, { batchSize: 2, seqLen: 4 }, 1);
    const batchB = randomBatch(b, { batchSize: 3, seqLen: 5, withH0: true }, 2);

    // separate runs on fresh models are the reference
    const refA = modelOn(kind, options), refB = modelOn(kind, options);
    const lossA = refA.forward(batchA).loss, outA = refA.outputs(), stateA = refA.finalState();
    const lossB = refB.forward(batchB).loss, outB = refB.outputs(), stateB = refB.finalState();
    // interleaved: b's forward between a's forward and a's reads (same kernels on the same data: exact)
    expect(a.forward(batchA).loss).toBe(lossA);
    expect(b.forward(batchB).loss).toBe(lossB);
    expect(bits(a.outputs())).toEqual(bits(outA));
    expect(bits(a.finalState())).toEqual(bits(stateA));
    expect(bits(b.outputs())).toEqual(bits(outB));
    expect(bits(b.finalState())).toEqual(bits(stateB));

    // training a leaves b's parameters, gradients and last pass untouched
    b.zeroGrad();
    b.backward();
    const paramsB = snapshot(b);
    const gradsB = b.gradients().map((g) => g.data.slice());
    const trainer = new Trainer(a, { learningRate: 0.5, momentum: 0.9 });
    for (let s = 0; s < 3; s++) trainer.step(batchA);
    expect(bits(a.getParameter("head.weight"))).not.toEqual(bits(refA.getParameter("head.weight")));
    for (const [name, p] of paramsB) expect(bits(b.getParameter(name)), name).toEqual(bits(p));
    b.gradients().forEach((g, i) => expect(bits(g.data), g.name).toEqual(bits(gradsB[i])));
    expect(bits(b.outputs())).toEqual(bits(outB));
    for (const m of [a, b, refA, refB]) m.dispose();
  });

  it("parameters() views are live, and setParameter/getParameter round-trip", () => {
    const model = modelOn(kind, { inputSize: 5, hiddenSize: 7, outputSize: 3, seed: 4 });
    const batch = randomBatch(model, { batchSize: 2, seqLen: 3 }, 4);
    const before = model.forward(batch).loss;
    const head = model.parameters().find((p) => p.name === "head.bias")!;
    expect(head.shape).toEqual([3]);
    const original = head.data[1];
    head.data[1] = original + 2;
    expect(model.getParameter("head.bias")[1]).toBe(head.data[1]);
    expect(model.forward(batch).loss).not.toBe(before);
    head.data[1] = original;
    expect(model.forward(batch).loss).toBe(before);

    const rng = new Random(8);
    for (const { name, data } of model.parameters()) {
      const values = Float32Array.from(data, () => rng.normal());
      model.setParameter(name, values);
      expect(bits(model.getParameter(name)), name).toEqual(bits(values));
      // getParameter is a copy: writing into it changes nothing
      model.getParameter(name).fill(0);
      expect(bits(model.getParameter(name)), name).toEqual(bits(values));
    }
    model.setParameter("rnn.bias_hh_l0", Array.from({ length: 7 }, (_, i) => i / 8)); // plain arrays too
    expect(Array.from(model.getParameter("rnn.bias_hh_l0"))).toEqual(Array.from({ length: 7 }, (_, i) => i / 8));
    model.dispose();
  });

  it.each(["tokens", "dense"] as const)("streaming resetState/step equals forward over the same sequence (%s)", (input) => {
    const model = modelOn(kind, { input, inputSize: 5, hiddenSize: 7, outputSize: 3, numLayers: 2, seed: 6 });
    const B = 3, T = 6, O = 3, I = 5;
    const batch = randomBatch(model, { batchSize: B, seqLen: T, withH0: true, noTargets: true }, 6);
    model.forward(batch);
    const outputs = model.outputs(), final = model.finalState();
    model.resetState(B, batch.h0);
    for (let t = 0; t < T; t++) {
      const x: number[] = [];
      for (let b = 0; b < B; b++) {
        if (input === "tokens") x.push(batch.inputs[b * T + t]);
        else for (let i = 0; i < I; i++) x.push(batch.inputs[(b * T + t) * I + i]);
      }
      const y = model.step(x); // (B, O)
      const expected: number[] = [];
      for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) expected.push(outputs[(b * T + t) * O + o]);
      expectClose(y, expected, `step ${t}`);
    }
    expectClose(model.getState(), final, "state after the last step");
    model.dispose();
  });

  it("the streaming state survives a window forward that grows the memory", () => {
    const options = { inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 14 };
    const model = modelOn(kind, options), reference = modelOn(kind, options);
    model.forward(randomBatch(model, { batchSize: 1, seqLen: 1 }, 1)); // the window block comes first
    const ids = [[1, 4], [0, 3], [2, 2], [4, 0]];
    model.resetState(2);
    reference.resetState(2);
    for (const x of ids.slice(0, 2)) expect(bits(model.step(x))).toEqual(bits(reference.step(x)));
    const bytes = model.memoryBytes;
    model.forward(randomBatch(model, { batchSize: 16, seqLen: 64 }, 2)); // grows the window, moves the stream block
    expect(model.memoryBytes).toBeGreaterThan(bytes);
    expect(bits(model.getState())).toEqual(bits(reference.getState()));
    for (const x of ids.slice(2)) expect(bits(model.step(x))).toEqual(bits(reference.step(x)));
    model.dispose();
    reference.dispose();
  });

  it("dispose() makes every later call throw BpttError DISPOSED", () => {
    const model = modelOn(kind, { inputSize: 4, hiddenSize: 3, seed: 1 });
    const batch = randomBatch(model, { batchSize: 1, seqLen: 2 }, 1);
    const trainer = new Trainer(model, { learningRate: 0.1 });
    model.forward(batch);
    model.resetState(1);
    model.dispose();
    model.dispose(); // a second dispose is harmless
    expect(model.isDisposed).toBe(true);
    const calls: [string, () => unknown][] = [
      ["forward", () => model.forward(batch)],
      ["backward", () => model.backward()],
      ["zeroGrad", () => model.zeroGrad()],
      ["outputs", () => model.outputs()],
      ["finalState", () => model.finalState()],
      ["initialStateGradient", () => model.initialStateGradient()],
      ["stepGradientNorms", () => model.stepGradientNorms()],
      ["parameters", () => model.parameters()],
      ["gradients", () => model.gradients()],
      ["getParameter", () => model.getParameter("head.bias")],
      ["getGradient", () => model.getGradient("head.bias")],
      ["setParameter", () => model.setParameter("head.bias", [0, 0, 0, 0])],
      ["initialise", () => model.initialise("pytorch", 1)],
      ["resetState", () => model.resetState(1)],
      ["step", () => model.step(0)],
      ["getState", () => model.getState()],
      ["trainer.step", () => trainer.step(batch)],
    ];
    for (const [name, call] of calls) {
      let error: unknown;
      try { call(); } catch (e) { error = e; }
      expect(error, name).toBeInstanceOf(BpttError);
      expect((error as BpttError).code, name).toBe("DISPOSED");
    }
  });

  it("creating and disposing 2,000 models leaves memory flat", () => {
    // global.gc when Node runs with --expose-gc; otherwise V8's flag exposes it at run time, so the
    // measurement always follows a full collection and the bound can be tight-ish
    const gc = collector();
    const cycle = (n: number) => {
      for (let k = 0; k < n; k++) {
        const model = modelOn(kind, { inputSize: 16, hiddenSize: 32, seed: k });
        model.forward({ batchSize: 16, seqLen: 16, inputs: new Array(256).fill(1), targets: new Array(256).fill(2) }); // grows the arena to ~200 KiB
        model.dispose();
      }
    };
    cycle(200); // warm-up: compiled code, caches
    gc(); gc();
    const before = process.memoryUsage();
    const started = performance.now();
    cycle(2000);
    gc(); gc();
    const after = process.memoryUsage();
    expect(performance.now() - started).toBeLessThan(15_000);
    // each model writes ~128 KiB of memory: 2,000 models kept alive add ≥ 250 MB of rss (measured:
    // 256 MB on js, 275 MB on Wasm) against 1–3 MB when disposed and dropped
    const MB = 1 << 20;
    expect((after.rss - before.rss) / MB, "rss growth (MB)").toBeLessThan(64);
    expect((after.heapUsed - before.heapUsed) / MB, "heap growth (MB)").toBeLessThan(16);
    expect((after.arrayBuffers - before.arrayBuffers) / MB, "ArrayBuffer growth (MB)").toBeLessThan(16);
  });

  it("a model whose memory grew gives the results of a fresh model", () => {
    const options = { inputSize: 6, hiddenSize: 9, numLayers: 2, seed: 12 };
    const grown = modelOn(kind, options);
    grown.forward(randomBatch(grown, { batchSize: 1, seqLen: 2 }, 1));
    grown.zeroGrad();
    grown.backward();
    const small = grown.memoryBytes;
    const fresh = modelOn(kind, options);
    const large = randomBatch(fresh, { batchSize: 8, seqLen: 40, withH0: true }, 2);
    const results = [grown, fresh].map((m) => {
      const r = m.forward(large);
      m.zeroGrad();
      m.backward();
      return { loss: r.loss, outputs: m.outputs(), state: m.finalState(), dh0: m.initialStateGradient(), grads: m.gradients().map((g) => g.data.slice()) };
    });
    expect(grown.memoryBytes).toBeGreaterThan(small);
    // same kernels on the same numbers: exactly equal
    const [g, f] = results;
    expect(g.loss).toBe(f.loss);
    expect(bits(g.outputs)).toEqual(bits(f.outputs));
    expect(bits(g.state)).toEqual(bits(f.state));
    expect(bits(g.dh0)).toEqual(bits(f.dh0));
    g.grads.forEach((grad, i) => expect(bits(grad)).toEqual(bits(f.grads[i])));
    // and a smaller window after the growth still matches a fresh model
    const smaller = randomBatch(fresh, { batchSize: 2, seqLen: 3 }, 3);
    expect(grown.forward(smaller).loss).toBe(modelOn(kind, options).forward(smaller).loss);
    grown.dispose();
    fresh.dispose();
  });

  describe("initialisation", () => {
    const H = 7;
    const whh = (m: RNN, l: number) => m.getParameter(`rnn.weight_hh_l${l}`);

    it('"orthogonal" gives W_hh with W·Wᵀ = I (to 1e-5)', () => {
      const model = modelOn(kind, { inputSize: 5, hiddenSize: H, numLayers: 2, init: "orthogonal", seed: 2 });
      for (let l = 0; l < 2; l++) {
        const w = whh(model, l);
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < H; j++) {
            let dot = 0;
            for (let k = 0; k < H; k++) dot += w[i * H + k] * w[j * H + k];
            expect(Math.abs(dot - (i === j ? 1 : 0)), `layer ${l} (W·Wᵀ)[${i},${j}]`).toBeLessThan(1e-5);
          }
        }
      }
      model.dispose();
    });

    it('"identity" gives W_hh = I and zero biases', () => {
      const model = modelOn(kind, { inputSize: 5, hiddenSize: H, numLayers: 2, nonlinearity: "relu", init: "identity", seed: 2 });
      const eye = Array.from({ length: H * H }, (_, k) => (Math.floor(k / H) === k % H ? 1 : 0));
      for (let l = 0; l < 2; l++) {
        expect(Array.from(whh(model, l))).toEqual(eye);
        expect(Array.from(model.getParameter(`rnn.bias_hh_l${l}`))).toEqual(new Array(H).fill(0));
      }
      model.dispose();
    });

    it('"pytorch" draws every parameter within ±1/√H', () => {
      const model = modelOn(kind, { inputSize: 5, hiddenSize: H, outputSize: 4, numLayers: 2, init: "pytorch", seed: 2 });
      const bound = 1 / Math.sqrt(H);
      for (const { name, data } of model.parameters()) {
        for (const v of data) expect(Math.abs(v), name).toBeLessThanOrEqual(bound);
        // and spread over the range, not a constant
        expect(Math.max(...data) - Math.min(...data), name).toBeGreaterThan(bound / 4);
      }
      model.dispose();
    });

    it.each(["pytorch", "xavier", "orthogonal", "identity"] as const)('"%s": the same seed gives bit-identical weights on every backend, another seed differs', (init) => {
      const options = { inputSize: 5, hiddenSize: H, outputSize: 4, numLayers: 2, init, seed: 77 };
      const model = modelOn(kind, options);
      const reference = new RNN({ ...options, backend: "js" });
      const other = modelOn(kind, { ...options, seed: 78 });
      for (const { name, data } of model.parameters()) {
        expect(bits(data), name).toEqual(bits(reference.getParameter(name)));
      }
      const random = init === "identity" ? ["rnn.weight_ih_l0", "head.weight"] : ["rnn.weight_ih_l0", "rnn.weight_hh_l1", "head.weight"];
      for (const name of random) expect(bits(other.getParameter(name)), name).not.toEqual(bits(model.getParameter(name)));
      for (const m of [model, reference, other]) m.dispose();
    });
  });
});
