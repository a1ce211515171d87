/**
 * `batch.lengths` against PyTorch: every configuration of fixtures/lengths_golden.json (written by
 * fixtures/make_lengths_fixtures.py from pack_padded_sequence(enforce_sorted=False) → nn.RNN/LSTM/GRU →
 * pad_packed_sequence → nn.Linear in float64), on every backend: the three cells, unidirectional and
 * bidirectional (bidirectional + lengths: the reverse direction starts at each sequence's own end),
 * 1–3 layers, odd sizes, B = 1, with projSize, an embedding and dropout. The batches carry real targets
 * at their padding steps, which the lengths must exclude. The model must reproduce the loss and its
 * count, the outputs (0 at padding), h_n and c_n at each sequence's own last step, and every gradient,
 * those of h0 and c0 included; one configuration also replays 5 steps of torch.optim.SGD.
 *
 * Tolerance: golden-cells.test.ts's: 1e-5·|torch| + 1e-6 for a pass, 3e-5 / 3e-6 for a trajectory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { PASS, expectClose, goldenModel, goldenRecordTests, type ErrorStats, type FeatureRecord } from "./helpers/golden.js";

interface LengthsConfig extends FeatureRecord {
  bidirectional: boolean;
  lengths: number[];
  cell: "rnn" | "lstm" | "gru";
  nonlinearity: "tanh" | "relu";
  projSize: number;
}

const file = JSON.parse(readFileSync(new URL("./fixtures/lengths_golden.json", import.meta.url), "utf8")) as { torch: string; configs: LengthsConfig[] };
/** Worst |a − b| and share of the bound per backend (LENGTHS_ERRORS=<file> writes them). */
const stats: ErrorStats = {};
const close = (key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = PASS) => expectClose(stats, key, label, actual, expected, tol);

describe.each(backendKinds)(`PyTorch golden, pack_padded_sequence(enforce_sorted=False) (torch ${file.torch}), %s`, (kind) => {
  it("covers at least 10 configurations: every cell, both directions, 1–3 layers, odd sizes, projSize, an embedding, dropout, unsorted lengths", () => {
    const c = file.configs;
    expect(c.length).toBeGreaterThanOrEqual(10);
    for (const cell of ["rnn", "lstm", "gru"]) expect(c.some((x) => x.cell === cell && x.bidirectional) && c.some((x) => x.cell === cell && !x.bidirectional)).toBe(true);
    expect(c.some((x) => x.numLayers === 2) && c.some((x) => x.numLayers === 3)).toBe(true);
    expect(c.some((x) => x.hiddenSize % 4 !== 0 && x.inputSize % 4 !== 0)).toBe(true);
    expect(c.some((x) => x.projSize > 0 && x.bidirectional) && c.some((x) => x.embeddingSize > 0 && x.bidirectional) && c.some((x) => x.dropout > 0)).toBe(true);
    expect(c.filter((x) => x.lengths.some((n) => n < x.seqLen)).length).toBe(c.length);
    expect(c.some((x) => x.lengths.some((n, b) => b > 0 && n > x.lengths[b - 1]))).toBe(true); // not sorted
  });

  describe.each(file.configs.map((c) => [c.name, c] as const))("%s", (_name, config) => {
    goldenRecordTests({
      record: config, key: kind, cellState: config.cell === "lstm", shapes: { h: " (D·L, B, R)", c: " (D·L, B, H)" }, close,
      check: (r) => expect(r.count).toBe(config.expected.count),
      build: () => goldenModel({
        cell: config.cell, input: config.input, inputSize: config.inputSize, embeddingSize: config.embeddingSize, hiddenSize: config.hiddenSize,
        projSize: config.projSize, outputSize: config.outputSize, numLayers: config.numLayers, dropout: config.dropout, loss: config.loss,
        ...(config.cell === "rnn" ? { nonlinearity: config.nonlinearity } : {}),
        bidirectional: config.bidirectional, backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
      }, config),
    });
  });
});

afterAll(() => {
  const out = process.env.LENGTHS_ERRORS;
  if (out) writeFileSync(out, JSON.stringify(stats, null, 2) + "\n");
});
