/**
 * The relaxed-SIMD opt-in (init({ relaxedSimd: true }), bptt/relaxed): Node 20 validates relaxed SIMD
 * only behind --experimental-wasm-relaxed-simd, set here at run time before anything compiles it.
 * Fused multiply–adds round once where the plain build rounds twice, so results differ from the
 * default build's in the last bits: training is compared with a tolerance, against the default
 * build (itself checked against PyTorch by the golden suites). Across thread counts the relaxed
 * build stays bit-identical, as the plain one does.
 */
import { setFlagsFromString } from "node:v8";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { RNN, Trainer, init, relaxedSimdInUse, shutdown } from "../src/index.js";
import { tasks } from "../src/backends/wasm/threaded.js";

setFlagsFromString("--experimental-wasm-relaxed-simd");

const V = 29, H = 90, T = 9, B = 16, STEPS = 5; // T·B·H² above the pool's threshold (2²⁰)

function train(cell: "rnn" | "lstm" | "gru"): { losses: number[]; weights: Float32Array[] } {
  const model = new RNN({ cell, inputSize: V, hiddenSize: H, numLayers: 2, seed: 3 });
  const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.01 });
  const losses: number[] = [];
  let seed = 9;
  for (let s = 0; s < STEPS; s++) {
    const inputs: number[] = [], targets: number[] = [];
    for (let i = 0; i < B * T; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      inputs.push(seed % V);
      targets.push((seed >> 9) % V);
    }
    losses.push(trainer.step({ batchSize: B, seqLen: T, inputs, targets }).loss);
  }
  const weights = model.parameters().map((p) => Float32Array.from(p.data));
  model.dispose();
  return { losses, weights };
}

afterEach(async () => {
  await init({ relaxedSimd: false, threads: 1 });
  vi.restoreAllMocks();
});
afterAll(async () => {
  await shutdown();
});

describe("init({ relaxedSimd })", () => {
  it.each(["rnn", "lstm", "gru"] as const)("%s: trains as the default build does, within float32 rounding, and differs from it in the last bits", async (cell) => {
    const plain = train(cell);
    expect(relaxedSimdInUse()).toBe(false);
    await init({ relaxedSimd: true });
    expect(relaxedSimdInUse()).toBe(true);
    const fused = train(cell);
    fused.losses.forEach((l, i) => expect(Math.abs(l - plain.losses[i])).toBeLessThan(1e-4 * plain.losses[i]));
    let differs = false;
    fused.weights.forEach((w, i) => w.forEach((v, j) => {
      expect(Math.abs(v - plain.weights[i][j])).toBeLessThan(1e-4);
      differs ||= v !== plain.weights[i][j];
    }));
    expect(differs, "the relaxed build was used: some weight differs in its last bits").toBe(true);
    await init({ relaxedSimd: false });
    expect(relaxedSimdInUse()).toBe(false);
    expect(train(cell).weights, "relaxedSimd: false goes back to the default build").toEqual(plain.weights);
  });

  it("stays bit-identical across thread counts", async () => {
    await init({ relaxedSimd: true });
    const one = train("lstm");
    expect(await init({ threads: 3 })).toBe(3);
    expect(relaxedSimdInUse()).toBe(true);
    const before = tasks("lstmBackward");
    const three = train("lstm");
    expect(tasks("lstmBackward"), "the pool ran the backward pass").toBeGreaterThan(before);
    expect(three.losses).toEqual(one.losses);
    expect(three.weights).toEqual(one.weights);
  });

  it("keeps the default build, without an error, where the host does not validate relaxed SIMD", async () => {
    const plain = train("gru");
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false);
    expect(await init({ relaxedSimd: true })).toBe(1);
    expect(relaxedSimdInUse()).toBe(false);
    expect(train("gru").weights).toEqual(plain.weights);
  });

  it("refuses a value that is not a boolean, and a module given beside it", async () => {
    await expect(init({ relaxedSimd: 1 as never })).rejects.toThrow(/relaxedSimd must be true or false/);
    await expect(init({ relaxedSimd: true, module: new Uint8Array(8) })).rejects.toThrow(/either module or relaxedSimd/);
    expect(relaxedSimdInUse()).toBe(false);
  });
});
