/**
 * `projSize` against PyTorch: every configuration of fixtures/projection_golden.json (written by
 * fixtures/make_projection_fixtures.py from nn.LSTM(proj_size=P) + nn.Linear(P, O) in float64), on
 * every backend, with an embedding in front of one and dropout between the layers of another. The
 * model gets PyTorch's parameters (weight_hr_l{k} after each layer's biases, as in the state_dict),
 * runs forward + backward on the recorded batch from h0 (L, B, P) and c0 (L, B, H), and must reproduce
 * the loss, outputs, h_n (L, B, P), c_n (L, B, H) and every gradient, those of h0 and c0 included; two
 * configurations also replay 5 steps of torch.optim.SGD (momentum 0.9, clip_grad_norm_ 1.0).
 *
 * Tolerance: golden-cells.test.ts's: 1e-5·|torch| + 1e-6 for a pass, 3e-5 / 3e-6 for a trajectory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { PASS, expectClose, goldenModel, goldenRecordTests, type ErrorStats, type FeatureRecord } from "./helpers/golden.js";

interface ProjectionConfig extends FeatureRecord {
  projSize: number;
}

const file = JSON.parse(readFileSync(new URL("./fixtures/projection_golden.json", import.meta.url), "utf8")) as { torch: string; configs: ProjectionConfig[] };
/** Worst |a − b| and share of the bound per backend (PROJECTION_ERRORS=<file> writes them). */
const stats: ErrorStats = {};
const close = (key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = PASS) => expectClose(stats, key, label, actual, expected, tol);


describe.each(backendKinds)(`PyTorch golden, nn.LSTM(proj_size) (torch ${file.torch}), %s`, (kind) => {
  it("covers at least 10 configurations, with 2 and 3 layers, odd sizes, P = 1, an embedding and dropout", () => {
    const c = file.configs;
    expect(c.length).toBeGreaterThanOrEqual(10);
    expect(c.some((x) => x.numLayers === 2) && c.some((x) => x.numLayers === 3)).toBe(true);
    expect(c.some((x) => x.projSize % 4 !== 0 && x.hiddenSize % 4 !== 0)).toBe(true);
    expect(c.some((x) => x.projSize === 1)).toBe(true);
    expect(c.some((x) => x.embeddingSize > 0) && c.some((x) => x.dropout > 0)).toBe(true);
  });

  describe.each(file.configs.map((c) => [c.name, c] as const))("%s", (_name, config) => {
    goldenRecordTests({
      record: config, key: kind, cellState: true, shapes: { h: " (L, B, P)", c: " (L, B, H)" }, close,
      build: () => goldenModel({
        cell: "lstm", input: config.input, inputSize: config.inputSize, embeddingSize: config.embeddingSize, hiddenSize: config.hiddenSize,
        projSize: config.projSize, outputSize: config.outputSize, numLayers: config.numLayers, dropout: config.dropout, loss: config.loss,
        backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
      }, config),
    });
  });
});

afterAll(() => {
  const out = process.env.PROJECTION_ERRORS;
  if (out) writeFileSync(out, JSON.stringify(stats, null, 2) + "\n");
});
