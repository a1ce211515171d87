/**
 * Random PyTorch configurations (fixtures/random_golden.json, drawn by fixtures/make_random_fixtures.py):
 * cells, nonlinearities, 1–3 layers, sizes from 1, with and without biases, token and dense input,
 * both losses, missing targets, given or zero initial states, every module initialised by PyTorch's
 * defaults. Each model is loaded the way a user brings PyTorch weights over: its state_dict as
 * safetensors, through loadModel with the configuration; then forward + backward on the recorded
 * batch must give PyTorch's loss, outputs, final states and every gradient, on every backend.
 *
 * Tolerance, per tensor: |ours − torch| ≤ rtol·|torch| + atol·max|torch| elementwise (the second term
 * lets an entry near zero in a tensor of large ones carry that tensor's float32 roundoff).
 * Measured on js, wasm-release and wasm-debug (RANDOM_ERRORS=1 prints it): the worst element uses
 * 27 % of 1e-5 / 1e-6 (the gradient of c0), outputs and states at most 7 %.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { RNNOptions } from "../src/index.js";
import { encodeSafetensors, loadModel } from "../src/io.js";
import { backendKinds, wasmModuleFor } from "./helpers/backends.js";
import type { GoldenPass } from "./helpers/golden.js";

interface RandomConfig extends GoldenPass {
  options: Required<Pick<RNNOptions, "cell" | "input" | "inputSize" | "hiddenSize" | "outputSize" | "numLayers" | "bias" | "loss">> & Pick<RNNOptions, "nonlinearity">;
}

const file = JSON.parse(readFileSync(new URL("./fixtures/random_golden.json", import.meta.url), "utf8")) as { torch: string; configs: RandomConfig[] };

const TOLERANCE = { rtol: 1e-5, atol: 1e-6 };
const worst = new Map<string, number>();

function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let ratio = 0, at = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    const r = (Number.isNaN(d) ? Infinity : d) / (TOLERANCE.rtol * Math.abs(expected[i]) + TOLERANCE.atol * scale + 1e-30);
    if (r > ratio) { ratio = r; at = i; }
  }
  const key = what.replace(/ of rnn\.(\w+?)_l\d+/, " of $1").replace(/^.*?: /, "");
  worst.set(key, Math.max(worst.get(key) ?? 0, ratio));
  expect(ratio, `${what}[${at}] is ${actual[at]}; PyTorch gives ${expected[at]} (max |PyTorch| ${scale})`).toBeLessThanOrEqual(1);
}

/** The state_dict shapes of a configuration, by name: what a PyTorch user's file holds. */
function shapeOf(name: string, o: RandomConfig["options"]): number[] {
  const G = { rnn: 1, lstm: 4, gru: 3 }[o.cell], H = o.hiddenSize;
  if (name === "head.weight") return [o.outputSize, H];
  if (name === "head.bias") return [o.outputSize];
  const layer = Number(/_l(\d+)$/.exec(name)![1]);
  if (name.startsWith("rnn.weight_ih")) return [G * H, layer === 0 ? o.inputSize : H];
  if (name.startsWith("rnn.weight_hh")) return [G * H, H];
  return [G * H];
}

describe.each(backendKinds)(`random PyTorch configurations on %s (torch ${file.torch})`, (kind) => {
  it("draws every cell, both inputs and losses, with and without biases, and 1 to 3 layers", () => {
    const o = file.configs.map((c) => c.options);
    expect(new Set(o.map((x) => x.cell))).toEqual(new Set(["rnn", "lstm", "gru"]));
    expect(new Set(o.map((x) => x.input)).size).toBe(2);
    expect(new Set(o.map((x) => x.loss)).size).toBe(2);
    expect(new Set(o.map((x) => x.bias)).size).toBe(2);
    expect(new Set(o.map((x) => x.numLayers))).toEqual(new Set([1, 2, 3]));
  });

  it.each(file.configs.map((c) => [c.name, c] as const))("%s: loaded from its state_dict, forward and backward match PyTorch", (_name, c) => {
    const tensors = Object.entries(c.parameters).map(([name, data]) => ({ name, shape: shapeOf(name, c.options), data: Float32Array.from(data) }));
    const { model } = loadModel(encodeSafetensors(tensors), {
      config: c.options, backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind),
    });
    try {
      const r = model.forward({
        batchSize: c.batchSize, seqLen: c.seqLen, inputs: c.inputs, targets: c.targets,
        ...(c.mask === null ? {} : { mask: c.mask }), ...(c.h0 === null ? {} : { h0: c.h0 }), ...(c.c0 == null ? {} : { c0: c.c0 }),
      });
      model.zeroGrad();
      model.backward();
      const e = c.expected, at = `${kind} ${c.name}`;
      expect(r.count).toBe(e.count);
      expectClose(`${at}: loss`, [r.loss], [e.loss]);
      expectClose(`${at}: outputs`, model.outputs(), e.outputs);
      expectClose(`${at}: h_n`, model.finalState(), e.finalState);
      if (e.finalCellState !== undefined) expectClose(`${at}: c_n`, model.finalCellState(), e.finalCellState);
      for (const [name, grad] of Object.entries(e.gradients)) expectClose(`${at}: gradient of ${name}`, model.getGradient(name), grad);
      expectClose(`${at}: gradient of h0`, model.initialStateGradient(), e.h0Gradient);
      if (e.c0Gradient !== undefined) expectClose(`${at}: gradient of c0`, model.initialCellStateGradient(), e.c0Gradient);
    } finally {
      model.dispose();
    }
  });
});

afterAll(() => {
  if (process.env.RANDOM_ERRORS) console.log([...worst].map(([k, v]) => `${k}: ${(100 * v).toFixed(1)} % of the bound`).join("\n"));
});
