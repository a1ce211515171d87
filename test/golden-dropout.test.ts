/**
 * `dropout` against PyTorch: every configuration of fixtures/dropout_golden.json (written by
 * fixtures/make_dropout_fixtures.py), on every backend. PyTorch's own masks cannot be reproduced, so
 * the reference is nn.RNN / nn.LSTM / nn.GRU(num_layers=L, dropout=p) as L single-layer modules with
 * the masks applied between them by hand (the script checks that decomposition against the stacked
 * module), fed the masks bptt's model draws from the dropout PRNG state the record gives. The model
 * gets PyTorch's parameters and that state, runs forward({ training: true }) + backward, and must
 * reproduce the loss, outputs, h_n (and c_n, unmasked), every gradient and those of h0 (and c0).
 * Two configurations per cell also replay 3 SGD steps through the Trainer, each step drawing the
 * next masks (training steps apply dropout).
 *
 * Tolerance: golden-cells.test.ts's: 1e-5·|torch| + 1e-6 for a pass, 3e-5 / 3e-6 for a trajectory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { PASS, expectClose, goldenModel, goldenRecordTests, type ErrorStats, type FeatureRecord } from "./helpers/golden.js";

interface DropoutConfig extends FeatureRecord {
  cell: "rnn" | "lstm" | "gru";
  dropoutState: number[];
}

const file = JSON.parse(readFileSync(new URL("./fixtures/dropout_golden.json", import.meta.url), "utf8")) as { torch: string; configs: DropoutConfig[] };
/** Worst |a − b| and share of the bound per backend and quantity (DROPOUT_ERRORS=<file> writes them). */
const stats: ErrorStats = {};
const close = (key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = PASS) => expectClose(stats, key, label, actual, expected, tol);


describe.each(backendKinds)(`PyTorch golden, dropout between layers (torch ${file.torch}), %s`, (kind) => {
  it("covers at least 10 configurations per cell, with 2 and 3 layers, odd sizes, p from 0.1 to 0.7, and masks that drop", () => {
    for (const cell of ["rnn", "lstm", "gru"]) {
      const c = file.configs.filter((x) => x.cell === cell);
      expect(c.length).toBeGreaterThanOrEqual(10);
      expect(c.some((x) => x.numLayers === 2) && c.some((x) => x.numLayers === 3)).toBe(true);
      expect(c.some((x) => x.hiddenSize % 4 !== 0)).toBe(true);
      expect(new Set(c.map((x) => x.dropout)).size).toBeGreaterThanOrEqual(5);
      expect(c.filter((x) => x.trajectory !== undefined).length).toBeGreaterThanOrEqual(2);
    }
  });

  describe.each(file.configs.map((c) => [`${c.cell} ${c.name}`, c] as const))("%s", (_name, config) => {
    goldenRecordTests({
      record: config, key: `${kind} ${config.cell}`, cellState: config.cell === "lstm", close,
      passTitle: "a training forward and backward with the same masks match PyTorch",
      trajectoryTitle: (steps) => `${steps} SGD steps through the Trainer draw the next masks each step, as PyTorch was given them`,
      build: () => goldenModel({
        cell: config.cell, input: config.input, inputSize: config.inputSize, embeddingSize: config.embeddingSize,
        hiddenSize: config.hiddenSize, outputSize: config.outputSize, numLayers: config.numLayers, dropout: config.dropout,
        loss: config.loss, backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
      }, config),
    });
  });
});

afterAll(() => {
  const out = process.env.DROPOUT_ERRORS;
  if (out) writeFileSync(out, JSON.stringify(stats, null, 2) + "\n");
});
