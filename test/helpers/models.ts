/**
 * Small shared helpers for the behaviour tests: a model on a backend under test, and seeded random
 * batches of any shape. Every random number comes from the library's seeded PRNG.
 */
import { RNN, Random, type Batch, type RNNOptions } from "../../src/index.js";
import { backendKinds, wasmModuleFor } from "./backends.js";

export type Kind = (typeof backendKinds)[number];

/** A model on one of the backends under test ("js", or the release/debug Wasm build). */
export function modelOn(kind: Kind, options: Omit<RNNOptions, "backend" | "wasmModule">): RNN {
  return new RNN({ ...options, backend: kind === "js" ? "js" : "wasm", wasmModule: wasmModuleFor(kind) });
}

export interface BatchSpec {
  batchSize: number;
  seqLen: number;
  /** Draw an initial state (normal × 0.5) of numLayers·B·H floats (2·numLayers·B·H when bidirectional). */
  withH0?: boolean;
  /** Leave the targets out. */
  noTargets?: boolean;
}

/** A seeded random batch matching the model's configuration. */
export function randomBatch(model: RNN, spec: BatchSpec, seed: number): Batch {
  const { input, inputSize: I, outputSize: O, loss, hiddenSize: H, numLayers: L } = model.config;
  const { batchSize: B, seqLen: T } = spec;
  const rng = new Random(seed);
  const inputs = input === "tokens"
    ? Array.from({ length: B * T }, () => rng.int(I))
    : Float32Array.from({ length: B * T * I }, () => rng.normal());
  const batch: Batch = { batchSize: B, seqLen: T, inputs };
  if (!spec.noTargets) {
    batch.targets = loss === "cross-entropy"
      ? Array.from({ length: B * T }, () => rng.int(O))
      : Float32Array.from({ length: B * T * O }, () => rng.normal());
  }
  const R = model.config.projSize > 0 ? model.config.projSize : H; // h's width
  const S = model.config.bidirectional ? 2 * L : L; // state slices, layer-major then direction
  if (spec.withH0) batch.h0 = Float32Array.from({ length: S * B * R }, () => 0.5 * rng.normal());
  return batch;
}

/** Copies of every parameter, by name. */
export function snapshot(model: RNN): Map<string, Float32Array> {
  return new Map(model.parameters().map((p) => [p.name, p.data.slice()]));
}

/** Bit patterns of a float array, so that `toEqual` distinguishes −0 from 0 and compares NaNs exactly. */
export function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.slice().buffer);
}
