/**
 * bptt/worker: train off the main thread, in a Web Worker or a Node `worker_threads` worker, with
 * progress events and cancellation, so a page stays responsive.
 *
 *   // worker.js (module worker)                 // page
 *   import { serveTraining } from "bptt/worker";  import { trainInWorker } from "bptt/worker";
 *   serveTraining();                              const worker = new Worker("worker.js", { type: "module" });
 *                                                 const result = await trainInWorker(worker, job, { onProgress, signal });
 *
 * In Node: `serveTraining(parentPort)` in the worker, `trainInWorker(new Worker(file), job, …)` outside.
 * Everything that crosses is structured-cloneable: the job, progress events, and the trained model
 * as safetensors bytes (`loadModel(result.model)`, from bptt/io).
 */
import { BpttError, Random, RNN, Trainer, init } from "../index.js";
import { loadModel, saveModel } from "../io.js";
// jobs may ask for backend "js"
import "../js.js";
import type { RNNOptions } from "../index.js";
import { LearningRateSchedule, resolveSchedule } from "../schedules.js";
import type { TrainingJob, TrainingProgress, TrainingResult } from "./jobs.js";
import { listen, type MessageEndpoint } from "./protocol.js";

export type { TrainingJob, TrainingProgress, TrainingResult } from "./jobs.js";
export type { MessageEndpoint } from "./protocol.js";
export { trainInWorker, type TrainInWorkerOptions } from "./client.js";

export interface RunOptions {
  onProgress?: (progress: TrainingProgress) => void;
  /** Polled between chunks of steps; true stops the run after the current step. */
  cancelled?: () => boolean;
  /** Wall time in ms between yields to the event loop, so cancel messages are seen (default 20). */
  yieldMs?: number;
}

/** Runs a job on this thread, yielding to the event loop between chunks of steps. */
export async function runTraining(job: TrainingJob, options: RunOptions = {}): Promise<TrainingResult> {
  if (job === null || typeof job !== "object") throw new BpttError("INVALID_ARGUMENT", "job must be an object { model, trainer, data, batchSize, seqLen, steps }");
  if (job.wasm !== undefined) await init(job.wasm);
  const { batchSize: B, seqLen: T } = job;
  const data = job.data;
  if (!(Number.isInteger(job.steps) && job.steps >= 0)) throw new BpttError("INVALID_ARGUMENT", `job.steps must be a non-negative integer; got ${job.steps}`);
  if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) throw new BpttError("INVALID_ARGUMENT", `job.batchSize and job.seqLen must be positive integers; got ${B} and ${T}`);
  if (data === null || typeof data !== "object" || !(data.length >= T + 1)) {
    throw new BpttError("INVALID_ARGUMENT", `job.data must hold at least seqLen + 1 = ${T + 1} tokens; got ${data?.length}`);
  }
  if (job.schedule !== undefined) {
    try {
      resolveSchedule(job.schedule, job.steps > 0 ? job.steps : undefined);
    } catch (error) {
      throw error instanceof BpttError ? new BpttError(error.code, `job.${error.message}`) : error;
    }
    const name = typeof job.schedule === "string" ? job.schedule : job.schedule.name;
    if (name === "plateau") throw new BpttError("INVALID_ARGUMENT", 'job.schedule "plateau" watches a validation loss, and a worker job has none; name "constant", "linear", "cosine" or "step"');
  }
  const model = job.initialModel !== undefined
    ? loadModel(job.initialModel, { backend: job.backend }).model
    : new RNN({ ...(job.model as RNNOptions) });
  try {
    const trainer = new Trainer(model, job.trainer);
    const schedule = job.schedule === undefined ? null : new LearningRateSchedule(job.schedule, trainer.options.learningRate, job.steps > 0 ? job.steps : undefined);
    const rng = new Random(job.seed ?? 0);
    const every = Math.max(1, job.progressEvery ?? 10);
    const snapshotEvery = job.snapshotEvery ?? 0;
    const yieldMs = options.yieldMs ?? 20;
    const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
    const losses: number[] = [];
    let trainMs = 0, events = 0, step = 0, lastYield = now();
    const rate = () => (trainMs > 0 ? (step * B * T) / (trainMs / 1000) : 0);
    while (step < job.steps) {
      if (options.cancelled?.()) break;
      for (let b = 0; b < B; b++) {
        const start = rng.int(data.length - T);
        for (let t = 0; t < T; t++) {
          inputs[b * T + t] = data[start + t];
          targets[b * T + t] = data[start + t + 1];
        }
      }
      const started = now();
      const r = trainer.step({ batchSize: B, seqLen: T, inputs, targets }, { recordStepNorms: job.recordStepNorms, learningRate: schedule?.rate(step + 1) });
      trainMs += now() - started;
      losses.push(r.loss);
      step++;
      if (step % every === 0 || step === job.steps) {
        events++;
        const progress: TrainingProgress = {
          step, steps: job.steps, losses: losses.slice(-((step - 1) % every + 1)), gradNorm: r.gradNorm, clipped: r.clipped,
          tokensPerSecond: rate(), elapsedMs: trainMs, learningRate: r.learningRate,
        };
        if (r.stepNorms) progress.stepNorms = r.stepNorms;
        if (snapshotEvery > 0 && events % snapshotEvery === 0) progress.model = saveModel(model);
        options.onProgress?.(progress);
      }
      if (now() - lastYield >= yieldMs) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = now();
      }
    }
    return { cancelled: step < job.steps, steps: step, losses, tokensPerSecond: rate(), elapsedMs: trainMs, model: saveModel(model) };
  } finally {
    model.dispose();
  }
}

/**
 * Serves training jobs inside a worker: `serveTraining()` in a Web Worker, `serveTraining(parentPort)`
 * under worker_threads. One job at a time: a job sent while another runs is refused with a BUSY
 * error (to its sender only) and the running job goes on. A cancel message stops the job it names
 * after its current step.
 */
export function serveTraining(port: MessageEndpoint = globalThis as unknown as MessageEndpoint): () => void {
  let running: string | null = null, cancel = false;
  return listen(port, (message) => {
    if (message.bptt === "cancel") {
      if (message.id === running) cancel = true;
      return;
    }
    if (message.bptt !== "train") return;
    const id = message.id;
    if (running !== null) {
      port.postMessage({ bptt: "error", id, code: "BUSY", message: `this worker is running another training job (${running}); wait for its result or use another worker` });
      return;
    }
    running = id;
    cancel = false;
    let job: Promise<TrainingResult>;
    try {
      job = runTraining(message.job, { onProgress: (progress) => port.postMessage({ bptt: "progress", id, progress }), cancelled: () => cancel });
    } catch (e) {
      job = Promise.reject(e);
    }
    job.then(
      (result) => port.postMessage({ bptt: "done", id, result }, [result.model.buffer]),
      (e: unknown) => port.postMessage({ bptt: "error", id, message: e instanceof Error ? e.message : String(e), code: (e as { code?: string })?.code }),
    ).finally(() => {
      running = null;
    });
  });
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}
