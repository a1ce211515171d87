/**
 * The page side of bptt/worker: `trainInWorker` sends a job to a worker running `serveTraining` and
 * follows it. It imports no part of the library but its error type, so that a page that trains only
 * in a worker does not bundle the library and its embedded Wasm on the main thread.
 */
import { BpttError } from "../errors.js";
import type { TrainingJob, TrainingProgress, TrainingResult } from "./jobs.js";
import { listen, type MessageEndpoint } from "./protocol.js";

export type { TrainingJob, TrainingProgress, TrainingResult } from "./jobs.js";
export type { MessageEndpoint } from "./protocol.js";

export interface TrainInWorkerOptions {
  onProgress?: (progress: TrainingProgress) => void;
  /** Aborting cancels the run; the promise then resolves with `cancelled: true` and the weights so far. */
  signal?: AbortSignal;
}

let jobCounter = 0;
/** Unique among this realm's calls, and unlikely to meet another realm's sharing the worker. */
const realmTag = Math.floor(Math.random() * 2 ** 32).toString(36);

/**
 * Sends a job to a worker running `serveTraining` and resolves with its result. A worker busy with
 * another job refuses it: the promise rejects with a BpttError "BUSY" and the other job goes on.
 */
export function trainInWorker(worker: MessageEndpoint, job: TrainingJob, options: TrainInWorkerOptions = {}): Promise<TrainingResult> {
  const id = `${realmTag}-${++jobCounter}`;
  return new Promise((resolve, reject) => {
    const onAbort = () => worker.postMessage({ bptt: "cancel", id });
    const stop = listen(worker, (message) => {
      if (message.id !== id) return;
      if (message.bptt === "progress") options.onProgress?.(message.progress);
      else if (message.bptt === "done" || message.bptt === "error") {
        stop();
        options.signal?.removeEventListener("abort", onAbort);
        if (message.bptt === "done") resolve(message.result);
        else reject(new BpttError((message.code as BpttError["code"]) ?? "INVALID_STATE", `training in the worker failed: ${message.message}`));
      }
    });
    options.signal?.addEventListener("abort", onAbort);
    worker.postMessage({ bptt: "train", id, job });
    if (options.signal?.aborted) onAbort();
  });
}
