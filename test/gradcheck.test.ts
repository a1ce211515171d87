/**
 * Gradients against two independent oracles, on every backend:
 *   1. central finite differences of the summed loss, through the public gradientCheck, for every
 *      parameter and the initial state, over tanh/relu × 1/2 layers × tokens/dense × cross-entropy/mse
 *      at odd sizes (H = 7, I = 5, T = 3, O = 3, B = 2), plus a many-to-one mask and ignore-index targets;
 *   2. a 1-unit, 1-step, 1-layer tanh RNN with MSE whose loss and gradients are derived by hand below.
 *
 * Finite-difference tolerance. The kernels compute in float32 (unit roundoff u ≈ 6e-8), so each loss
 * evaluation carries a rounding error δL of a small multiple of u·L; the central difference divides
 * it by 2ε. Measured here (a 2-layer tanh MSE model, L ≈ 25): the numeric gradient's error grows as
 * 1/ε below ε = 1e-2 and is ≈ 1e-4 at ε = 1e-3 — rounding noise, not truncation (O(ε²), far smaller).
 * (The numbers below were measured at ε = 1e-3 for every case.)
 * gradientCheck measures |a − n| / max(|a| + |n|, floor): above the floor a relative error, below it
 * an absolute one. With the default floor 1e-3, a noise of 1e-4 on a gradient of 1e-4 scores 0.07–0.1
 * (seen on the MSE cases, whose loss is 4× the cross-entropy ones'). So the floor is scaled to the
 * noise: |numeric error| ≲ 2·u·|L| / 2ε = u·|L|/ε. Measured: up to 0.15 of that bound on "js" (its
 * dot products accumulate in float64, Math.tanh/exp are nearly exact) and up to 0.27 on Wasm (f32x4
 * accumulation, a polynomial expf/tanhf good to ~1.5e-7) — rounding noise, not a gradient error: the
 * analytic values of both backends agree to 6 digits. The floor is 20× the bound (3e-2 at L = 25,
 * 8e-3 at L = 6.5, never below the default 1e-3), so rounding noise scores below 1.5e-2. Gradients
 * above the floor are held to 2 % relative; a wrong index, a missing term or a wrong derivative gives
 * errors of order 1 on the large entries. Hence maxRelativeError < 2e-2
 * for every tensor. The step is the library's default: ε = 1e-2 for tanh (ten times less rounding
 * noise than 1e-3, and the O(ε²) truncation still far below it), 1e-3 for relu, whose kink at 0 a step
 * of 1e-2 can cross (see batchAwayFromKinks). Measured worst: 1.2e-2 on Wasm (tanh, 2 layers, dense,
 * mse; 1.9e-2 with ε = 1e-3 for every case), 6.3e-3 on js.
 *
 * Set GRADCHECK_ERRORS=<file> to have the measured maximum errors per backend and case written as JSON.
 */
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type Batch, type RNN } from "../src/index.js";
import { gradientCheck, type GradientCheckResult } from "../src/gradcheck.js";
import { backendKinds } from "./helpers/backends.js";
import { modelOn, randomBatch } from "./helpers/models.js";

/** The library's default step: 1e-2 for tanh (rounding noise ∝ 1/ε), 1e-3 for relu (its kink). */
const epsilonOf = (model: RNN) => (model.config.nonlinearity === "relu" ? 1e-3 : 1e-2);
const TOLERANCE = 2e-2;
/** Unit roundoff of float32. */
const U32 = 2 ** -24;
const H = 7, I = 5, T = 3, O = 3, B = 2;

interface Case {
  nonlinearity: "tanh" | "relu";
  numLayers: number;
  input: "tokens" | "dense";
  loss: "cross-entropy" | "mse";
}

const cases: Case[] = [];
for (const nonlinearity of ["tanh", "relu"] as const) {
  for (const numLayers of [1, 2]) {
    for (const input of ["tokens", "dense"] as const) {
      for (const loss of ["cross-entropy", "mse"] as const) cases.push({ nonlinearity, numLayers, input, loss });
    }
  }
}
const label = (c: Case) => `${c.nonlinearity}, ${c.numLayers} layer${c.numLayers > 1 ? "s" : ""}, ${c.input}, ${c.loss}`;

const measured: Record<string, Record<string, number>> = {};
afterAll(() => {
  if (process.env.GRADCHECK_ERRORS) writeFileSync(process.env.GRADCHECK_ERRORS, JSON.stringify(measured, null, 2));
});

/** Run the check and assert: every parameter and h0 is covered entry by entry, each within TOLERANCE. */
function checkAll(kind: string, name: string, model: RNN, batch: Batch): GradientCheckResult[] {
  const epsilon = epsilonOf(model);
  const floor = Math.max(1e-3, (20 * U32 * Math.abs(model.forward(batch).loss)) / epsilon);
  const results = gradientCheck(model, batch, { epsilon, floor });
  const expectedNames = [...model.parameters().map((p) => p.name), "h0"];
  expect(results.map((r) => r.name)).toEqual(expectedNames);
  const sizes = new Map(model.parameters().map((p) => [p.name, p.data.length]));
  sizes.set("h0", batch.h0!.length);
  for (const r of results) {
    expect(r.checked, r.name).toBe(sizes.get(r.name));
    expect(r.maxRelativeError, `${name}: ${r.name}, worst at ${JSON.stringify(r.worst)}`).toBeLessThan(TOLERANCE);
  }
  (measured[kind] ??= {})[name] = Math.max(...results.map((r) => r.maxRelativeError));
  return results;
}

/**
 * Every pre-activation a = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh of every layer, step, sequence and
 * unit, recomputed in float64 from the model's parameters (an oracle independent of the kernels).
 */
function preactivations(model: RNN, batch: Batch): number[] {
  const { input, inputSize, hiddenSize: Hh, numLayers: L, nonlinearity } = model.config;
  const { batchSize: Bb, seqLen: Tt } = batch;
  const act = (a: number) => (nonlinearity === "relu" ? Math.max(a, 0) : Math.tanh(a));
  const all: number[] = [];
  // xs[b][t]: the layer's input vectors (dense), or null for token input (column gather)
  let xs: number[][][] | null = input === "dense"
    ? Array.from({ length: Bb }, (_, b) => Array.from({ length: Tt }, (_, t) => Array.from({ length: inputSize }, (_, i) => batch.inputs[(b * Tt + t) * inputSize + i])))
    : null;
  for (let l = 0; l < L; l++) {
    const In = l === 0 ? inputSize : Hh;
    const Wih = model.getParameter(`rnn.weight_ih_l${l}`), Whh = model.getParameter(`rnn.weight_hh_l${l}`);
    const bih = model.getParameter(`rnn.bias_ih_l${l}`), bhh = model.getParameter(`rnn.bias_hh_l${l}`);
    const hs: number[][][] = [];
    for (let b = 0; b < Bb; b++) {
      let h = Array.from({ length: Hh }, (_, j) => (batch.h0 ? batch.h0[(l * Bb + b) * Hh + j] : 0));
      hs.push([]);
      for (let t = 0; t < Tt; t++) {
        const a = Array.from({ length: Hh }, (_, i) => {
          let s = bih[i] + bhh[i];
          if (xs === null) s += Wih[i * In + batch.inputs[b * Tt + t]];
          else for (let k = 0; k < In; k++) s += Wih[i * In + k] * xs[b][t][k];
          for (let j = 0; j < Hh; j++) s += Whh[i * Hh + j] * h[j];
          return s;
        });
        all.push(...a);
        h = a.map(act);
        hs[b].push(h);
      }
    }
    xs = hs;
  }
  return all;
}

/**
 * A seeded batch; for relu models, the first seed from `seed` on whose pre-activations all lie at
 * least 4ε from relu's kink at 0, so that no ±ε perturbation (which moves a pre-activation by about
 * ε·|x| ≤ 4ε) crosses it — across a kink the central difference measures neither one-sided slope.
 */
function batchAwayFromKinks(model: RNN, seed: number): Batch {
  for (let s = seed; s < seed + 100; s++) {
    const batch = randomBatch(model, { batchSize: B, seqLen: T, withH0: true }, s);
    if (model.config.nonlinearity === "tanh") return batch;
    const margin = Math.min(...preactivations(model, batch).map(Math.abs));
    if (margin >= 4 * epsilonOf(model)) return batch;
  }
  throw new Error("no batch with relu pre-activations away from the kink in 100 seeds");
}

describe.each(backendKinds)("gradient check on %s", (kind) => {
  it.each(cases.map((c) => [label(c), c] as const))("%s", (name, c) => {
    const model = modelOn(kind, { ...c, inputSize: I, hiddenSize: H, outputSize: O, seed: 11 });
    const batch = batchAwayFromKinks(model, 101);
    checkAll(kind, name, model, batch);
    model.dispose();
  });

  it("many-to-one: a mask with only the last step set", () => {
    const model = modelOn(kind, { inputSize: I, hiddenSize: H, outputSize: O, numLayers: 2, seed: 12 });
    const batch = randomBatch(model, { batchSize: B, seqLen: T, withH0: true }, 102);
    batch.mask = Array.from({ length: B * T }, (_, k) => (k % T === T - 1 ? 1 : 0));
    const results = checkAll(kind, "many-to-one (mask)", model, batch);
    expect(model.forward(batch).count).toBe(B);
    // the earlier steps still get gradient through the recurrence: W_hh's is not zero
    const whh = results.find((r) => r.name === "rnn.weight_hh_l0")!;
    expect(Math.abs(whh.worst.analytic)).toBeGreaterThan(0);
    model.dispose();
  });

  it("ignore-index (−100) targets", () => {
    const model = modelOn(kind, { inputSize: I, hiddenSize: H, outputSize: O, nonlinearity: "relu", seed: 13 });
    const batch = batchAwayFromKinks(model, 103);
    const targets = Array.from(batch.targets!);
    targets[0] = -100;
    targets[T + 1] = -100;
    batch.targets = targets;
    checkAll(kind, "ignore-index", model, batch);
    expect(model.forward(batch).count).toBe(B * T - 2);
    model.dispose();
  });

  it("a 1-unit, 1-step tanh RNN with MSE matches the chain rule written out by hand", () => {
    const model = modelOn(kind, { input: "dense", inputSize: 1, hiddenSize: 1, outputSize: 1, loss: "mse", seed: 1 });
    // float32-representable values, so the model holds exactly the numbers the hand derivation uses
    const wih = 0.75, whh = -0.5, bih = 0.125, bhh = -0.25, wo = 1.5, bo = 0.0625;
    const x = 0.8125, h0 = 0.375, target = 0.25;
    model.setParameter("rnn.weight_ih_l0", [wih]);
    model.setParameter("rnn.weight_hh_l0", [whh]);
    model.setParameter("rnn.bias_ih_l0", [bih]);
    model.setParameter("rnn.bias_hh_l0", [bhh]);
    model.setParameter("head.weight", [wo]);
    model.setParameter("head.bias", [bo]);

    // forward: a = wih·x + bih + whh·h0 + bhh;  h = tanh(a);  y = wo·h + bo;  E = (y − target)²
    const a = wih * x + bih + whh * h0 + bhh;
    const h = Math.tanh(a);
    const y = wo * h + bo;
    const E = (y - target) ** 2;
    // backward, one chain-rule link per line
    const dE_dy = 2 * (y - target);
    const dE_dwo = dE_dy * h; // ∂y/∂wo = h
    const dE_dbo = dE_dy; // ∂y/∂bo = 1
    const dE_dh = dE_dy * wo; // ∂y/∂h = wo
    const dE_da = dE_dh * (1 - h * h); // tanh'(a) = 1 − tanh(a)²
    const dE_dwih = dE_da * x; // ∂a/∂wih = x
    const dE_dbih = dE_da; // ∂a/∂bih = 1
    const dE_dwhh = dE_da * h0; // ∂a/∂whh = h0
    const dE_dbhh = dE_da; // ∂a/∂bhh = 1
    const dE_dh0 = dE_da * whh; // ∂a/∂h0 = whh

    const result = model.forward({ batchSize: 1, seqLen: 1, inputs: [x], targets: [target], h0: [h0] });
    model.zeroGrad();
    model.backward();
    // float32 kernels against float64 arithmetic on the same inputs: a few roundoffs, rtol 1e-5
    const close = (actual: number, expected: number, what: string) =>
      expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-5 * Math.abs(expected));
    close(result.loss, E, "loss");
    expect(result.count).toBe(1);
    close(model.outputs()[0], y, "output y");
    close(model.finalState()[0], h, "final state h");
    close(model.getGradient("head.weight")[0], dE_dwo, "dE/d head.weight");
    close(model.getGradient("head.bias")[0], dE_dbo, "dE/d head.bias");
    close(model.getGradient("rnn.weight_ih_l0")[0], dE_dwih, "dE/d weight_ih");
    close(model.getGradient("rnn.bias_ih_l0")[0], dE_dbih, "dE/d bias_ih");
    close(model.getGradient("rnn.weight_hh_l0")[0], dE_dwhh, "dE/d weight_hh");
    close(model.getGradient("rnn.bias_hh_l0")[0], dE_dbhh, "dE/d bias_hh");
    close(model.initialStateGradient()[0], dE_dh0, "dE/d h0");
    model.dispose();
  });
});
