/**
 * safetensors both ways with PyTorch for models with an nn.Embedding (fixtures/make_embedding_fixtures.py).
 *
 * PyTorch → bptt: fixtures/torch_embedding_*.safetensors hold a PyTorch module's state_dict under the
 * attribute names a user picks (embed + lstm + fc, encoder + gru + fc, embedding + rnn + head); loadModel
 * finds all three modules without being told, and the model gives PyTorch's outputs and final states,
 * in a window and streamed step by step.
 *
 * bptt → PyTorch: fixtures/bptt_embedding_*.safetensors were written by saveModel from the seeds below
 * (`BPTT_WRITE_FIXTURES=1` rewrites them); the Python script loaded them into nn.Embedding + the cell +
 * nn.Linear with load_state_dict(strict=True) and recorded PyTorch's outputs. Every backend regenerates
 * each file bit for bit, then the loaded model must reproduce those outputs.
 *
 * Tolerance: interop.test.ts's, 3e-5·|torch| + 3e-6 (float32 weights against a float64 reference).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RNN, type RNNOptions } from "../src/index.js";
import { loadModel, saveModel } from "../src/io.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { expectCloseToTorch, expectSavedFileTorchRead, expectTorchOutputs, fixture, type InteropRecord } from "./helpers/interop.js";

const interop = JSON.parse(readFileSync(fixture("interop_embedding.json"), "utf8")) as { torch: string; pytorchToBptt: InteropRecord[]; bpttToPytorch: InteropRecord[] };

const BPTT_MODELS: { name: string; options: RNNOptions }[] = [
  { name: "bptt_embedding_lstm", options: { cell: "lstm", input: "tokens", inputSize: 7, embeddingSize: 5, hiddenSize: 6, numLayers: 2, seed: 94 } },
  { name: "bptt_embedding_gru", options: { cell: "gru", input: "tokens", inputSize: 9, embeddingSize: 3, hiddenSize: 5, outputSize: 4, numLayers: 3, seed: 95 } },
];

if (process.env.BPTT_WRITE_FIXTURES) {
  describe("writing the bptt → PyTorch fixtures (embedding)", () => {
    it.each(BPTT_MODELS.map((m) => [m.name, m] as const))("%s", (_name, m) => {
      const model = new RNN({ ...m.options, backend: "js" });
      writeFileSync(fixture(`${m.name}.safetensors`), saveModel(model));
      model.dispose();
    });
  });
}

describe.each(backendKinds)(`PyTorch interop with nn.Embedding on %s (torch ${interop.torch})`, (kind) => {
  const backend = { backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) } as const;

  it("covers every cell from PyTorch, the attribute names embed, encoder and embedding, and both bptt files", () => {
    expect(interop.pytorchToBptt.map((r) => r.config.cell).sort()).toEqual(["gru", "lstm", "rnn"]);
    expect(interop.pytorchToBptt.map((r) => r.names![0]).sort()).toEqual(["embed", "embedding", "encoder"]);
    expect(interop.bpttToPytorch.map((r) => r.name).sort()).toEqual(BPTT_MODELS.map((m) => m.name).sort());
  });

  describe.each(interop.pytorchToBptt.map((r) => [r.name, r] as const))("PyTorch → bptt: %s", (_name, r) => {
    it("finds the embedding, the recurrent module and the head by themselves, and gives PyTorch's outputs", () => {
      const { model } = loadModel(readFileSync(fixture(r.file)), { config: r.config, ...backend });
      try {
        expect(model.getParameter("embedding.weight").length).toBe(r.config.inputSize * r.config.embeddingSize!);
        expectTorchOutputs(model, r);
        // step by step (streaming gathers each step's rows) as in the window
        const { batchSize: B, seqLen: T } = r, O = r.config.outputSize!;
        model.resetState(B, r.h0!, r.c0 ?? undefined);
        for (let t = 0; t < T; t++) {
          const out = model.step(Array.from({ length: B }, (_, b) => r.inputs[b * T + t]));
          for (let b = 0; b < B; b++) expectCloseToTorch(out.subarray(b * O, (b + 1) * O), r.outputs.slice((b * T + t) * O, (b * T + t + 1) * O), `step ${t} sequence ${b}`);
        }
        expectCloseToTorch(model.getState(), r.finalState, "streamed h_n");
      } finally {
        model.dispose();
      }
    });
  });

  describe.each(BPTT_MODELS.map((m) => [m.name, m] as const))("bptt → PyTorch: %s", (name, m) => {
    const r = interop.bpttToPytorch.find((x) => x.name === name)!;
    it("regenerates the committed file bit for bit from its seed, and gives the outputs PyTorch computed from it", () => {
      expect(r.file).toBe(`${name}.safetensors`);
      expectSavedFileTorchRead(m.options, r, backend, (model) => expect(model.parameters()[0].name).toBe("embedding.weight"));
    });
  });
});

describe("loading an embedding", () => {
  const config: RNNOptions = { cell: "gru", input: "tokens", inputSize: 5, embeddingSize: 3, hiddenSize: 4, backend: "js" };
  const bytes = saveModel(new RNN(config), { names: { embedding: "encoder", rnn: "gru", head: "fc" } });
  it("saveModel writes under the name given, and the file loads back by itself", () => {
    const { model } = loadModel(bytes, { backend: "js" });
    expect(model.parameters().map((p) => p.name)[0]).toBe("embedding.weight");
  });
  it("options.names.embedding settles which table it is; a wrong name says what is missing", () => {
    expect(() => loadModel(bytes, { config, names: { embedding: "embed" } })).toThrow('unexpected tensor "encoder.weight"; the model\'s tensors are embed.weight');
    expect(loadModel(bytes, { config, names: { embedding: "encoder" } }).model.config.embeddingSize).toBe(3);
  });
  it("embeddingSize needs token input and a non-negative integer", () => {
    expect(() => new RNN({ ...config, input: "dense" })).toThrow('embeddingSize needs input "tokens"');
    expect(() => new RNN({ ...config, embeddingSize: 2.5 })).toThrow("embeddingSize must be a non-negative integer");
  });
});
