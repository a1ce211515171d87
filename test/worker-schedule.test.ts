/**
 * Worker jobs name a learning-rate schedule preset (plain JSON crosses to the worker): each step's
 * rate is the preset's, checked against the formulas written out here (PyTorch's CosineAnnealingLR and
 * StepLR), through runTraining and through trainInWorker over a MessageChannel; "plateau", which needs
 * a validation loss, and bad options are refused before any model is made.
 */
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { BpttError } from "../src/index.js";
import { runTraining, serveTraining, trainInWorker, type MessageEndpoint, type TrainingJob, type TrainingProgress } from "../src/worker/index.js";

const data = Array.from({ length: 200 }, (_, i) => (i * 7) % 5);
const job = (extra: Partial<TrainingJob>): TrainingJob => ({
  model: { inputSize: 5, hiddenSize: 4, backend: "js" }, trainer: { optimizer: "sgd", learningRate: 0.1 }, data, batchSize: 2, seqLen: 4, steps: 10, progressEvery: 1, ...extra,
});

async function rates(j: TrainingJob): Promise<number[]> {
  const seen: TrainingProgress[] = [];
  await runTraining(j, { onProgress: (p) => seen.push(p) });
  return seen.map((p) => p.learningRate);
}

describe("worker jobs with a named schedule", () => {
  it("cosine by name spans the job's steps; step by options; no schedule is the constant base rate", async () => {
    const cosine = await rates(job({ schedule: "cosine" }));
    cosine.forEach((lr, i) => expect(lr).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * i) / 10))) / 2, 7));
    const step = await rates(job({ schedule: { name: "step", stepSize: 3, gamma: 0.5 } }));
    step.forEach((lr, i) => expect(lr).toBeCloseTo(0.1 * 0.5 ** Math.floor(i / 3), 7));
    expect(await rates(job({}))).toEqual(Array(10).fill(0.1));
  });

  it("through trainInWorker: the same rates and losses as on this thread", async () => {
    const channel = new MessageChannel();
    const port1 = channel.port1 as unknown as MessageEndpoint & { close(): void }, port2 = channel.port2 as unknown as MessageEndpoint;
    const stop = serveTraining(port2);
    try {
      const seen: number[] = [];
      const j = job({ schedule: { name: "linear", warmupSteps: 2, finalFactor: 0.5 } });
      const result = await trainInWorker(port1, j, { onProgress: (p) => seen.push(p.learningRate) });
      // warm-up b·t/W for t ≤ 2, then linear from b to b/2 over the remaining 8 steps
      const expected = [0.05, 0.1, ...Array.from({ length: 8 }, (_, s) => 0.1 * (1 - 0.5 * (s / 8)))];
      seen.forEach((lr, i) => expect(lr).toBeCloseTo(expected[i], 7));
      const here = await runTraining(j);
      expect(result.losses).toEqual(here.losses);
    } finally {
      stop();
      port1.close();
    }
  });

  it("plateau and bad options are refused with a BpttError naming job.schedule", async () => {
    await expect(runTraining(job({ schedule: "plateau" }))).rejects.toThrow(/job\.schedule "plateau" watches a validation loss/);
    const error = await runTraining(job({ schedule: { name: "step" } as TrainingJob["schedule"] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BpttError);
    expect((error as BpttError).message).toMatch(/^job\.schedule\.stepSize is missing/);
    await expect(runTraining(job({ schedule: "exponential" as TrainingJob["schedule"] }))).rejects.toThrow(/schedule\.name must be one of "constant"/);
  });
});
