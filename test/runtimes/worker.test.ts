/**
 * bptt/worker from the packed package, in Node worker_threads: progress events arrive in order,
 * the trained model comes back and equals the same job run on this thread bit for bit, and
 * cancellation stops a long job promptly with the weights so far, leaving the worker usable.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, expect, test } from "vitest";
import { consumerDir } from "./helpers.js";

type WorkerApi = typeof import("../../src/worker/index.js");
type BpttIo = typeof import("../../src/io.js");

let api: WorkerApi;
let io: BpttIo;
let worker: Worker;
let dir: string;

/** A character stream over a tiny alphabet: "abcabd…" repeated with a period the model can learn. */
function corpus(length: number): Int32Array {
  const pattern = [0, 1, 2, 0, 1, 3, 4, 2, 1, 0, 3];
  return Int32Array.from({ length }, (_, i) => pattern[i % pattern.length]);
}

const job = () => ({
  model: { inputSize: 5, hiddenSize: 16, seed: 3 },
  trainer: { learningRate: 0.3, momentum: 0.9, clipNorm: 1, reduction: "mean" as const },
  data: corpus(500), batchSize: 4, seqLen: 16, steps: 60, seed: 11, progressEvery: 10, recordStepNorms: true,
});

beforeAll(async () => {
  dir = consumerDir();
  const require = createRequire(join(dir, "package.json"));
  api = await import(pathToFileURL(require.resolve("bptt/worker")).href);
  io = await import(pathToFileURL(require.resolve("bptt/io")).href.replace(/io\.cjs$/, "io.js"));
  worker = new Worker(join(dir, "train-worker-node.mjs"));
});

afterAll(async () => {
  await worker?.terminate();
});

test("progress events arrive and the trained weights come back, equal to the same job on this thread", async () => {
  const events: import("../../src/worker/index.js").TrainingProgress[] = [];
  const result = await api.trainInWorker(worker, job(), { onProgress: (p) => events.push(p) });
  expect(events.map((e) => e.step)).toEqual([10, 20, 30, 40, 50, 60]);
  for (const e of events) {
    expect(e.losses).toHaveLength(10);
    expect(e.tokensPerSecond).toBeGreaterThan(0);
    expect(e.stepNorms).toBeInstanceOf(Float32Array);
    expect(e.stepNorms).toHaveLength(16);
  }
  expect(result.cancelled).toBe(false);
  expect(result.steps).toBe(60);
  expect(result.losses).toHaveLength(60);
  expect(result.losses[59]).toBeLessThan(result.losses[0]);
  expect(events.flatMap((e) => e.losses)).toEqual(result.losses);

  const here = await api.runTraining(job());
  expect(Buffer.from(result.model).equals(Buffer.from(here.model)), "worker and in-thread weights are bit-identical").toBe(true);
  const { model } = io.loadModel(result.model);
  expect(model.parameterCount).toBe(5 * 16 + 16 * 16 + 16 + 16 + 5 * 16 + 5);
  model.dispose();
});

test("cancellation stops a long job promptly, returns the weights so far, and the worker serves the next job", async () => {
  const controller = new AbortController();
  let first = 0;
  const started = Date.now();
  const result = await api.trainInWorker(worker, { ...job(), steps: 10_000_000, progressEvery: 5 }, {
    signal: controller.signal,
    onProgress: (p) => {
      if (first === 0) {
        first = p.step;
        controller.abort();
      }
    },
  });
  expect(first).toBe(5);
  expect(result.cancelled).toBe(true);
  expect(result.steps).toBeGreaterThanOrEqual(5);
  expect(result.steps).toBeLessThan(10_000_000);
  expect(Date.now() - started).toBeLessThan(60_000);
  const { model } = io.loadModel(result.model);
  model.dispose();
  const again = await api.trainInWorker(worker, { ...job(), steps: 10 });
  expect(again).toMatchObject({ cancelled: false, steps: 10 });
});

test("a bad job rejects with the worker's error message, and the worker stays usable", async () => {
  await expect(api.trainInWorker(worker, { ...job(), data: new Int32Array(3) })).rejects.toThrow(
    "training in the worker failed: job.data must hold at least seqLen + 1 = 17 tokens; got 3",
  );
  await expect(api.trainInWorker(worker, { ...job(), model: { inputSize: 5, hiddenSize: 0 } })).rejects.toThrow(
    "training in the worker failed: hiddenSize must be a positive integer; got 0",
  );
  expect(await api.trainInWorker(worker, { ...job(), steps: 3, progressEvery: 2 })).toMatchObject({ cancelled: false, steps: 3 });
});

test("bptt/worker/client, the page side alone, runs the same job and its errors are BpttErrors of bptt", async () => {
  const require = createRequire(join(dir, "package.json"));
  const client: typeof import("../../src/worker/client.js") = await import(pathToFileURL(require.resolve("bptt/worker/client")).href);
  const { BpttError } = (await import(pathToFileURL(require.resolve("bptt")).href.replace(/index\.cjs$/, "index.js"))) as typeof import("../../src/index.js");
  const viaClient = await client.trainInWorker(worker, { ...job(), steps: 12 });
  const viaWorker = await api.trainInWorker(worker, { ...job(), steps: 12 });
  expect(viaClient.losses).toEqual(viaWorker.losses);
  const error = await client.trainInWorker(worker, { ...job(), data: new Int32Array(3) }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BpttError); // another copy of the class: instanceof reads the brand
  expect((error as InstanceType<typeof BpttError>).code).toBe("INVALID_ARGUMENT");
  expect(new Error("plain") instanceof BpttError).toBe(false);
});
