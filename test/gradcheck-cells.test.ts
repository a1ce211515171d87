/**
 * Gradients of the gated cells against central finite differences of the summed loss, through the
 * public gradientCheck, on every backend: LSTM and GRU × 1 and 2 layers × tokens/dense ×
 * cross-entropy/MSE at odd sizes (H = 7, I = 5, T = 3, O = 3, B = 2), every entry of every parameter
 * and of h0 and (LSTM) c0; plus a many-to-one mask and ignore-index targets per cell.
 *
 * Tolerance, following test/gradcheck.test.ts (which derives it): entries are compared relatively
 * above a floor and absolutely below it, |a − n| / max(|a| + |n|, floor), and every tensor's worst
 * error must be < 2e-2. The float32 rounding noise of a central difference of the loss L is about
 * u·|L|/ε (u = 2⁻²⁴). The vanilla test sets the floor at 20× that; the gated cells chain four (three)
 * σ/tanh per step, and on Wasm (polynomial exp) their measured noise reaches 0.5–0.8·u·|L|/ε on
 * the MSE cases (e.g. numeric 2.0e-5 against analytic 7.5e-5 on L ≈ 20 at ε = 1e-2), which a
 * 20× floor scores at up to 0.03, while the analytic gradients match PyTorch to 1e-5
 * (golden-cells.test.ts). So the floor here is 100·u·|L|/ε (never below 1e-3): noise scores ≤ 0.008,
 * gradients above the floor (1.2e-2 at L = 20) are held to 2 % relative, and a wrong gate index, a
 * missing term or a wrong derivative still gives errors of order 1 on the large entries. The step is
 * ε = 1e-2, not the vanilla test's 1e-3: σ and tanh are smooth (no relu kink to keep away from), so
 * the truncation error O(ε²) stays far below the bound while the noise shrinks tenfold. Measured
 * worst error over all cases: 1.5e-3 (js), 1.1e-2 (Wasm, the many-to-one cases, whose small loss puts
 * the floor at its 1e-3 minimum). Set
 * GRADCHECK_ERRORS=<file> for the measured worst error per backend and case.
 */
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type Batch, type RNN } from "../src/index.js";
import { gradientCheck } from "../src/gradcheck.js";
import { backendKinds } from "./helpers/backends.js";
import { modelOn, randomBatch } from "./helpers/models.js";

const EPSILON = 1e-2;
const TOLERANCE = 2e-2;
const U32 = 2 ** -24;
const FLOOR_FACTOR = 100;
const H = 7, I = 5, T = 3, O = 3, B = 2;

interface Case {
  cell: "lstm" | "gru";
  numLayers: number;
  input: "tokens" | "dense";
  loss: "cross-entropy" | "mse";
}

const cases: Case[] = [];
for (const cell of ["lstm", "gru"] as const) {
  for (const numLayers of [1, 2]) {
    for (const input of ["tokens", "dense"] as const) {
      for (const loss of ["cross-entropy", "mse"] as const) cases.push({ cell, numLayers, input, loss });
    }
  }
}
const label = (c: Case) => `${c.cell}, ${c.numLayers} layer${c.numLayers > 1 ? "s" : ""}, ${c.input}, ${c.loss}`;

const measured: Record<string, Record<string, number>> = {};
afterAll(() => {
  if (process.env.GRADCHECK_ERRORS) writeFileSync(process.env.GRADCHECK_ERRORS, JSON.stringify(measured, null, 2));
});

/** A seeded batch with h0 and, for LSTM, a c0 of larger spread (the cell state is not bounded by 1). */
function batchFor(model: RNN, seed: number): Batch {
  const batch = randomBatch(model, { batchSize: B, seqLen: T, withH0: true }, seed);
  if (model.config.cell === "lstm") batch.c0 = Float32Array.from(batch.h0!, (v, k) => 2 * v * (k % 2 === 0 ? 1 : -1) + 0.1);
  return batch;
}

function checkAll(kind: string, name: string, model: RNN, batch: Batch): void {
  const floor = Math.max(1e-3, (FLOOR_FACTOR * U32 * Math.abs(model.forward(batch).loss)) / EPSILON);
  const results = gradientCheck(model, batch, { epsilon: EPSILON, floor });
  const states = model.config.cell === "lstm" ? ["h0", "c0"] : ["h0"];
  expect(results.map((r) => r.name)).toEqual([...model.parameters().map((p) => p.name), ...states]);
  const sizes = new Map(model.parameters().map((p) => [p.name, p.data.length]));
  sizes.set("h0", batch.h0!.length);
  if (batch.c0) sizes.set("c0", batch.c0.length);
  for (const r of results) {
    expect(r.checked, r.name).toBe(sizes.get(r.name));
    expect(r.maxRelativeError, `${name}: ${r.name}, worst at ${JSON.stringify(r.worst)}`).toBeLessThan(TOLERANCE);
  }
  (measured[kind] ??= {})[name] = Math.max(...results.map((r) => r.maxRelativeError));
}

describe.each(backendKinds)("gradient check of the gated cells on %s", (kind) => {
  it.each(cases.map((c) => [label(c), c] as const))("%s", (name, c) => {
    const model = modelOn(kind, { ...c, inputSize: I, hiddenSize: H, outputSize: O, seed: 21 });
    checkAll(kind, name, model, batchFor(model, 201));
    model.dispose();
  });

  it.each(["lstm", "gru"] as const)("%s many-to-one: a mask with only the last step set", (cell) => {
    const model = modelOn(kind, { cell, input: "dense", loss: "mse", inputSize: I, hiddenSize: H, outputSize: O, numLayers: 2, seed: 22 });
    const batch = batchFor(model, 202);
    batch.mask = Array.from({ length: B * T }, (_, k) => (k % T === T - 1 ? 1 : 0));
    checkAll(kind, `${cell} many-to-one (mask)`, model, batch);
    expect(model.forward(batch).count).toBe(B);
    model.dispose();
  });

  it.each(["lstm", "gru"] as const)("%s ignore-index (−100) targets", (cell) => {
    const model = modelOn(kind, { cell, inputSize: I, hiddenSize: H, outputSize: O, seed: 23 });
    const batch = batchFor(model, 203);
    const targets = Array.from(batch.targets!);
    targets[0] = -100;
    targets[T + 1] = -100;
    batch.targets = targets;
    checkAll(kind, `${cell} ignore-index`, model, batch);
    expect(model.forward(batch).count).toBe(B * T - 2);
    model.dispose();
  });

  it("a 1-unit, 1-step LSTM with MSE matches the chain rule written out by hand", () => {
    const model = modelOn(kind, { cell: "lstm", input: "dense", inputSize: 1, hiddenSize: 1, outputSize: 1, loss: "mse", seed: 1 });
    // float32-representable values; gate rows i, f, g, o
    const wih = [0.5, -0.25, 0.75, 0.375], whh = [-0.5, 0.625, 0.25, -0.125], bih = [0.125, 0.5, -0.25, 0.0625], bhh = [0, 0.25, 0.125, -0.5];
    const wo = 1.25, bo = -0.125, x = 0.8125, h0 = 0.375, c0 = -0.625, target = 0.25;
    model.setParameter("rnn.weight_ih_l0", wih);
    model.setParameter("rnn.weight_hh_l0", whh);
    model.setParameter("rnn.bias_ih_l0", bih);
    model.setParameter("rnn.bias_hh_l0", bhh);
    model.setParameter("head.weight", [wo]);
    model.setParameter("head.bias", [bo]);
    const sig = (a: number) => 1 / (1 + Math.exp(-a));
    const a = [0, 1, 2, 3].map((k) => wih[k] * x + bih[k] + whh[k] * h0 + bhh[k]);
    const i = sig(a[0]), f = sig(a[1]), g = Math.tanh(a[2]), o = sig(a[3]);
    const c = f * c0 + i * g, tc = Math.tanh(c), h = o * tc;
    const y = wo * h + bo, E = (y - target) ** 2;
    const dy = 2 * (y - target);
    const dh = dy * wo;
    const dc = dh * o * (1 - tc * tc); // ∂h/∂c = o·tanh'(c)
    const da = [dc * g * i * (1 - i), dc * c0 * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)];
    const r = model.forward({ batchSize: 1, seqLen: 1, inputs: [x], targets: [target], h0: [h0], c0: [c0] });
    model.zeroGrad();
    model.backward();
    const close = (actual: number, expected: number, what: string) =>
      expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(2e-6 * Math.abs(expected) + 1e-7);
    close(r.loss, E, "loss");
    close(model.finalState()[0], h, "h_1");
    close(model.finalCellState()[0], c, "c_1");
    close(model.getGradient("head.weight")[0], dy * h, "dE/d head.weight");
    for (let k = 0; k < 4; k++) {
      close(model.getGradient("rnn.weight_ih_l0")[k], da[k] * x, `dE/d weight_ih[${k}]`);
      close(model.getGradient("rnn.weight_hh_l0")[k], da[k] * h0, `dE/d weight_hh[${k}]`);
      close(model.getGradient("rnn.bias_ih_l0")[k], da[k], `dE/d bias_ih[${k}]`);
      close(model.getGradient("rnn.bias_hh_l0")[k], da[k], `dE/d bias_hh[${k}]`);
    }
    close(model.initialStateGradient()[0], da.reduce((s, d, k) => s + d * whh[k], 0), "dE/d h0");
    close(model.initialCellStateGradient()[0], dc * f, "dE/d c0");
    model.dispose();
  });

  it("a 1-unit, 1-step GRU with MSE matches the chain rule written out by hand", () => {
    const model = modelOn(kind, { cell: "gru", input: "dense", inputSize: 1, hiddenSize: 1, outputSize: 1, loss: "mse", seed: 1 });
    // gate rows r, z, n
    const wih = [0.5, -0.25, 0.75], whh = [-0.5, 0.625, 0.25], bih = [0.125, 0.5, -0.25], bhh = [0.25, -0.125, 0.375];
    const wo = 1.25, bo = -0.125, x = 0.8125, h0 = 0.375, target = 0.25;
    model.setParameter("rnn.weight_ih_l0", wih);
    model.setParameter("rnn.weight_hh_l0", whh);
    model.setParameter("rnn.bias_ih_l0", bih);
    model.setParameter("rnn.bias_hh_l0", bhh);
    model.setParameter("head.weight", [wo]);
    model.setParameter("head.bias", [bo]);
    const sig = (a: number) => 1 / (1 + Math.exp(-a));
    const hn = whh[2] * h0 + bhh[2]; // W_hn h + b_hn, inside the reset product
    const r = sig(wih[0] * x + bih[0] + whh[0] * h0 + bhh[0]);
    const z = sig(wih[1] * x + bih[1] + whh[1] * h0 + bhh[1]);
    const n = Math.tanh(wih[2] * x + bih[2] + r * hn);
    const h = (1 - z) * n + z * h0;
    const y = wo * h + bo, E = (y - target) ** 2;
    const dh = 2 * (y - target) * wo;
    const dn = dh * (1 - z) * (1 - n * n); // through n's pre-activation
    const dr = dn * hn * r * (1 - r);
    const dz = dh * (h0 - n) * z * (1 - z);
    const res = model.forward({ batchSize: 1, seqLen: 1, inputs: [x], targets: [target], h0: [h0] });
    model.zeroGrad();
    model.backward();
    const close = (actual: number, expected: number, what: string) =>
      expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(2e-6 * Math.abs(expected) + 1e-7);
    close(res.loss, E, "loss");
    close(model.finalState()[0], h, "h_1");
    const dIn = [dr, dz, dn], dHid = [dr, dz, dn * r]; // b_hn and W_hn are scaled by r, b_in and W_in are not
    for (let k = 0; k < 3; k++) {
      close(model.getGradient("rnn.weight_ih_l0")[k], dIn[k] * x, `dE/d weight_ih[${k}]`);
      close(model.getGradient("rnn.bias_ih_l0")[k], dIn[k], `dE/d bias_ih[${k}]`);
      close(model.getGradient("rnn.weight_hh_l0")[k], dHid[k] * h0, `dE/d weight_hh[${k}]`);
      close(model.getGradient("rnn.bias_hh_l0")[k], dHid[k], `dE/d bias_hh[${k}]`);
    }
    close(model.initialStateGradient()[0], dh * z + dHid.reduce((s, d, k) => s + d * whh[k], 0), "dE/d h0");
    model.dispose();
  });
});
