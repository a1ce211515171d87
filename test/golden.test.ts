/**
 * The model against PyTorch: every configuration in fixtures/rnn_golden.json (written by
 * fixtures/make_rnn_fixtures.py from nn.RNN + nn.Linear in float64), on every backend.
 *
 * For each configuration the model gets PyTorch's parameters through setParameter, runs
 * forward + zeroGrad + backward on the recorded batch, and must reproduce the loss, the outputs,
 * the final state, the gradient of every parameter and the gradient of h0. Two configurations also
 * replay a 5-step SGD trajectory (momentum, gradient-norm clipping) through the Trainer.
 *
 * Tolerance: |ours − torch| ≤ rtol·|torch| + atol, elementwise (values below). Our kernels compute
 * in float32 (unit roundoff 6e-8) and the fixtures in float64, so a careful float32 implementation
 * lands some tens of roundoffs from the reference after the sums of a BPTT pass; the bounds leave
 * room for that and not for an indexing or derivative mistake, which is off by far more.
 *
 * Set GOLDEN_ERRORS=<file> to have the measured errors per backend and quantity written as JSON.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RNN } from "../src/index.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import type { GoldenPass } from "./helpers/golden.js";
import { replaySgdTrajectory, type SgdTrajectory } from "./helpers/trajectory.js";

interface GoldenConfig extends GoldenPass {
  input: "tokens" | "dense";
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  numLayers: number;
  nonlinearity: "tanh" | "relu";
  /** false: nn.RNN(bias=False), no bias tensors. */
  bias: boolean;
  loss: "cross-entropy" | "mse";
  trajectory?: SgdTrajectory;
}

const golden = JSON.parse(readFileSync(new URL("./fixtures/rnn_golden.json", import.meta.url), "utf8")) as {
  torch: string;
  configs: GoldenConfig[];
};

/**
 * One forward/backward pass, float32 against float64 (see the header). Measured on every backend
 * (js, wasm-release, wasm-debug): the worst element uses 7% of rtol = 1e-4, atol = 1e-5 (largest
 * |difference| 2e-6, on a gradient), so the bound is tightened to 3e-5 / 3e-6: about 4× above the
 * worst seen, room for another summation order or fused multiply-add, not for a wrong term.
 */
const PASS = { rtol: 3e-5, atol: 3e-6 };
/**
 * The trajectory: five SGD steps compound the float32 differences of five passes and momentum
 * carries them forward, so a looser bound than one pass. Clipping rescales every step to norm 1,
 * which keeps the measured drift tiny (worst 0.3% of 1e-4 / 1e-5 here), so that bound is plenty
 * while a wrong update, momentum or clipping rule misses it by orders of magnitude.
 */
const TRAJECTORY = { rtol: 1e-4, atol: 1e-5 };

interface Tolerance {
  rtol: number;
  atol: number;
}

/** Worst errors seen per backend and quantity, for GOLDEN_ERRORS. */
interface ErrorStats {
  /** max |a − b| */
  maxAbs: number;
  /** max |a − b| / |b| over elements with |b| ≥ 1e-3 (relative error is meaningless near 0). */
  maxRel: number;
  /** max |a − b| / (rtol·|b| + atol): the share of the tolerance used, ≤ 1 to pass. */
  maxRatio: number;
}
const stats = new Map<string, Map<string, ErrorStats>>();

function record(kind: string, quantity: string, abs: number, rel: number, ratio: number): void {
  let perKind = stats.get(kind);
  if (perKind === undefined) stats.set(kind, (perKind = new Map()));
  const s = perKind.get(quantity) ?? { maxAbs: 0, maxRel: 0, maxRatio: 0 };
  perKind.set(quantity, {
    maxAbs: Math.max(s.maxAbs, abs),
    maxRel: Math.max(s.maxRel, rel),
    maxRatio: Math.max(s.maxRatio, ratio),
  });
}

/**
 * Assert |actual[i] − expected[i]| ≤ rtol·|expected[i]| + atol for every i; the failure message
 * names the worst element and both values. NaN never passes.
 */
function expectClose(kind: string, quantity: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>,
  tol: Tolerance): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = 0, worstIndex = 0, maxAbs = 0, maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], b = expected[i];
    const diff = Math.abs(a - b);
    const ratio = Number.isNaN(diff) ? Infinity : diff / (tol.rtol * Math.abs(b) + tol.atol);
    if (ratio > worst) {
      worst = ratio;
      worstIndex = i;
    }
    maxAbs = Math.max(maxAbs, Number.isNaN(diff) ? Infinity : diff);
    if (Math.abs(b) >= 1e-3) maxRel = Math.max(maxRel, Number.isNaN(diff) ? Infinity : diff / Math.abs(b));
  }
  record(kind, quantity, maxAbs, maxRel, worst);
  const a = actual[worstIndex], b = expected[worstIndex];
  expect(worst, `${label}[${worstIndex}] is ${a}; PyTorch gives ${b}: |difference| ${Math.abs(a - b)} > ` +
    `rtol·|expected| + atol = ${tol.rtol}·${Math.abs(b)} + ${tol.atol}`).toBeLessThanOrEqual(1);
}

function buildModel(config: GoldenConfig, kind: (typeof backendKinds)[number]): RNN {
  const model = new RNN({
    input: config.input,
    inputSize: config.inputSize,
    hiddenSize: config.hiddenSize,
    outputSize: config.outputSize,
    numLayers: config.numLayers,
    nonlinearity: config.nonlinearity,
    bias: config.bias,
    loss: config.loss,
    seed: 1,
    backend: kind === "js" ? "js" : "wasm",
    wasmModule: wasmModuleFor(kind),
  });
  // the same tensors as PyTorch's state_dict, in its order (no bias tensors for bias=False)
  expect(model.parameters().map((p) => p.name)).toEqual(Object.keys(config.parameters));
  for (const [name, values] of Object.entries(config.parameters)) model.setParameter(name, values);
  return model;
}

function batchOf(config: GoldenConfig) {
  return {
    batchSize: config.batchSize,
    seqLen: config.seqLen,
    inputs: config.inputs,
    targets: config.targets,
    ...(config.mask === null ? {} : { mask: config.mask }),
    ...(config.h0 === null ? {} : { h0: config.h0 }),
  };
}

/** "rnn.weight_hh_l1" → "grad rnn.weight_hh": gradients are summarised by role, over layers. */
function gradientQuantity(name: string): string {
  return `grad ${name.replace(/_l\d+$/, "")}`;
}

describe.each(backendKinds)("PyTorch %s golden (nn.RNN, torch " + golden.torch + ")", (kind) => {
  it("covers the configurations the generator promises", () => {
    expect(golden.configs.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(golden.configs.map((c) => [c.name, c] as const))("%s", (_name, config) => {
    it("forward and backward match PyTorch", () => {
      const model = buildModel(config, kind);
      try {
        const r = model.forward(batchOf(config));
        model.zeroGrad();
        model.backward();
        const e = config.expected;
        expectClose(kind, "loss", "loss", [r.loss], [e.loss], PASS);
        expect(r.count, "count of steps with a target").toBe(e.count);
        expectClose(kind, "outputs", "outputs", model.outputs(), e.outputs, PASS);
        expectClose(kind, "finalState", "finalState", model.finalState(), e.finalState, PASS);
        for (const [name, grad] of Object.entries(e.gradients)) {
          expectClose(kind, gradientQuantity(name), `gradient of ${name}`, model.getGradient(name), grad, PASS);
        }
        expectClose(kind, "grad h0", "initialStateGradient", model.initialStateGradient(), e.h0Gradient, PASS);
      } finally {
        model.dispose();
      }
    });

    const trajectory = config.trajectory;
    if (trajectory !== undefined) {
      it(`${trajectory.steps} SGD steps (momentum ${trajectory.momentum}, clip ${trajectory.clipNorm}) follow PyTorch`, () => {
        const model = buildModel(config, kind);
        try {
          replaySgdTrajectory(model, batchOf(config), trajectory,
            (quantity, label, actual, expected) => expectClose(kind, quantity, label, actual, expected, TRAJECTORY), config.expected.count);
        } finally {
          model.dispose();
        }
      });
    }
  });
});

afterAll(() => {
  const out = process.env.GOLDEN_ERRORS;
  if (out === undefined || out === "") return;
  const report: Record<string, Record<string, ErrorStats>> = {};
  for (const [kind, perKind] of stats) report[kind] = Object.fromEntries(perKind);
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
});
