/**
 * safetensors both ways with PyTorch for nn.LSTM(proj_size) (fixtures/make_projection_fixtures.py).
 * PyTorch → bptt: torch_lstm_proj.safetensors holds `lstm.*` (weight_hr_l{k} included) and `fc.*`;
 * loadModel finds both modules and the model gives PyTorch's outputs, h_n (L, B, P) and c_n (L, B, H),
 * in a window and step by step. bptt → PyTorch: bptt_lstm_proj.safetensors, written by saveModel from
 * the seed below (`BPTT_WRITE_FIXTURES=1` rewrites it), was loaded with load_state_dict(strict=True).
 * Tolerance: interop.test.ts's, 3e-5·|torch| + 3e-6.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RNN, Trainer, type RNNOptions } from "../src/index.js";
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel } from "../src/io.js";
import { bits, randomBatch } from "./helpers/models.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import { expectCloseToTorch, expectSavedFileTorchRead, expectTorchOutputs, fixture, type InteropRecord } from "./helpers/interop.js";

const interop = JSON.parse(readFileSync(fixture("interop_projection.json"), "utf8")) as { torch: string; pytorchToBptt: InteropRecord[]; bpttToPytorch: InteropRecord[] };
const BPTT_MODEL: RNNOptions = { cell: "lstm", input: "tokens", inputSize: 7, hiddenSize: 9, projSize: 4, outputSize: 5, numLayers: 2, seed: 98 };

if (process.env.BPTT_WRITE_FIXTURES) {
  it("writes bptt_lstm_proj.safetensors", () => {
    writeFileSync(fixture("bptt_lstm_proj.safetensors"), saveModel(new RNN({ ...BPTT_MODEL, backend: "js" })));
  });
}

describe.each(backendKinds)(`PyTorch interop with nn.LSTM(proj_size) on %s (torch ${interop.torch})`, (kind) => {
  const backend = { backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) } as const;

  it("PyTorch → bptt: lstm.* and fc.* found by themselves; a window and step-by-step streaming give PyTorch's numbers", () => {
    const r = interop.pytorchToBptt[0];
    const { model } = loadModel(readFileSync(fixture(r.file)), { config: r.config, ...backend });
    try {
      expect(model.parameters().map((p) => p.name)).toContain("rnn.weight_hr_l1");
      expectTorchOutputs(model, r);
      const { batchSize: B, seqLen: T } = r, O = r.config.outputSize!;
      model.resetState(B, r.h0!, r.c0!);
      for (let t = 0; t < T; t++) {
        const out = model.step(Array.from({ length: B }, (_, b) => r.inputs[b * T + t]));
        for (let b = 0; b < B; b++) expectCloseToTorch(out.subarray(b * O, (b + 1) * O), r.outputs.slice((b * T + t) * O, (b * T + t + 1) * O), `step ${t} sequence ${b}`);
      }
      expectCloseToTorch(model.getState(), r.finalState, "streamed h_n");
      expectCloseToTorch(model.getCellState(), r.finalCellState!, "streamed c_n");
    } finally {
      model.dispose();
    }
  });

  it("bptt → PyTorch: the committed file regenerates bit for bit and gives the outputs PyTorch computed from it", () => {
    expect(interop.bpttToPytorch).toHaveLength(1);
    expectSavedFileTorchRead(BPTT_MODEL, interop.bpttToPytorch[0], backend);
  });
});

describe("projSize: bad input", () => {
  const base: RNNOptions = { cell: "lstm", inputSize: 4, hiddenSize: 6, projSize: 3, backend: "js" };
  it("LSTM only, 0 < P < H, and init schemes that fit a (4H, P) W_hh", () => {
    expect(() => new RNN({ ...base, cell: "gru" })).toThrow('cell "gru" has none');
    expect(() => new RNN({ ...base, projSize: 6 })).toThrow("projSize must be smaller than hiddenSize");
    expect(() => new RNN({ ...base, projSize: -1 })).toThrow("projSize must be a non-negative integer");
    expect(() => new RNN({ ...base, init: "orthogonal" })).toThrow('init "orthogonal" makes square recurrent blocks');
  });
  it("h0 is (L, B, P) and c0 (L, B, H): a state of the other width is refused, naming the width", () => {
    const model = new RNN(base);
    const batch = { batchSize: 2, seqLen: 3, inputs: [0, 1, 2, 3, 0, 1], targets: [0, 1, 2, 3, 0, 1] };
    expect(() => model.forward({ ...batch, h0: new Float32Array(12) })).toThrow("numLayers × batchSize × projSize = 1 × 2 × 3");
    expect(() => model.forward({ ...batch, c0: new Float32Array(6) })).toThrow("numLayers × batchSize × hiddenSize = 1 × 2 × 6");
    model.forward({ ...batch, h0: new Float32Array(6), c0: new Float32Array(12) });
    expect(model.finalState()).toHaveLength(6);
    expect(model.finalCellState()).toHaveLength(12);
  });
});

describe.each(["js", "wasm"] as const)("projSize: a checkpoint with carried state (h: P units, c: H) on %s", (backend) => {
  it("resumes bit-exact: 3 + 3 carried steps = 3, checkpoint, load, 3", () => {
    const options: RNNOptions = { cell: "lstm", inputSize: 6, hiddenSize: 7, projSize: 3, numLayers: 2, backend, seed: 4 };
    const run = (trainer: Trainer, from: number, steps: number) => {
      const losses: number[] = [];
      for (let s = from; s < from + steps; s++) losses.push(trainer.step(randomBatch(trainer.model, { batchSize: 2, seqLen: 4 }, s), { carryState: true }).lossSum);
      return losses;
    };
    const whole = new Trainer(new RNN(options), { optimizer: "adam", learningRate: 0.01 });
    const expected = run(whole, 0, 6);
    const first = new Trainer(new RNN(options), { optimizer: "adam", learningRate: 0.01 });
    run(first, 0, 3);
    const bytes = saveCheckpoint(first);
    const { trainer } = loadCheckpoint(bytes, { backend });
    expect(run(trainer, 3, 3)).toEqual(expected.slice(3));
    expect(trainer.model.parameters().map((p) => bits(p.data))).toEqual(whole.model.parameters().map((p) => bits(p.data)));
  });
});
