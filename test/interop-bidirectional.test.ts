/**
 * safetensors both ways with PyTorch for bidirectional models (fixtures/make_bidirectional_fixtures.py).
 * PyTorch → bptt: torch_bilstm_tagger.safetensors is the README's tagger, nn.Embedding + a 2-layer
 * nn.LSTM(bidirectional=True) + nn.Linear under `embedding`, `lstm` and `fc`, saved from its
 * state_dict; loadModel finds the three modules and the model gives PyTorch's outputs, h_n and c_n
 * (2·L, B, H). bptt → PyTorch: bptt_bilstm_proj.safetensors (bidirectional LSTM with projSize and an
 * embedding) and bptt_bigru.safetensors, written by saveModel from the options below
 * (`BPTT_WRITE_FIXTURES=1` rewrites them), were loaded with load_state_dict(strict=True) into the
 * matching PyTorch modules and run there.
 * Tolerance: interop.test.ts's, 3e-5·|torch| + 3e-6.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RNN, Trainer, generate, type RNNOptions } from "../src/index.js";
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel } from "../src/io.js";
import { bits, randomBatch } from "./helpers/models.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { expectSavedFileTorchRead, expectTorchOutputs, fixture, type InteropRecord } from "./helpers/interop.js";

const interop = JSON.parse(readFileSync(fixture("interop_bidirectional.json"), "utf8")) as { torch: string; pytorchToBptt: InteropRecord[]; bpttToPytorch: InteropRecord[] };
const BPTT_MODELS: Record<string, RNNOptions> = {
  bptt_bilstm_proj: { cell: "lstm", input: "tokens", inputSize: 7, embeddingSize: 4, hiddenSize: 9, projSize: 4, outputSize: 5, numLayers: 2, bidirectional: true, seed: 132 },
  bptt_bigru: { cell: "gru", input: "tokens", inputSize: 6, hiddenSize: 5, outputSize: 6, numLayers: 2, bidirectional: true, seed: 133 },
};

if (process.env.BPTT_WRITE_FIXTURES) {
  it("writes the bptt_*.safetensors files PyTorch reads", () => {
    for (const [name, options] of Object.entries(BPTT_MODELS)) writeFileSync(fixture(`${name}.safetensors`), saveModel(new RNN({ ...options, backend: "js" })));
  });
}

describe.each(backendKinds)(`PyTorch interop with bidirectional models on %s (torch ${interop.torch})`, (kind) => {
  const backend = { backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) } as const;

  it("PyTorch → bptt: the tagger's embedding.*, lstm.* (with _reverse) and fc.* are found by themselves and give PyTorch's numbers", () => {
    const r = interop.pytorchToBptt[0];
    const { model } = loadModel(readFileSync(fixture(r.file)), { config: r.config, ...backend });
    try {
      expect(model.parameters().map((p) => p.name)).toContain("rnn.weight_hh_l1_reverse");
      expectTorchOutputs(model, r);
      expect(() => model.resetState(1)).toThrow("this model is bidirectional");
      expect(() => model.step(0)).toThrow("this model is bidirectional");
      expect(() => generate(model, { prompt: [0], length: 3 })).toThrow("generate() samples one token at a time, but this model is bidirectional");
    } finally {
      model.dispose();
    }
  });

  it("PyTorch → bptt: without bidirectional in the config, the _reverse tensors are named in the error", () => {
    const r = interop.pytorchToBptt[0];
    expect(() => loadModel(readFileSync(fixture(r.file)), { config: { ...r.config, bidirectional: false }, ...backend }))
      .toThrow(/unexpected tensor "lstm\.weight_ih_l0_reverse": the file holds a bidirectional model; pass bidirectional: true/);
  });

  it.each(Object.keys(BPTT_MODELS))("bptt → PyTorch: %s regenerates bit for bit and gives the outputs PyTorch computed from it", (name) => {
    const r = interop.bpttToPytorch.find((x) => x.name === name)!;
    expect(r, `${name} in interop_bidirectional.json`).toBeDefined();
    expectSavedFileTorchRead(BPTT_MODELS[name], r, backend);
  });
});

describe("bidirectional: bad input", () => {
  it("bidirectional must be a boolean", () => {
    expect(() => new RNN({ inputSize: 4, hiddenSize: 3, bidirectional: 1 as unknown as boolean, backend: "js" })).toThrow("bidirectional must be true or false; got 1");
  });
  it("h0 and c0 are (2·L, B, ·): a unidirectional-sized state is refused, naming the layout; finalState is (2·L, B, R)", () => {
    const model = new RNN({ cell: "lstm", inputSize: 4, hiddenSize: 3, numLayers: 2, bidirectional: true, backend: "js" });
    const batch = { batchSize: 2, seqLen: 3, inputs: [0, 1, 2, 3, 0, 1], targets: [0, 1, 2, 3, 0, 1] };
    expect(() => model.forward({ ...batch, h0: new Float32Array(12) })).toThrow("batch.h0 has length 12; expected 2 × numLayers × batchSize × hiddenSize = 2 × 2 × 2 × 3 = 24");
    expect(() => model.forward({ ...batch, c0: new Float32Array(12) })).toThrow("batch.c0 has length 12; expected 2 × numLayers × batchSize × hiddenSize = 2 × 2 × 2 × 3 = 24");
    model.forward({ ...batch, h0: new Float32Array(24), c0: new Float32Array(24) });
    expect(model.finalState()).toHaveLength(24);
    expect(model.finalCellState()).toHaveLength(24);
    expect(() => model.finalState(new Float32Array(12))).toThrow("out has length 12; expected 2 × numLayers × batchSize × hiddenSize = 24");
    model.backward();
    expect(model.initialStateGradient()).toHaveLength(24);
    expect(model.initialCellStateGradient()).toHaveLength(24);
    model.dispose();
  });
});

describe("bidirectional: initialisation", () => {
  it.each(["pytorch", "xavier", "orthogonal", "identity"] as const)("%s: both directions drawn (distinct draws where random), the head (O, 2H), finite outputs", (init) => {
    const model = new RNN({ cell: "gru", inputSize: 5, hiddenSize: 4, numLayers: 2, bidirectional: true, init, backend: "js", seed: 3 });
    expect(model.parameters().find((p) => p.name === "head.weight")!.shape).toEqual([5, 8]);
    expect(model.parameters().find((p) => p.name === "rnn.weight_ih_l1_reverse")!.shape).toEqual([12, 8]);
    expect(model.getParameter("rnn.weight_ih_l0_reverse")).not.toEqual(model.getParameter("rnn.weight_ih_l0"));
    model.forward({ batchSize: 2, seqLen: 3, inputs: [0, 1, 2, 3, 4, 0] });
    expect(model.outputs().every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});

describe.each(["js", "wasm"] as const)("bidirectional: a checkpoint with carried state (2·L, B, ·) on %s", (backend) => {
  it("resumes bit-exact: 3 + 3 carried steps = 3, checkpoint, load, 3", () => {
    const options: RNNOptions = { cell: "lstm", inputSize: 6, hiddenSize: 7, projSize: 3, numLayers: 2, bidirectional: true, dropout: 0.2, backend, seed: 4 };
    const run = (trainer: Trainer, from: number, steps: number) => {
      const losses: number[] = [];
      for (let s = from; s < from + steps; s++) losses.push(trainer.step(randomBatch(trainer.model, { batchSize: 2, seqLen: 4 }, s), { carryState: true }).lossSum);
      return losses;
    };
    const whole = new Trainer(new RNN(options), { optimizer: "adam", learningRate: 0.01 });
    const expected = run(whole, 0, 6);
    const first = new Trainer(new RNN(options), { optimizer: "adam", learningRate: 0.01 });
    run(first, 0, 3);
    expect(first.carriedState()!.state).toHaveLength(2 * 2 * 2 * 3);
    const { trainer } = loadCheckpoint(saveCheckpoint(first), { backend });
    expect(run(trainer, 3, 3)).toEqual(expected.slice(3));
    expect(trainer.model.parameters().map((p) => bits(p.data))).toEqual(whole.model.parameters().map((p) => bits(p.data)));
  });
});
