/**
 * The gated cells against PyTorch: every configuration in fixtures/lstm_golden.json and
 * fixtures/gru_golden.json (written by fixtures/make_gated_fixtures.py from nn.LSTM / nn.GRU +
 * nn.Linear in float64), on every backend.
 *
 * For each configuration the model gets PyTorch's parameters through setParameter, runs
 * forward + zeroGrad + backward on the recorded batch (h0 and, for LSTM, c0 when recorded), and must
 * reproduce the loss, the outputs, the final state h_n (and c_n), the gradient of every parameter and
 * the gradients of h0 (and c0). Two configurations per cell also replay 5 steps of
 * torch.optim.SGD (momentum 0.9, clip_grad_norm_ 1.0) through the Trainer.
 *
 * Tolerance: |ours − torch| ≤ rtol·|torch| + atol elementwise. Float32 kernels against a float64
 * reference land some tens of roundoffs (u = 6e-8) away after a BPTT pass; an indexing or
 * derivative mistake is off by orders of magnitude more. Measured on js, wasm-release and
 * wasm-debug (GOLDEN_ERRORS=<file>): the worst element of one pass uses 8.8 % of 3e-5 / 3e-6 (GRU's
 * grad bias_hh on Wasm; largest |difference| 5.8e-7), so the bound is 1e-5 / 1e-6, about 4× above
 * the worst seen. The trajectory's worst uses 0.3 % of 1e-4 / 1e-5 (clipping keeps every step's
 * update at norm ≤ 1), so its bound is 3e-5 / 3e-6.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RNN, type Batch } from "../src/index.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { goldenBatch, type GoldenPass } from "./helpers/golden.js";
import { replaySgdTrajectory, type SgdTrajectory } from "./helpers/trajectory.js";

interface GoldenConfig extends GoldenPass {
  cell: "lstm" | "gru";
  input: "tokens" | "dense";
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  numLayers: number;
  /** false: nn.LSTM / nn.GRU(bias=False), no bias tensors. */
  bias: boolean;
  loss: "cross-entropy" | "mse";
  trajectory?: SgdTrajectory;
}

interface GoldenFile {
  torch: string;
  cell: "lstm" | "gru";
  configs: GoldenConfig[];
}

const files = ["lstm", "gru"].map((cell) => JSON.parse(readFileSync(new URL(`./fixtures/${cell}_golden.json`, import.meta.url), "utf8")) as GoldenFile);

const PASS = { rtol: 1e-5, atol: 1e-6 };
/** Five SGD steps (momentum, clipping) compound five passes' float32 differences. */
const TRAJECTORY = { rtol: 3e-5, atol: 3e-6 };

/** Worst errors per backend, cell and quantity: max |a − b|, max |a − b|/|b| over |b| ≥ 1e-3, max share of the bound. */
const stats: Record<string, Record<string, { maxAbs: number; maxRel: number; maxRatio: number }>> = {};

function expectClose(key: string, quantity: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>,
  tol = PASS): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = 0, at = 0, maxAbs = 0, maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const d = Number.isNaN(diff) ? Infinity : diff;
    const ratio = d / (tol.rtol * Math.abs(expected[i]) + tol.atol);
    if (ratio > worst) { worst = ratio; at = i; }
    maxAbs = Math.max(maxAbs, d);
    if (Math.abs(expected[i]) >= 1e-3) maxRel = Math.max(maxRel, d / Math.abs(expected[i]));
  }
  const perKey = (stats[key] ??= {});
  const s = perKey[quantity] ?? { maxAbs: 0, maxRel: 0, maxRatio: 0 };
  perKey[quantity] = { maxAbs: Math.max(s.maxAbs, maxAbs), maxRel: Math.max(s.maxRel, maxRel), maxRatio: Math.max(s.maxRatio, worst) };
  expect(worst, `${label}[${at}] is ${actual[at]}; PyTorch gives ${expected[at]}: |difference| ${Math.abs(actual[at] - expected[at])} > ` +
    `${tol.rtol}·|expected| + ${tol.atol}`).toBeLessThanOrEqual(1);
}

describe.each(backendKinds)("PyTorch %s golden (gated cells)", (kind) => {
  describe.each(files.map((f) => [`nn.${f.cell.toUpperCase()}, torch ${f.torch}`, f] as const))("%s", (_title, file) => {
    it("covers at least 10 configurations, with odd sizes, 3 layers, both inputs and both losses", () => {
      const c = file.configs;
      expect(c.length).toBeGreaterThanOrEqual(10);
      expect(c.some((x) => x.numLayers === 3)).toBe(true);
      expect(c.some((x) => x.hiddenSize % 4 !== 0 && x.inputSize % 4 !== 0)).toBe(true);
      expect(new Set(c.map((x) => x.input)).size).toBe(2);
      expect(new Set(c.map((x) => x.loss)).size).toBe(2);
      expect(c.some((x) => x.loss === "cross-entropy" && x.targets.includes(-100))).toBe(true);
      expect(c.some((x) => x.h0 !== null && x.batchSize > 1)).toBe(true);
      if (file.cell === "lstm") expect(c.some((x) => x.c0 !== null)).toBe(true);
    });

    describe.each(file.configs.map((c) => [c.name, c] as const))("%s", (_name, config) => {
      const buildModel = () => {
        const model = new RNN({
          cell: config.cell, input: config.input, inputSize: config.inputSize, hiddenSize: config.hiddenSize,
          outputSize: config.outputSize, numLayers: config.numLayers, bias: config.bias, loss: config.loss, seed: 1,
          backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
        });
        // the same tensors as PyTorch's state_dict, in its order (no bias tensors for bias=False)
        expect(model.parameters().map((p) => p.name)).toEqual(Object.keys(config.parameters));
        for (const [name, values] of Object.entries(config.parameters)) model.setParameter(name, values);
        return model;
      };
      const batch: Batch = goldenBatch(config);

      it("forward and backward match PyTorch", () => {
        const model = buildModel();
        try {
          const r = model.forward(batch);
          model.zeroGrad();
          model.backward();
          const e = config.expected, key = `${kind} ${config.cell}`;
          expectClose(key, "loss", "loss", [r.loss], [e.loss]);
          expect(r.count, "count of steps with a target").toBe(e.count);
          expectClose(key, "outputs", "outputs", model.outputs(), e.outputs);
          expectClose(key, "finalState", "finalState (h_n)", model.finalState(), e.finalState);
          for (const [name, grad] of Object.entries(e.gradients)) {
            expectClose(key, `grad ${name.replace(/_l\d+$/, "")}`, `gradient of ${name}`, model.getGradient(name), grad);
          }
          expectClose(key, "grad h0", "initialStateGradient", model.initialStateGradient(), e.h0Gradient);
          if (config.cell === "lstm") {
            expectClose(key, "finalCellState", "finalCellState (c_n)", model.finalCellState(), e.finalCellState!);
            expectClose(key, "grad c0", "initialCellStateGradient", model.initialCellStateGradient(), e.c0Gradient!);
          }
        } finally {
          model.dispose();
        }
      });

      const trajectory = config.trajectory;
      if (trajectory !== undefined) {
        it(`${trajectory.steps} SGD steps (momentum ${trajectory.momentum}, clip ${trajectory.clipNorm}) follow torch.optim.SGD`, () => {
          const model = buildModel();
          try {
            const key = `${kind} ${config.cell}`;
            replaySgdTrajectory(model, batch, trajectory, (quantity, label, actual, expected) => expectClose(key, quantity, label, actual, expected, TRAJECTORY));
          } finally {
            model.dispose();
          }
        });
      }
    });
  });
});

afterAll(() => {
  const out = process.env.GOLDEN_ERRORS;
  if (out) writeFileSync(out, JSON.stringify(stats, null, 2) + "\n");
});
