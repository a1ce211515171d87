import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { RNN, type RNNOptions } from "../../src/index.js";
import { loadModel, saveModel } from "../../src/io.js";

/** A model file and what PyTorch computed with it (test/fixtures/make_*_fixtures.py, the interop_*.json files). */
export interface InteropRecord {
  name: string;
  file: string;
  config: RNNOptions;
  names?: string[];
  batchSize: number;
  seqLen: number;
  inputs: number[];
  h0: number[] | null;
  c0: number[] | null;
  outputs: number[];
  finalState: number[];
  finalCellState: number[] | null;
}

export const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

/** Float32 weights against PyTorch's float64 reference: |actual − torch| ≤ 3e-5·|torch| + 3e-6. */
const TOL = { rtol: 3e-5, atol: 3e-6 };

export function expectCloseToTorch(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= TOL.rtol * Math.abs(expected[i]) + TOL.atol)) expect.fail(`${what}[${i}] is ${actual[i]}; PyTorch gives ${expected[i]}`);
  }
}

/** One window of the record's batch through the model: outputs, h_n and (LSTM) c_n as PyTorch gave them. */
export function expectTorchOutputs(model: RNN, r: InteropRecord): void {
  model.forward({ batchSize: r.batchSize, seqLen: r.seqLen, inputs: r.inputs, ...(r.h0 ? { h0: r.h0 } : {}), ...(r.c0 ? { c0: r.c0 } : {}) });
  expectCloseToTorch(model.outputs(), r.outputs, `${r.name} outputs`);
  expectCloseToTorch(model.finalState(), r.finalState, `${r.name} h_n`);
  if (r.finalCellState) expectCloseToTorch(model.finalCellState(), r.finalCellState, `${r.name} c_n`);
}

/**
 * bptt → PyTorch: a model made from `options` (its seed) saves to the committed file bit for bit, and
 * that file, loaded back, gives the outputs PyTorch computed from it.
 */
export function expectSavedFileTorchRead(options: RNNOptions, r: InteropRecord, backend: Pick<RNNOptions, "backend" | "wasmModule">,
  check: (model: RNN) => void = () => {}): void {
  const model = new RNN({ ...options, ...backend });
  try {
    check(model);
    expect(Buffer.from(saveModel(model)).equals(readFileSync(fixture(r.file)))).toBe(true);
  } finally {
    model.dispose();
  }
  const { model: loaded, metadata } = loadModel(readFileSync(fixture(r.file)), backend);
  try {
    expect(JSON.parse(metadata.config)).toEqual(r.config);
    expectTorchOutputs(loaded, r);
  } finally {
    loaded.dispose();
  }
}
