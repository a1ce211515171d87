/**
 * `embeddingSize` against PyTorch: every configuration of fixtures/embedding_golden.json (written by
 * fixtures/make_embedding_fixtures.py from nn.Embedding + nn.RNN / nn.LSTM / nn.GRU + nn.Linear in
 * float64), on every backend. The model gets PyTorch's parameters (embedding.weight first, as in the
 * state_dict), runs forward + zeroGrad + backward on the recorded token batch, and must reproduce the
 * loss, outputs, h_n (and c_n), every gradient — the embedding's rows summed over repeated tokens —
 * and the gradients of h0 (and c0).
 *
 * Tolerance: golden-cells.test.ts's, |ours − torch| ≤ 1e-5·|torch| + 1e-6 elementwise.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RNN, type Batch } from "../src/index.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { goldenBatch, PASS, expectClose, expectPass, type ErrorStats, type GoldenPass } from "./helpers/golden.js";

interface EmbeddingConfig extends GoldenPass {
  cell: "rnn" | "lstm" | "gru";
  inputSize: number;
  embeddingSize: number;
  hiddenSize: number;
  outputSize: number;
  numLayers: number;
  loss: "cross-entropy" | "mse";
}

const file = JSON.parse(readFileSync(new URL("./fixtures/embedding_golden.json", import.meta.url), "utf8")) as { torch: string; configs: EmbeddingConfig[] };
/** Worst |a − b| and share of the bound per backend and quantity (EMBEDDING_ERRORS=<file> writes them). */
const stats: ErrorStats = {};
const close = (key: string, label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = PASS) => expectClose(stats, key, label, actual, expected, tol);


describe.each(backendKinds)(`PyTorch golden, nn.Embedding in front of every cell (torch ${file.torch}), %s`, (kind) => {
  it("covers at least 10 configurations per cell, with odd sizes, 2 and 3 layers, repeated tokens", () => {
    for (const cell of ["rnn", "lstm", "gru"]) {
      const c = file.configs.filter((x) => x.cell === cell);
      expect(c.length).toBeGreaterThanOrEqual(10);
      expect(c.some((x) => x.numLayers === 2) && c.some((x) => x.numLayers === 3)).toBe(true);
      expect(c.some((x) => x.embeddingSize % 4 !== 0 && x.hiddenSize % 4 !== 0)).toBe(true);
      expect(c.some((x) => new Set(x.inputs).size < x.inputs.length)).toBe(true);
    }
  });

  describe.each(file.configs.map((c) => [`${c.cell} ${c.name}`, c] as const))("%s", (_name, config) => {
    it("forward and backward match PyTorch", () => {
      const model = new RNN({
        cell: config.cell, input: "tokens", inputSize: config.inputSize, embeddingSize: config.embeddingSize, hiddenSize: config.hiddenSize,
        outputSize: config.outputSize, numLayers: config.numLayers, loss: config.loss, seed: 1,
        backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
      });
      try {
        expect(model.parameters().map((p) => p.name)).toEqual(Object.keys(config.parameters));
        for (const [name, values] of Object.entries(config.parameters)) model.setParameter(name, values);
        const batch: Batch = goldenBatch(config);
        const r = model.forward(batch);
        model.zeroGrad();
        model.backward();
        const e = config.expected, key = `${kind} ${config.cell}`;
        expectPass((label, actual, expected) => close(key, label, actual, expected), model, r.loss, e, config.cell === "lstm");
        expect(r.count).toBe(e.count);
      } finally {
        model.dispose();
      }
    });
  });
});

afterAll(() => {
  const out = process.env.EMBEDDING_ERRORS;
  if (out) writeFileSync(out, JSON.stringify(stats, null, 2) + "\n");
});
