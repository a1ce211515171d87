/**
 * model.stepGradientNorms() against PyTorch: ‖∂E/∂h_t‖₂ over the batch, per layer and step, for every
 * golden configuration of the three cells (fixtures/step_norms_golden.json, written by
 * fixtures/make_step_norm_fixtures.py: nn.RNNCell / LSTMCell / GRUCell unrolled in float64 with
 * retain_grad on every h_t), on every backend. The kernels leave each sequence's ‖∂E/∂h_t‖² and the
 * model sums them over the batch, so this also checks that sum. Tolerance as the golden passes'.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RNN, type Batch } from "../src/index.js";

type CellType = "rnn" | "lstm" | "gru";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";

interface Config {
  name: string;
  cell?: CellType;
  input: "tokens" | "dense";
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  numLayers: number;
  nonlinearity?: "tanh" | "relu";
  bias: boolean;
  loss: "cross-entropy" | "mse";
  batchSize: number;
  seqLen: number;
  parameters: Record<string, number[]>;
  inputs: number[];
  targets: number[];
  mask: number[] | null;
  h0: number[] | null;
  c0?: number[] | null;
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const expected = fixture("step_norms_golden.json") as Record<CellType, Record<string, number[]>>;
const cells: CellType[] = ["rnn", "lstm", "gru"];
const configs = cells.flatMap((cell) => (fixture(`${cell}_golden.json`).configs as Config[]).map((c) => [`${cell} ${c.name}`, cell, c] as const));
const TOL = { rtol: 1e-5, atol: 1e-6 };

describe.each(backendKinds)("stepGradientNorms against PyTorch, %s", (kind) => {
  it.each(configs)("%s", (_label, cell, c) => {
    const model = new RNN({
      cell, input: c.input, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: c.outputSize, numLayers: c.numLayers,
      bias: c.bias, loss: c.loss, seed: 1, ...(c.nonlinearity === undefined ? {} : { nonlinearity: c.nonlinearity }),
      backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
    });
    for (const [name, values] of Object.entries(c.parameters)) model.setParameter(name, values);
    const batch: Batch = {
      batchSize: c.batchSize, seqLen: c.seqLen, inputs: c.inputs, targets: c.targets,
      ...(c.mask === null ? {} : { mask: c.mask }),
      ...(c.h0 === null ? {} : { h0: c.h0 }),
      ...(c.c0 == null ? {} : { c0: c.c0 }),
    };
    model.forward(batch);
    model.backward();
    const got = model.stepGradientNorms(), want = expected[cell][c.name];
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(Math.abs(got[i] - w), `layer ${Math.floor(i / c.seqLen)}, step ${i % c.seqLen}: ${got[i]} vs ${w}`)
      .toBeLessThanOrEqual(TOL.rtol * Math.abs(w) + TOL.atol));
    model.dispose();
  });
});
