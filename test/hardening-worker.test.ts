/**
 * Worker jobs are not mixed up: each trainInWorker call has a job id, a busy worker refuses a second
 * job with a BpttError "BUSY" and leaves the running one alone, and a result goes only to its own
 * call. The worker side runs on one end of a MessageChannel in this thread (serveTraining yields to
 * the event loop between chunks of steps), the caller on the other.
 */
import { MessageChannel } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { BpttError } from "../src/index.js";
import { serveTraining, trainInWorker, type MessageEndpoint, type TrainingJob } from "../src/worker/index.js";

const data = Array.from({ length: 200 }, (_, i) => (i * 7) % 5);
const job = (steps: number): TrainingJob => ({
  model: { inputSize: 5, hiddenSize: 4, backend: "js" }, trainer: { optimizer: "sgd", learningRate: 0.1 }, data, batchSize: 2, seqLen: 4, steps,
});

let close: () => void = () => {};
afterEach(() => close());

describe("trainInWorker job ids", () => {
  it("a second job on a busy worker is refused with BUSY; the first goes on and gets its own result; the next job gets its own", async () => {
    const channel = new MessageChannel();
    const port1 = channel.port1 as unknown as MessageEndpoint & { close(): void }, port2 = channel.port2 as unknown as MessageEndpoint;
    const stop = serveTraining(port2);
    close = () => {
      stop();
      port1.close();
    };
    const abort = new AbortController();
    const progress: number[] = [];
    const first = trainInWorker(port1, job(3000), { signal: abort.signal, onProgress: (p) => progress.push(p.steps) });
    const second = trainInWorker(port1, job(20));
    const refusal = await second.then(() => null, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(BpttError);
    expect((refusal as BpttError).code).toBe("BUSY");
    expect((refusal as BpttError).message).toMatch(/running another training job/);
    abort.abort();
    const result = await first;
    expect(result.cancelled).toBe(true);
    expect(result.steps).toBeGreaterThan(0);
    expect(result.steps).toBeLessThan(3000);
    expect(result.losses).toHaveLength(result.steps);
    expect(new Set(progress)).toEqual(new Set(progress.length ? [3000] : []));
    const third = await trainInWorker(port1, job(20));
    expect(third.cancelled).toBe(false);
    expect(third.steps).toBe(20);
  });
});
