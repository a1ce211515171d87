/**
 * PyTorch interop through safetensors, both directions, from committed fixtures (no PyTorch needed
 * to run it; fixtures/make_gated_fixtures.py writes them).
 *
 * PyTorch → bptt: fixtures/torch_{rnn,lstm,gru}.safetensors hold the state_dict of an nn.RNN /
 * nn.LSTM / nn.GRU (batch_first=True, attribute `rnn`) + nn.Linear (`head`), written by hand in
 * Python; torch_lstm.safetensors mixes F32, F64, F16 and BF16 tensors. Each is loaded with
 * loadModel(bytes, { config }) and must reproduce PyTorch's outputs, h_n and c_n on the recorded batch.
 *
 * bptt → PyTorch: fixtures/bptt_{rnn,lstm,gru}.safetensors were written by saveModel from the seeds
 * below; the Python script read them, loaded them into PyTorch with load_state_dict(strict=True) and
 * recorded its outputs in interop.json. Here every backend regenerates each file from its seed
 * and must produce the committed bytes exactly (so the file PyTorch read is the one bptt writes),
 * then the loaded model must reproduce PyTorch's outputs. `BPTT_WRITE_FIXTURES=1` rewrites the
 * files instead (then rerun the Python script).
 *
 * Tolerance: the golden bound, |ours − torch| ≤ 3e-5·|torch| + 3e-6: float32 kernels against
 * float64 PyTorch on exactly the same weights (every stored value is representable in float32).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RNN, type RNNOptions } from "../src/index.js";
import { decodeSafetensors, encodeSafetensors, loadModel, saveModel } from "../src/io.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";

interface Record_ {
  name: string;
  file: string;
  config: RNNOptions;
  dtypes?: Record<string, string>;
  batchSize: number;
  seqLen: number;
  inputs: number[];
  h0: number[];
  c0: number[] | null;
  outputs: number[];
  finalState: number[];
  finalCellState: number[] | null;
}

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const interop = JSON.parse(readFileSync(fixture("interop.json"), "utf8")) as { torch: string; pytorchToBptt: Record_[]; bpttToPytorch: Record_[] };

/** The models bptt writes for PyTorch to read: options and seed (PyTorch's default init scheme unless stated). */
const BPTT_MODELS: { name: string; options: RNNOptions }[] = [
  { name: "bptt_rnn", options: { cell: "rnn", input: "tokens", inputSize: 6, hiddenSize: 5, numLayers: 2, nonlinearity: "tanh", seed: 81 } },
  { name: "bptt_lstm", options: { cell: "lstm", input: "dense", inputSize: 5, hiddenSize: 7, outputSize: 3, numLayers: 2, loss: "mse", forgetBias: 1, seed: 82 } },
  { name: "bptt_gru", options: { cell: "gru", input: "tokens", inputSize: 6, hiddenSize: 9, numLayers: 1, init: "orthogonal", seed: 83 } },
];

const TOL = { rtol: 3e-5, atol: 3e-6 };

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): number {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= TOL.rtol * Math.abs(expected[i]) + TOL.atol)) expect.fail(`${what}[${i}] is ${actual[i]}; PyTorch gives ${expected[i]}`);
    if (Math.abs(expected[i]) >= 1e-3) worst = Math.max(worst, diff / Math.abs(expected[i]));
  }
  return worst;
}

/** Worst relative error (over |torch| ≥ 1e-3) per backend and fixture; written to INTEROP_ERRORS=<file> when set. */
const measured: Record<string, Record<string, number>> = {};
afterAll(() => {
  if (process.env.INTEROP_ERRORS) writeFileSync(process.env.INTEROP_ERRORS, JSON.stringify(measured, null, 2) + "\n");
});

/** Run the recorded batch through a loaded model and compare with PyTorch's record. */
function compare(kind: string, model: RNN, r: Record_): void {
  model.forward({ batchSize: r.batchSize, seqLen: r.seqLen, inputs: r.inputs, h0: r.h0, ...(r.c0 ? { c0: r.c0 } : {}) });
  const errors = [
    expectClose(model.outputs(), r.outputs, `${r.name} outputs`),
    expectClose(model.finalState(), r.finalState, `${r.name} h_n`),
    r.finalCellState ? expectClose(model.finalCellState(), r.finalCellState, `${r.name} c_n`) : 0,
  ];
  (measured[kind] ??= {})[r.name] = Math.max(...errors);
}

if (process.env.BPTT_WRITE_FIXTURES) {
  describe("writing the bptt → PyTorch fixtures", () => {
    it.each(BPTT_MODELS.map((m) => [m.name, m] as const))("%s", (_name, m) => {
      const model = new RNN({ ...m.options, backend: "js" });
      writeFileSync(fixture(`${m.name}.safetensors`), saveModel(model));
      model.dispose();
    });
  });
}

describe.each(backendKinds)("PyTorch interop on %s (torch " + interop.torch + ")", (kind) => {
  const backend = { backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) } as const;

  it("covers every cell in both directions, and F32, F64, F16 and BF16 tensors", () => {
    expect(interop.pytorchToBptt.map((r) => r.config.cell).sort()).toEqual(["gru", "lstm", "rnn"]);
    expect(interop.bpttToPytorch.map((r) => r.name).sort()).toEqual(BPTT_MODELS.map((m) => m.name).sort());
    const dtypes = new Set(interop.pytorchToBptt.flatMap((r) => Object.values(r.dtypes ?? {})));
    expect([...dtypes].sort()).toEqual(["BF16", "F16", "F32", "F64"]);
  });

  describe.each(interop.pytorchToBptt.map((r) => [r.name, r] as const))("PyTorch → bptt: %s", (_name, r) => {
    it("loads with the stated config, converting each stored dtype, and gives PyTorch's outputs and final states", () => {
      const bytes = readFileSync(fixture(r.file));
      const file = decodeSafetensors(bytes);
      for (const [name, dtype] of Object.entries(r.dtypes!)) expect(file.tensors.get(name)?.dtype, name).toBe(dtype);
      const { model } = loadModel(bytes, { config: r.config, ...backend });
      try {
        expect(model.config.cell).toBe(r.config.cell);
        compare(kind, model, r);
      } finally {
        model.dispose();
      }
    });
  });

  describe.each(BPTT_MODELS.map((m) => [m.name, m] as const))("bptt → PyTorch: %s", (name, m) => {
    const r = interop.bpttToPytorch.find((x) => x.name === name)!;
    it("regenerates the committed file bit for bit from its seed", () => {
      const model = new RNN({ ...m.options, ...backend });
      try {
        const bytes = saveModel(model);
        expect(Buffer.from(bytes).equals(readFileSync(fixture(`${name}.safetensors`))), `${name}.safetensors differs from what saveModel writes`).toBe(true);
      } finally {
        model.dispose();
      }
    });

    it("gives the outputs PyTorch computed from that file", () => {
      const { model, metadata } = loadModel(readFileSync(fixture(r.file)), backend);
      try {
        expect(JSON.parse(metadata.config)).toEqual(r.config); // what the Python script built its modules from
        compare(kind, model, r);
      } finally {
        model.dispose();
      }
    });
  });
});

describe("state_dict module names other than rnn / head", () => {
  const config = { cell: "lstm", input: "dense", inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 2, loss: "mse" } as const;
  const source = new RNN({ ...config, seed: 12, backend: "js" });
  /** The source model's tensors under other module names (a user's `self.lstm`, `self.fc`, …). */
  const renamed = (rnn: string, head: string, extra: { name: string; shape: number[] }[] = []) => encodeSafetensors([
    ...source.parameters().map(({ name, shape, data }) => {
      const [module, rest] = name.split(/\.(.*)/, 2);
      const prefix = module === "rnn" ? rnn : head;
      return { name: prefix === "" ? rest : `${prefix}.${rest}`, shape, data: data.slice() };
    }),
    ...extra.map(({ name, shape }) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })),
  ]);
  const batch = { batchSize: 1, seqLen: 3, inputs: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9], targets: [0, 1, 1, 0, 0.5, 0.5] };
  const reference = source.forward(batch).loss;
  const lossOf = (bytes: Uint8Array, names?: { rnn?: string; head?: string }) => {
    const { model } = loadModel(bytes, { config, names, backend: "js" });
    const loss = model.forward(batch).loss;
    model.dispose();
    return loss;
  };

  it("are found when unambiguous: self.lstm + self.fc, a Lightning-style model.encoder + model.decoder, the module saved without a prefix", () => {
    expect(lossOf(renamed("lstm", "fc"))).toBe(reference);
    expect(lossOf(renamed("model.encoder", "model.decoder"))).toBe(reference);
    expect(lossOf(renamed("", "out"))).toBe(reference);
  });

  it("saveModel writes under the names given (to match a PyTorch module), and such a file loads back", () => {
    const bytes = saveModel(source, { names: { rnn: "lstm", head: "fc" } });
    expect([...decodeSafetensors(bytes).tensors.keys()]).toEqual(source.parameters().map((p) => p.name.replace(/^rnn\./, "lstm.").replace(/^head\./, "fc.")));
    const { model } = loadModel(bytes, { backend: "js" });
    expect(model.forward(batch).loss).toBe(reference);
    model.dispose();
    expect(() => saveModel(source, { names: { head: null as unknown as string } })).toThrow("options.names.head must be a string");
  });

  it("options.names settles an ambiguous file; without it the error says what it found and what to pass", () => {
    const twoHeads = renamed("lstm", "fc", [{ name: "aux.weight", shape: [2, 4] }, { name: "aux.bias", shape: [2] }]);
    expect(() => lossOf(twoHeads)).toThrow('cannot tell which tensors are the linear head (…weight and …bias): candidates "fc", "aux"; pass options.names = { rnn, head } with the state_dict prefixes');
    // named, the other head is a tensor the model does not have
    expect(() => lossOf(twoHeads, { rnn: "lstm", head: "fc" })).toThrow('unexpected tensor "aux.weight"');
    expect(lossOf(renamed("lstm", "fc"), { rnn: "lstm", head: "fc" })).toBe(reference);
    expect(() => lossOf(renamed("lstm", "fc"), { rnn: "gru", head: "fc" })).toThrow('unexpected tensor "lstm.weight_ih_l0"');
    expect(() => loadModel(renamed("lstm", "fc"), { config, names: { rnn: 3 as unknown as string } })).toThrow("options.names.rnn must be a string");
  });
});
