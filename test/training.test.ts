/**
 * The training step and sampling, on every backend: learning a small task, reproducibility,
 * agreement between backends, the exact semantics of clipping, momentum and schedules, truncated
 * BPTT, the non-finite guard, and generate().
 *
 * Tolerances. Two runs on the same backend execute the same code on the same data: they are
 * compared bit for bit. Across backends the float32 roundings differ (Wasm accumulates in f32x4
 * lanes with its own exp/tanh): trajectories agree within rtol 1e-3, as conventions allow. A
 * parameter update checked against a formula evaluated in float64 from the same float32 gradients
 * allows the roundings of the update itself: |Δ − Δ_expected| ≤ 1e-5·|Δ_expected| plus one float32
 * ulp of the parameter (2^−23·|θ|) for θ − Δ rounded to float32.
 */
import { describe, expect, it } from "vitest";
import { NonFiniteError, RNN, Random, Trainer, generate, type Batch, type TrainerOptions } from "../src/index.js";
import { backendKinds } from "./helpers/backends.js";
import { bits, modelOn, randomBatch, snapshot, type Kind } from "./helpers/models.js";
import { sample } from "../src/generate.js";

/** An echo task: the target at step t is the input token at t − 1 (nothing to predict at t = 0). */
function echoBatch(rng: Random, B: number, T: number, V: number): Batch {
  const inputs = Array.from({ length: B * T }, () => rng.int(V));
  const targets = inputs.map((_, k) => (k % T === 0 ? -100 : inputs[k - 1]));
  return { batchSize: B, seqLen: T, inputs, targets };
}

/** Train a fresh echo model for `steps` steps and return the per-step results. */
function echoRun(kind: Kind, steps: number, options: TrainerOptions = { learningRate: 0.02, clipNorm: 5 }) {
  const model = modelOn(kind, { inputSize: 4, hiddenSize: 16, seed: 1 });
  const trainer = new Trainer(model, options);
  const rng = new Random(5);
  const results = Array.from({ length: steps }, () => trainer.step(echoBatch(rng, 8, 10, 4)));
  const parameters = snapshot(model);
  model.dispose();
  return { results, parameters };
}

/** Gradients of `batch` at the model's current parameters, by name (float32 copies). */
function gradientsAt(model: RNN, batch: Batch): Map<string, Float32Array> {
  model.forward(batch);
  model.zeroGrad();
  model.backward();
  return new Map(model.gradients().map((g) => [g.name, g.data.slice()]));
}

/** Assert θ_after − θ_before = expected Δ per element, within the update's roundings (see top). */
function expectUpdate(before: Map<string, Float32Array>, model: RNN, delta: (name: string, i: number) => number): void {
  for (const [name, theta] of before) {
    const after = model.getParameter(name);
    for (let i = 0; i < theta.length; i++) {
      const expected = delta(name, i), actual = after[i] - theta[i];
      const bound = 1e-5 * Math.abs(expected) + 2 ** -23 * Math.max(Math.abs(theta[i]), Math.abs(after[i]));
      if (!(Math.abs(actual - expected) <= bound)) expect.fail(`${name}[${i}]: Δ = ${actual}, expected ${expected} (bound ${bound})`);
    }
  }
}

const norm = (grads: Map<string, Float32Array>) => Math.sqrt([...grads.values()].reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));

let jsTrajectory: number[] | null = null;

function softmax(z: number[]): number[] {
  const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe("sample (the draw behind generate)", () => {
  it("topP keeps the shortest most-likely prefix reaching its share, renormalised; ties go to the lower index", () => {
    const probs = new Float32Array([0.05, 0.3, 0.5, 0.15]), order = new Int32Array(4), rng = new Random(3);
    const counts = (topK: number, topP: number, n = 20000) => {
      const c = [0, 0, 0, 0];
      for (let i = 0; i < n; i++) c[sample(probs, topK, rng, order, topP)]++;
      return c.map((x) => x / n);
    };
    // 0.5 + 0.3 = 0.8 is the shortest prefix reaching 0.75: tokens 2 and 1, in proportion 5 : 3
    const nucleus = counts(0, 0.75);
    expect(nucleus[0]).toBe(0);
    expect(nucleus[3]).toBe(0);
    expect(nucleus[2]).toBeCloseTo(0.625, 1);
    // above 0.8 needs the third, 0.15
    expect(counts(0, 0.85)[3]).toBeGreaterThan(0.1);
    // a tiny share is the argmax; topK first, then the nucleus of the top k
    expect(counts(0, 1e-6)).toEqual([0, 0, 1, 0]);
    expect(counts(2, 0.5, 100)).toEqual([0, 0, 1, 0]);
    const flat = new Float32Array([0.25, 0.25, 0.25, 0.25]);
    const seen = new Set(Array.from({ length: 200 }, () => sample(flat, 0, rng, order, 0.45)));
    expect([...seen].sort()).toEqual([0, 1]);
  });
});

describe.each(backendKinds)("training on %s", (kind) => {
  it("SGD with gradient-norm clipping learns to echo the previous token", () => {
    const { results } = echoRun(kind, 60);
    const first = results[0].loss;
    const last10 = results.slice(-10).reduce((s, r) => s + r.loss, 0) / 10;
    expect(first).toBeGreaterThan(1); // ≈ ln 4 at the start
    expect(last10).toBeLessThan(0.3 * first);
    expect(results.some((r) => r.clipped)).toBe(true); // clipping took part
    for (const r of results) expect(r.tokens).toBe(8 * 9);
  });

  it("a fixed seed reproduces the loss trajectory exactly", () => {
    const a = echoRun(kind, 20, { learningRate: 0.02, clipNorm: 5, momentum: 0.9 });
    const b = echoRun(kind, 20, { learningRate: 0.02, clipNorm: 5, momentum: 0.9 });
    expect(a.results.map((r) => r.lossSum)).toEqual(b.results.map((r) => r.lossSum));
    expect(a.results.map((r) => r.gradNorm)).toEqual(b.results.map((r) => r.gradNorm));
    for (const [name, p] of a.parameters) expect(bits(p), name).toEqual(bits(b.parameters.get(name)!));
  });

  it("the trajectory agrees with the js backend's within rtol 1e-3 over 20 steps", () => {
    jsTrajectory ??= echoRun("js", 20).results.map((r) => r.lossSum);
    const ours = echoRun(kind, 20).results.map((r) => r.lossSum);
    ours.forEach((loss, s) => expect(Math.abs(loss - jsTrajectory![s]), `step ${s + 1}: ${loss} vs ${jsTrajectory![s]}`).toBeLessThanOrEqual(1e-3 * jsTrajectory![s]));
  });

  it("clipNorm: gradNorm is the norm before clipping, and the update is −lr·g·clipNorm/(‖g‖ + 1e-6)", () => {
    const model = modelOn(kind, { inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 2 });
    const batch = randomBatch(model, { batchSize: 3, seqLen: 6 }, 2);
    const g = gradientsAt(model, batch);
    const gNorm = norm(g); // float64 sum of the float32 squares, as the kernel documents
    const clipNorm = gNorm / 4, lr = 0.05;
    const before = snapshot(model);
    const result = new Trainer(model, { learningRate: lr, clipNorm }).step(batch);
    expect(Math.abs(result.gradNorm - gNorm)).toBeLessThanOrEqual(1e-9 * gNorm);
    expect(result.clipped).toBe(true);
    expect(result.learningRate).toBe(lr);
    const coef = clipNorm / (gNorm + 1e-6);
    expectUpdate(before, model, (name, i) => -lr * g.get(name)![i] * coef);

    // below the threshold nothing is clipped: Δθ = −lr·g
    const g2 = gradientsAt(model, batch);
    const before2 = snapshot(model);
    const r2 = new Trainer(model, { learningRate: lr, clipNorm: 2 * norm(g2) }).step(batch);
    expect(r2.clipped).toBe(false);
    expectUpdate(before2, model, (name, i) => -lr * g2.get(name)![i]);
    model.dispose();
  });

  it("clipValue clips every gradient element to [−c, c]", () => {
    const model = modelOn(kind, { inputSize: 5, hiddenSize: 7, seed: 3 });
    const batch = randomBatch(model, { batchSize: 3, seqLen: 6 }, 3);
    const g = gradientsAt(model, batch);
    const all = [...g.values()].flatMap((t) => Array.from(t, Math.abs)).sort((a, b) => a - b);
    const c = all[Math.floor(all.length / 2)]; // the median |g|: half the elements get clipped
    const lr = 0.1, before = snapshot(model);
    const result = new Trainer(model, { learningRate: lr, clipValue: c }).step(batch);
    expect(result.clipped).toBe(true);
    expect(Math.abs(result.gradNorm - norm(g))).toBeLessThanOrEqual(1e-9 * norm(g));
    expectUpdate(before, model, (name, i) => -lr * Math.min(Math.max(g.get(name)![i], -c), c));
    model.dispose();
  });

  it("momentum matches PyTorch's SGD (v ← μv + g, θ ← θ − lr·v) rolled by hand over 3 steps", () => {
    const options = { inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 4 };
    const model = modelOn(kind, options), twin = modelOn(kind, options);
    const lr = 0.02, mu = 0.9;
    // a forward first, so that the velocity block lies after the window block in the arena and
    // moves when the growing windows below enlarge it
    model.forward(randomBatch(model, { batchSize: 1, seqLen: 2 }, 39));
    const trainer = new Trainer(model, { learningRate: lr, momentum: mu });
    const velocity = new Map<string, Float64Array>();
    const shapes = [[2, 5], [4, 9], [3, 4]];
    for (let s = 0; s < 3; s++) {
      const batch = randomBatch(model, { batchSize: shapes[s][0], seqLen: shapes[s][1] }, 40 + s);
      trainer.step(batch);
      const g = gradientsAt(twin, batch);
      for (const [name, grad] of g) {
        const v = velocity.get(name) ?? Float64Array.from(grad); // first step: v = g
        if (velocity.has(name)) for (let i = 0; i < v.length; i++) v[i] = mu * v[i] + grad[i];
        velocity.set(name, v);
        twin.setParameter(name, twin.getParameter(name).map((p, i) => p - lr * v[i]));
      }
    }
    // the hand-rolled twin rounds v in float64 and the kernel in float32; after 3 steps the
    // parameters agree to float32 roundings amplified through three gradient evaluations
    for (const { name, data } of twin.parameters()) {
      const ours = model.getParameter(name);
      data.forEach((p, i) => expect(Math.abs(ours[i] - p), `${name}[${i}]: ${ours[i]} vs ${p}`).toBeLessThanOrEqual(1e-5 * Math.abs(p) + 1e-6));
    }
    // and momentum did something: plain SGD over the same batches ends elsewhere
    const plain = modelOn(kind, options), sgd = new Trainer(plain, { learningRate: lr });
    for (let s = 0; s < 3; s++) sgd.step(randomBatch(plain, { batchSize: shapes[s][0], seqLen: shapes[s][1] }, 40 + s));
    expect(bits(plain.getParameter("head.weight"))).not.toEqual(bits(model.getParameter("head.weight")));
    for (const m of [model, twin, plain]) m.dispose();
  });

  it("a schedule receives steps 1, 2, 3 with the base rate, and its rate is used", () => {
    const model = modelOn(kind, { inputSize: 5, hiddenSize: 7, seed: 5 });
    const calls: [number, number][] = [];
    const trainer = new Trainer(model, { learningRate: 0.1, schedule: (step, base) => (calls.push([step, base]), base / (step + 1)) });
    for (let s = 1; s <= 3; s++) {
      const batch = randomBatch(model, { batchSize: 2, seqLen: 4 }, 50 + s);
      const g = gradientsAt(model, batch), before = snapshot(model);
      const result = trainer.step(batch);
      expect(result.learningRate).toBe(0.1 / (s + 1));
      expectUpdate(before, model, (name, i) => -(0.1 / (s + 1)) * g.get(name)![i]);
    }
    expect(calls).toEqual([[1, 0.1], [2, 0.1], [3, 0.1]]);
    expect(trainer.stepCount).toBe(3);
    model.dispose();
  });

  it("trainSequence: windows of bpttSteps equal carried steps by hand; bpttSteps ≥ N is one full-BPTT step", () => {
    const opts = { inputSize: 5, hiddenSize: 6, numLayers: 2, seed: 4 };
    const long = (m: RNN) => randomBatch(m, { batchSize: 2, seqLen: 7, withH0: true }, 11);
    // by hand: windows [0,3), [3,6), [6,7), each from the previous window's final state
    const a = modelOn(kind, opts), b = modelOn(kind, opts), c = modelOn(kind, opts), d = modelOn(kind, opts);
    const batch = long(a);
    const auto = new Trainer(a, { learningRate: 0.05 }).trainSequence(batch, { bpttSteps: 3 });
    const manual = new Trainer(b, { learningRate: 0.05 });
    let h0: Float32Array = Float32Array.from(batch.h0!);
    const manualLosses: number[] = [];
    for (const [start, T] of [[0, 3], [3, 3], [6, 1]]) {
      const cols = (values: ArrayLike<number>) => Array.from({ length: 2 * T }, (_, k) => values[Math.floor(k / T) * 7 + start + (k % T)]);
      manualLosses.push(manual.step({ batchSize: 2, seqLen: T, inputs: cols(batch.inputs), targets: cols(batch.targets!), h0 }).lossSum);
      h0 = b.finalState();
    }
    expect(auto.map((r) => r.lossSum)).toEqual(manualLosses);
    expect(auto.map((r) => r.tokens)).toEqual([6, 6, 2]);
    for (const { name } of a.parameters()) expect(bits(a.getParameter(name)), name).toEqual(bits(b.getParameter(name)));
    // full BPTT: one window covering the sequence is exactly one step on the whole batch
    const full = new Trainer(c, { learningRate: 0.05 }).trainSequence(long(c), { bpttSteps: 100 });
    const whole = new Trainer(d, { learningRate: 0.05 }).step(long(d));
    expect(full.length).toBe(1);
    expect(full[0].lossSum).toBe(whole.lossSum);
    for (const { name } of c.parameters()) expect(bits(c.getParameter(name)), name).toEqual(bits(d.getParameter(name)));
    for (const m of [a, b, c, d]) m.dispose();
  });

  it("truncated BPTT: carryState starts each window from the last one's final state; recordStepNorms gives (L, T) finite norms", () => {
    const options = { inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 6 };
    const model = modelOn(kind, options), check = modelOn(kind, options);
    const trainer = new Trainer(model, { learningRate: 0.05 });
    const w1 = randomBatch(model, { batchSize: 3, seqLen: 4 }, 61), w2 = randomBatch(model, { batchSize: 3, seqLen: 4 }, 62);
    trainer.step(w1, { carryState: true });
    const carried = model.finalState();
    const after1 = snapshot(model);
    const r2 = trainer.step(w2, { carryState: true, recordStepNorms: true });
    // the second window ran from h0 = the first window's final state, at the parameters after step 1
    for (const [name, p] of after1) check.setParameter(name, p);
    expect(check.forward({ ...w2, h0: carried }).loss).toBe(r2.lossSum);
    expect(check.forward(w2).loss).not.toBe(r2.lossSum); // zeros would have given another loss
    expect(r2.stepNorms).toBeInstanceOf(Float32Array);
    expect(r2.stepNorms!.length).toBe(2 * 4);
    for (const v of r2.stepNorms!) expect(Number.isFinite(v) && v >= 0).toBe(true);
    expect(r2.stepNorms!.some((v) => v > 0)).toBe(true);
    // without carryState (or after resetState) a window starts from zeros
    const after2 = snapshot(model);
    trainer.resetState();
    const r3 = trainer.step(w1, { carryState: true });
    for (const [name, p] of after2) check.setParameter(name, p);
    expect(check.forward(w1).loss).toBe(r3.lossSum);
    model.dispose();
    check.dispose();
  });

  it.each([
    ["gradient", "mse", 1e30, "rnn.weight_ih_l0"], // y ≈ 1e30: the loss (f64) is finite, W_headᵀ·dy overflows float32
    ["loss", "cross-entropy", 3e38, "loss"], // logits overflow to ±Infinity: the loss is NaN
  ] as const)("a non-finite %s throws NonFiniteError naming the step and tensor, and changes no weight", (_, loss, huge, tensor) => {
    const model = modelOn(kind, { input: "dense", inputSize: 3, hiddenSize: 5, outputSize: 2, loss, seed: 7 });
    const trainer = new Trainer(model, { learningRate: 0.01, momentum: 0.9 });
    const twin = modelOn(kind, { input: "dense", inputSize: 3, hiddenSize: 5, outputSize: 2, loss, seed: 7 });
    const twinTrainer = new Trainer(twin, { learningRate: 0.01, momentum: 0.9 });
    const batches = [1, 2, 3].map((s) => randomBatch(model, { batchSize: 2, seqLen: 3 }, 70 + s));
    trainer.step(batches[0]);
    trainer.step(batches[1]);
    twinTrainer.step(batches[0]);
    twinTrainer.step(batches[1]);

    const head = model.getParameter("head.weight");
    model.setParameter("head.weight", head.map(() => huge));
    const before = snapshot(model);
    let error: unknown;
    try { trainer.step(batches[2]); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.code).toBe("NON_FINITE");
    expect(e.step).toBe(3);
    expect(e.tensor).toBe(tensor);
    expect(e.message).toMatch(/training step 3/);
    expect(e.message).toContain(tensor);
    for (const [name, p] of before) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
    expect(trainer.stepCount).toBe(2);

    // the optimizer state was not touched either: restored, the model continues as its twin
    model.setParameter("head.weight", head);
    expect(trainer.step(batches[2]).lossSum).toBe(twinTrainer.step(batches[2]).lossSum);
    for (const [name, p] of snapshot(twin)) expect(bits(model.getParameter(name)), name).toEqual(bits(p));
    model.dispose();
    twin.dispose();
  });

  describe("generate", () => {
    const make = () => modelOn(kind, { inputSize: 6, hiddenSize: 12, seed: 8, init: "xavier" });

    it("is reproducible for a seed and returns ids in range", () => {
      const model = make();
      const options = { prompt: [1, 2, 3], length: 40, temperature: 0.8, topK: 4, seed: 9 };
      const a = generate(model, options), b = generate(model, options);
      expect(a).toEqual(b);
      expect(a.length).toBe(40);
      for (const id of a) expect(Number.isInteger(id) && id >= 0 && id < 6).toBe(true);
      expect(generate(model, { ...options, seed: 10 })).not.toEqual(a);
      model.dispose();
    });

    it("topK = 2 draws only among the two most likely tokens at each step", () => {
      const model = make();
      const sampled = generate(model, { prompt: [4], length: 40, temperature: 1.5, topK: 2, seed: 13 });
      model.resetState(1);
      let logits = model.step(4);
      for (const id of sampled) {
        const rank = Array.from(logits).filter((v) => v > logits[id]).length;
        expect(rank, `token ${id} among logits ${Array.from(logits)}`).toBeLessThan(2);
        logits = model.step(id);
      }
      expect(new Set(sampled).size).toBeGreaterThan(1); // it samples, not argmax
      model.dispose();
    });

    it("topP draws only from the nucleus: the most likely tokens holding topP of the (temperature-scaled) probability", () => {
      const model = make();
      const temperature = 1.3, topP = 0.6;
      const sampled = generate(model, { prompt: [2], length: 60, temperature, topP, seed: 21 });
      model.resetState(1);
      let logits = model.step(2);
      for (const id of sampled) {
        const p = softmax(Array.from(logits, (z) => z / temperature));
        // the nucleus: sorted by probability (ties to the lower id), the shortest prefix reaching topP
        const sorted = p.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        const nucleus = new Set<number>();
        let mass = 0;
        for (const [v, i] of sorted) {
          nucleus.add(i);
          mass += v;
          if (mass >= topP - 1e-6) break;
        }
        expect(nucleus.has(id), `token ${id} outside the nucleus ${[...nucleus]} of ${p}`).toBe(true);
        logits = model.step(id);
      }
      expect(new Set(sampled).size).toBeGreaterThan(1);
      for (const bad of [0, 1.5, Number.NaN]) expect(() => generate(model, { prompt: [2], length: 3, topP: bad })).toThrow(/topP/);
      model.dispose();
    });

    it("topK = 1 equals greedy argmax decoding through step()", () => {
      const model = make();
      const prompt = [5, 0, 2];
      const sampled = generate(model, { prompt, length: 25, topK: 1, seed: 12 });
      model.resetState(1);
      let logits: Float32Array = new Float32Array(0);
      for (const id of prompt) logits = model.step(id);
      const greedy: number[] = [];
      for (let n = 0; n < 25; n++) {
        let best = 0;
        for (let o = 1; o < logits.length; o++) if (logits[o] > logits[best]) best = o;
        greedy.push(best);
        logits = model.step(best);
      }
      expect(sampled).toEqual(greedy);
      model.dispose();
    });
  });
});
