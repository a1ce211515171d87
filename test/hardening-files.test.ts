/**
 * Hostile model files and checkpoints: a small file whose configuration claims a huge model is a
 * BpttError "FORMAT" within 2 s and without allocating the model (the configuration is checked
 * against the tensors in the file, which the file's size bounds, before anything is built). The
 * peak resident memory of this process may not grow by 256 MiB while reading them. Checkpoints are
 * re-signed with their CRC-32 (computed here independently), which is not a MAC.
 */
import { describe, expect, it } from "vitest";
import { BpttError, RNN, Trainer } from "../src/index.js";
import { decodeSafetensors, encodeSafetensors, loadCheckpoint, loadModel, saveCheckpoint, saveModel } from "../src/io.js";
import { expectError } from "./helpers/errors.js";
import { resigned, withMetadata } from "./helpers/files.js";

function editConfig(change: Record<string, unknown>): (meta: Record<string, string>) => void {
  return (meta) => {
    meta.config = JSON.stringify({ ...JSON.parse(meta.config), ...change });
  };
}

/** Throws a FORMAT BpttError within 2 s, and the process's peak resident memory grows by less than 256 MiB. */
function expectQuickFormatError(read: () => unknown, message: RegExp): void {
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  let caught: unknown;
  try {
    read();
  } catch (error) {
    caught = error;
  }
  const ms = performance.now() - started;
  const grew = process.resourceUsage().maxRSS * 1024 - peakBefore;
  expect(caught).toBeInstanceOf(BpttError);
  expect((caught as BpttError).code).toBe("FORMAT");
  expect((caught as BpttError).message).toMatch(message);
  expect(ms).toBeLessThan(2000);
  expect(grew).toBeLessThan(256 * 2 ** 20);
}

const model = new RNN({ inputSize: 5, hiddenSize: 4, backend: "js", seed: 3 });
const modelFile = saveModel(model);
const trainer = new Trainer(model, { optimizer: "adam" });
trainer.step({ batchSize: 1, seqLen: 3, inputs: [1, 2, 3], targets: [2, 3, 4] });
const checkpointFile = saveCheckpoint(trainer);

describe("a hostile configuration in a small file is a quick FORMAT error", () => {
  const hostile: [string, Record<string, unknown>, RegExp][] = [
    ["numLayers 2^28", { numLayers: 268435456 }, /numLayers/],
    ["hiddenSize 100000", { hiddenSize: 100000 }, /parameters/],
    ["hiddenSize 8000 (a model that fits in memory, 1 GB with Adam's state)", { hiddenSize: 8000 }, /has shape \[8000, 5\]|expected \[8000/],
    ["inputSize 2^31", { inputSize: 2 ** 31 }, /parameters/],
    ["outputSize 1e9, LSTM", { outputSize: 1e9, cell: "lstm" }, /parameters/],
    ["numLayers 2 (tensors of one layer)", { numLayers: 2 }, /parameters|missing/],
    ["hiddenSize -1", { hiddenSize: -1 }, /hiddenSize must be a positive integer/],
  ];

  it.each(hostile)("loadModel: %s", (_, change, message) => {
    expectQuickFormatError(() => loadModel(withMetadata(modelFile, editConfig(change)), { backend: "js" }), message);
    expectQuickFormatError(() => loadModel(withMetadata(modelFile, editConfig(change))), message);
  });

  it.each(hostile)("loadCheckpoint, re-signed: %s", (_, change, message) => {
    const bytes = resigned(checkpointFile, editConfig(change));
    expectQuickFormatError(() => loadCheckpoint(bytes, { backend: "js" }), message);
    expectQuickFormatError(() => loadCheckpoint(bytes), message);
  });

  it("the re-signing is right: an unedited re-signed checkpoint loads", () => {
    const loaded = loadCheckpoint(resigned(checkpointFile, () => {}), { backend: "js" });
    expect(loaded.trainer.stepCount).toBe(1);
    loaded.model.dispose();
  });

  it("a carried state whose batch size is huge but whose data is small is a FORMAT error", () => {
    const file = decodeSafetensors(checkpointFile);
    const tensors = [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
    tensors.push({ name: "carry.h", shape: [1, 0, 4], data: new Float32Array(0) });
    const { checksum: _c, ...meta } = file.metadata;
    const bytes = resigned(encodeSafetensors(tensors, { ...meta, checksum: "x" }), () => {});
    expectQuickFormatError(() => loadCheckpoint(bytes, { backend: "js" }), /carry\.h/);
  });
});

describe("maxParameters", () => {
  it("loadModel and loadCheckpoint refuse a file with more parameters than maxParameters before building a model", () => {
    // the model has 5·4 + 4·4 + 4 + 4 + 5·4 + 5 = 69 parameters
    expectError(() => loadModel(modelFile, { backend: "js", maxParameters: 68 }), "FORMAT", /69 parameters.*maxParameters.*68/);
    expectError(() => loadCheckpoint(checkpointFile, { backend: "js", maxParameters: 68 }), "FORMAT", /69 parameters.*maxParameters.*68/);
    const { model: loaded } = loadModel(modelFile, { backend: "js", maxParameters: 69 });
    expect(loaded.parameterCount).toBe(69);
    loaded.dispose();
    expectError(() => loadModel(modelFile, { maxParameters: 0 }), "INVALID_ARGUMENT", /maxParameters must be a positive integer/);
    expectError(() => loadCheckpoint(checkpointFile, { maxParameters: 1.5 }), "INVALID_ARGUMENT", /maxParameters must be a positive integer/);
  });

  it("loadModel(bytes, null) is an INVALID_ARGUMENT error, not a TypeError", () => {
    expectError(() => loadModel(modelFile, null as never), "INVALID_ARGUMENT", /options must be an object/);
  });
});
