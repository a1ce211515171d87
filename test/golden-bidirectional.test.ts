/**
 * `bidirectional: true` against PyTorch: every configuration of fixtures/bidirectional_golden.json
 * (written by fixtures/make_bidirectional_fixtures.py from nn.RNN/LSTM/GRU(bidirectional=True) +
 * nn.Linear(2·R, O) in float64), on every backend: the three cells, 1–3 layers, odd sizes, with
 * projSize (bidirectional + projSize), an embedding in front (bidirectional + embedding) and dropout
 * between the layers. The model gets PyTorch's parameters (each layer's tensors, then the _reverse
 * ones, as in the state_dict), runs forward + backward on the recorded batch from h0 (2·L, B, R) and
 * c0 (2·L, B, H), and must reproduce the loss, outputs, h_n, c_n and every gradient, those of the
 * _reverse weights, h0 and c0 included; two configurations also replay 5 steps of torch.optim.SGD
 * (momentum 0.9, clip_grad_norm_ 1.0).
 *
 * Tolerance: golden-cells.test.ts's: 1e-5·|torch| + 1e-6 for a pass, 3e-5 / 3e-6 for a trajectory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { PASS, expectClose, goldenModel, goldenRecordTests, type ErrorStats, type FeatureRecord } from "./helpers/golden.js";

interface BidirectionalConfig extends FeatureRecord {
  cell: "rnn" | "lstm" | "gru";
  nonlinearity: "tanh" | "relu";
  projSize: number;
}

const file = JSON.parse(readFileSync(new URL("./fixtures/bidirectional_golden.json", import.meta.url), "utf8")) as { torch: string; configs: BidirectionalConfig[] };
/** Worst |a − b| and share of the bound per backend (BIDIRECTIONAL_ERRORS=<file> writes them). */
const stats: ErrorStats = {};
const close = (key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = PASS) => expectClose(stats, key, label, actual, expected, tol);

describe.each(backendKinds)(`PyTorch golden, bidirectional=True (torch ${file.torch}), %s`, (kind) => {
  it("covers at least 10 configurations: every cell, 1–3 layers, odd sizes, projSize, an embedding, dropout", () => {
    const c = file.configs;
    expect(c.length).toBeGreaterThanOrEqual(10);
    for (const cell of ["rnn", "lstm", "gru"]) expect(c.some((x) => x.cell === cell)).toBe(true);
    expect(c.some((x) => x.numLayers === 2) && c.some((x) => x.numLayers === 3)).toBe(true);
    expect(c.some((x) => x.hiddenSize % 4 !== 0 && x.inputSize % 4 !== 0)).toBe(true);
    expect(c.filter((x) => x.projSize > 0).length).toBeGreaterThanOrEqual(3);
    expect(c.filter((x) => x.embeddingSize > 0).length).toBeGreaterThanOrEqual(3);
    expect(c.some((x) => x.dropout > 0)).toBe(true);
  });

  describe.each(file.configs.map((c) => [c.name, c] as const))("%s", (_name, config) => {
    goldenRecordTests({
      record: config, key: kind, cellState: config.cell === "lstm", shapes: { h: " (2·L, B, R)", c: " (2·L, B, H)" }, close,
      passTitle: "forward and backward match PyTorch, _reverse weights included",
      check: () => expect(Object.keys(config.expected.gradients).some((name) => name.endsWith("_reverse"))).toBe(true),
      build: () => goldenModel({
        cell: config.cell, input: config.input, inputSize: config.inputSize, embeddingSize: config.embeddingSize, hiddenSize: config.hiddenSize,
        projSize: config.projSize, outputSize: config.outputSize, numLayers: config.numLayers, dropout: config.dropout, loss: config.loss,
        ...(config.cell === "rnn" ? { nonlinearity: config.nonlinearity } : {}),
        bidirectional: true, backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
      }, config),
    });
  });
});

afterAll(() => {
  const out = process.env.BIDIRECTIONAL_ERRORS;
  if (out) writeFileSync(out, JSON.stringify(stats, null, 2) + "\n");
});
