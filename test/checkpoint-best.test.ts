/**
 * saveCheckpoint's bestWeights: weights kept beside the trainer's (early stopping's best so far) come
 * back from loadCheckpoint bit for bit, apart from the model's; a file with only some of them, and
 * weights of the wrong count or length, are refused.
 */
import { describe, expect, it } from "vitest";
import { BpttError, RNN, Trainer } from "../src/index.js";
import { decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint } from "../src/io.js";
import { checkpointChecksum } from "./helpers/files.js";

function trained(): Trainer {
  const model = new RNN({ cell: "lstm", inputSize: 6, hiddenSize: 5, seed: 2 });
  const trainer = new Trainer(model, { optimizer: "adam", learningRate: 0.05 });
  trainer.step({ batchSize: 2, seqLen: 4, inputs: [0, 1, 2, 3, 4, 5, 0, 1], targets: [1, 2, 3, 4, 5, 0, 1, 2] });
  return trainer;
}

describe("checkpoints keep best weights", () => {
  it("round trip: loadCheckpoint returns the bestWeights given, and the model its own weights", () => {
    const trainer = trained();
    const best = trainer.model.parameters().map((p) => p.data.map((v, i) => v + 0.001 * (i % 7)));
    const loaded = loadCheckpoint(saveCheckpoint(trainer, { bestWeights: best }));
    expect(loaded.bestWeights).toEqual(best);
    expect(loaded.model.parameters().map((p) => p.data)).toEqual(trainer.model.parameters().map((p) => p.data));
    expect(loadCheckpoint(saveCheckpoint(trainer)).bestWeights).toBeUndefined();
    loaded.model.dispose();
    trainer.model.dispose();
  });

  it("refuses a file that holds only some of them (FORMAT), and bestWeights of the wrong count or length", () => {
    const trainer = trained();
    const params = trainer.model.parameters();
    const file = decodeSafetensors(saveCheckpoint(trainer, { bestWeights: params.map((p) => p.data) }));
    const tensors = [...file.tensors].filter(([name]) => name !== `best.${params[1].name}`).map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
    const { checksum: _old, ...meta } = file.metadata; // signed again: the file is whole, one best tensor is missing
    const partial = encodeSafetensors(tensors, { ...meta, checksum: checkpointChecksum(meta, tensors) });
    const error = (() => { try { loadCheckpoint(partial); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(BpttError);
    expect((error as BpttError).code).toBe("FORMAT");
    expect((error as BpttError).message).toContain(`tensor "best.${params[1].name}" is missing`);
    expect(() => saveCheckpoint(trainer, { bestWeights: params.slice(1).map((p) => p.data) })).toThrow(/bestWeights must hold one array per parameter/);
    expect(() => saveCheckpoint(trainer, { bestWeights: params.map((p, i) => (i === 2 ? p.data.subarray(1) : p.data)) })).toThrow(/bestWeights\[2\]/);
    trainer.model.dispose();
  });
});
